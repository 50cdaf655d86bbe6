import { z } from "zod";
import { everyFlowKind, type NodeDefinition, type WithId } from "./node.ts";

/**
 * Ends the run: closes a handover still open (handover.close first), then emits an `end` action (the channel
 * may end the conversation). The flow goes idle: the next input starts at `start`.
 */
export const endSchema = z.strictObject({ type: z.literal("end") });

export type EndNode = WithId<z.output<typeof endSchema>>;

export const endNode: NodeDefinition<EndNode> = {
  type: "end",
  kinds: everyFlowKind,
  schema: endSchema,
  targets: () => [],
  execute(node, runtime) {
    if (runtime.handoverOpen) runtime.action({ type: "handover.close", nodeId: node.id });
    runtime.action({ type: "end", nodeId: node.id });
    return { kind: "end" };
  },
};
