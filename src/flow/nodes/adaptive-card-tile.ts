import { z } from "zod";
import { renderJsonTemplate } from "../json-template.ts";
import { emitTile, tileId } from "./copilot-fields.ts";
import { jsonTemplate, next } from "./fields.ts";
import { copilotOnly, targetsOf, type NodeDefinition, type WithId } from "./node.ts";

/**
 * An Adaptive Card (schema 1.5 or earlier; strings may hold templates). An `Action.Submit` comes back as a
 * postback: `input.postback = {tileId, value: <the card's inputs and the action's data>}`.
 */
export const adaptiveCardTileSchema = z.strictObject({
  type: z.literal("adaptiveCardTile"),
  tile: tileId,
  card: jsonTemplate({ object: true }),
  next,
});

export type AdaptiveCardTileNode = WithId<z.output<typeof adaptiveCardTileSchema>>;

export const adaptiveCardTileNode: NodeDefinition<AdaptiveCardTileNode> = {
  type: "adaptiveCardTile",
  kinds: copilotOnly,
  schema: adaptiveCardTileSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    const card = renderJsonTemplate(node.card, runtime.scope, "text") as Readonly<Record<string, unknown>>;
    emitTile(runtime, node.id, node.tile, { kind: "adaptiveCard", card });
    return { kind: "continue", next: node.next };
  },
};
