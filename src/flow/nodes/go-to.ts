import { z } from "zod";
import { nodeRef } from "./fields.ts";
import { targetsOf, everyFlowKind, type NodeDefinition, type WithId } from "./node.ts";

/**
 * Continues at `target`. With `wait: true` the run stops instead and the next input (or, during a
 * handover, the next handover event) enters at `target`: Cognigy.AI's "Go to Node and wait for Input", so
 * flows built that way port over.
 */
export const goToSchema = z.strictObject({
  type: z.literal("goTo"),
  target: nodeRef,
  wait: z.boolean({ error: "true or false" }).default(false),
});

export type GoToNode = WithId<z.output<typeof goToSchema>>;

export const goToNode: NodeDefinition<GoToNode> = {
  type: "goTo",
  kinds: everyFlowKind,
  schema: goToSchema,
  targets: (node) => targetsOf({ target: node.target }),
  execute: (node) =>
    node.wait ? { kind: "waitAt", entrypoint: node.target } : { kind: "continue", next: node.target },
};
