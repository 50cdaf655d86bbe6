import { z } from "zod";
import { emitTile, tileId } from "./copilot-fields.ts";
import { next } from "./fields.ts";
import { copilotOnly, targetsOf, type NodeDefinition, type WithId } from "./node.ts";

/**
 * Makes `tile` the live transcript: every user, bot, agent and system message, redacted as configured. Once
 * set, the tile follows the conversation on its own; the flow need not run again for it.
 */
export const transcriptTileSchema = z.strictObject({ type: z.literal("transcriptTile"), tile: tileId, next });

export type TranscriptTileNode = WithId<z.output<typeof transcriptTileSchema>>;

export const transcriptTileNode: NodeDefinition<TranscriptTileNode> = {
  type: "transcriptTile",
  kinds: copilotOnly,
  schema: transcriptTileSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    emitTile(runtime, node.id, node.tile, { kind: "transcript" });
    return { kind: "continue", next: node.next };
  },
};
