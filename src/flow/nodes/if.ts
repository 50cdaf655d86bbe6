import { z } from "zod";
import { evaluate, isTruthy } from "../expressions/index.ts";
import { expression, nodeRef } from "./fields.ts";
import { targetsOf, everyFlowKind, type NodeDefinition, type WithId } from "./node.ts";

/** Continues at `then` when `condition` is truthy, else at `else` (without `else`, the run stops). */
export const ifSchema = z.strictObject({
  type: z.literal("if"),
  condition: expression,
  then: nodeRef,
  else: nodeRef.optional(),
});

export type IfNode = WithId<z.output<typeof ifSchema>>;

export const ifNode: NodeDefinition<IfNode> = {
  type: "if",
  kinds: everyFlowKind,
  schema: ifSchema,
  targets: (node) => targetsOf({ then: node.then, else: node.else }),
  execute(node, runtime) {
    const chosen = isTruthy(evaluate(node.condition.ast, runtime.scope)) ? node.then : node.else;
    return { kind: "continue", next: chosen };
  },
};
