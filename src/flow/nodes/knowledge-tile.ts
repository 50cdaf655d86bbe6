import { z } from "zod";
import { evaluate, toText } from "../expressions/index.ts";
import { copyable, emitTile, tileId } from "./copilot-fields.ts";
import { expression, next } from "./fields.ts";
import { copilotOnly, targetsOf, type NodeDefinition, type WithId } from "./node.ts";

/**
 * Searches the knowledge folder and shows an answer with citations. `query` is an expression; without it
 * (or when it is empty) the tile answers the search the agent typed into it, else the last user message.
 */
export const knowledgeTileSchema = z.strictObject({
  type: z.literal("knowledgeTile"),
  tile: tileId,
  query: expression.optional(),
  copyable,
  next,
});

export type KnowledgeTileNode = WithId<z.output<typeof knowledgeTileSchema>>;

export const knowledgeTileNode: NodeDefinition<KnowledgeTileNode> = {
  type: "knowledgeTile",
  kinds: copilotOnly,
  schema: knowledgeTileSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    const query = node.query === undefined ? "" : toText(evaluate(node.query.ast, runtime.scope)).trim();
    emitTile(runtime, node.id, node.tile, {
      kind: "knowledge",
      copyable: node.copyable,
      ...(query === "" ? {} : { query }),
    });
    return { kind: "continue", next: node.next };
  },
};
