import { z } from "zod";
import { next } from "./fields.ts";
import { targetsOf, type NodeDefinition, type WithId } from "./node.ts";

/**
 * Ends the open handover from the bot's side (the 8x8 conversation is left) and continues at once: the flow
 * does not wait for a resolution, and a later resolve from the agent is ignored. Without an open handover it
 * does nothing.
 */
export const closeHandoverSchema = z.strictObject({ type: z.literal("closeHandover"), next });

export type CloseHandoverNode = WithId<z.output<typeof closeHandoverSchema>>;

export const closeHandoverNode: NodeDefinition<CloseHandoverNode> = {
  type: "closeHandover",
  schema: closeHandoverSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    if (runtime.handoverOpen) runtime.action({ type: "handover.close", nodeId: node.id });
    return { kind: "continue", next: node.next };
  },
};
