import { z } from "zod";
import { copyable, emitTile, tileId } from "./copilot-fields.ts";
import { next } from "./fields.ts";
import { copilotOnly, targetsOf, type NodeDefinition, type WithId } from "./node.ts";

/**
 * A summary of the bot part of the conversation (everything before the handover started), for the agent who
 * takes over. Extractive offline; written by the model when one is configured.
 */
export const summaryTileSchema = z.strictObject({
  type: z.literal("summaryTile"),
  tile: tileId,
  copyable,
  next,
});

export type SummaryTileNode = WithId<z.output<typeof summaryTileSchema>>;

export const summaryTileNode: NodeDefinition<SummaryTileNode> = {
  type: "summaryTile",
  kinds: copilotOnly,
  schema: summaryTileSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    emitTile(runtime, node.id, node.tile, { kind: "summary", copyable: node.copyable });
    return { kind: "continue", next: node.next };
  },
};
