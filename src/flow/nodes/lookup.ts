import { z } from "zod";
import { evaluate, toText } from "../expressions/index.ts";
import { expression, nodeRef } from "./fields.ts";
import { targetsOf, everyFlowKind, type NodeDefinition, type WithId } from "./node.ts";

/**
 * Branches on a value: `string(value)` is compared, case-sensitively, with each case key; no match goes to
 * `default`, and without a default the run stops there. Branching on `input.handover.status` is the main
 * use: a status with no case (say `queue`) then leaves the flow waiting where it was, so the next handover
 * event lands on the same lookup.
 */
export const lookupSchema = z.strictObject({
  type: z.literal("lookup"),
  value: expression,
  cases: z
    .record(z.string(), nodeRef, { error: "an object mapping values to node ids" })
    .refine((cases) => Object.keys(cases).length > 0, { error: "at least one case" })
    // A Map, so a case named like an Object.prototype member ("constructor") is an ordinary key.
    .transform((cases) => new Map(Object.entries(cases))),
  default: nodeRef.optional(),
});

export type LookupNode = WithId<z.output<typeof lookupSchema>>;

export const lookupNode: NodeDefinition<LookupNode> = {
  type: "lookup",
  kinds: everyFlowKind,
  schema: lookupSchema,
  targets: (node) => [
    ...[...node.cases].map(([value, nodeId]) => ({ field: `cases.${value}`, nodeId })),
    ...targetsOf({ default: node.default }),
  ],
  execute(node, runtime) {
    const value = toText(evaluate(node.value.ast, runtime.scope));
    return { kind: "continue", next: node.cases.get(value) ?? node.default };
  },
};
