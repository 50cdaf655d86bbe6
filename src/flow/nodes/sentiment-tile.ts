import { z } from "zod";
import { emitTile, tileId } from "./copilot-fields.ts";
import { next } from "./fields.ts";
import { copilotOnly, targetsOf, type NodeDefinition, type WithId } from "./node.ts";

/**
 * The user's sentiment (positive, neutral, negative, with a score), from the last user message (`lastInput`)
 * or the last 10 (`last10`). Offline lexicon by default; the configured model otherwise.
 */
export const sentimentTileSchema = z.strictObject({
  type: z.literal("sentimentTile"),
  tile: tileId,
  input: z.enum(["lastInput", "last10"], { error: "lastInput or last10" }).default("lastInput"),
  next,
});

export type SentimentTileNode = WithId<z.output<typeof sentimentTileSchema>>;

export const sentimentTileNode: NodeDefinition<SentimentTileNode> = {
  type: "sentimentTile",
  kinds: copilotOnly,
  schema: sentimentTileSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    emitTile(runtime, node.id, node.tile, { kind: "sentiment", input: node.input });
    return { kind: "continue", next: node.next };
  },
};
