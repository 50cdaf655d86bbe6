import { z } from "zod";
import { evaluate, renderTemplate, toText } from "../expressions/index.ts";
import { copyable, emitTile, tileId } from "./copilot-fields.ts";
import { expression, next, template } from "./fields.ts";
import { copilotOnly, targetsOf, type NodeDefinition, type WithId } from "./node.ts";

/**
 * What the agent should do or say next: a fixed `text` (a template), or `fromKnowledge: true` for the best
 * answer from the knowledge folder to `query` (an expression; default: the last user message).
 */
export const nextActionTileSchema = z
  .strictObject({
    type: z.literal("nextActionTile"),
    tile: tileId,
    text: template.optional(),
    fromKnowledge: z.literal(true, { error: "true (or leave it out and give text)" }).optional(),
    query: expression.optional(),
    copyable,
    next,
  })
  .refine((node) => (node.text === undefined) !== (node.fromKnowledge === undefined), {
    error: "either text or fromKnowledge: true (exactly one)",
    path: ["text"],
  })
  .refine((node) => node.query === undefined || node.fromKnowledge === true, {
    error: "no query without fromKnowledge: true",
    path: ["query"],
  });

export type NextActionTileNode = WithId<z.output<typeof nextActionTileSchema>>;

export const nextActionTileNode: NodeDefinition<NextActionTileNode> = {
  type: "nextActionTile",
  kinds: copilotOnly,
  schema: nextActionTileSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    if (node.text !== undefined) {
      const text = renderTemplate(node.text, runtime.scope);
      emitTile(runtime, node.id, node.tile, { kind: "nextAction", copyable: node.copyable, text });
    } else {
      const query = node.query === undefined ? "" : toText(evaluate(node.query.ast, runtime.scope)).trim();
      emitTile(runtime, node.id, node.tile, {
        kind: "nextAction",
        copyable: node.copyable,
        ...(query === "" ? {} : { query }),
      });
    }
    return { kind: "continue", next: node.next };
  },
};
