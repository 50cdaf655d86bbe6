import { z } from "zod";
import { renderJsonTemplate } from "../json-template.ts";
import { emitTile, tileId } from "./copilot-fields.ts";
import { jsonTemplate, next } from "./fields.ts";
import { copilotOnly, targetsOf, type NodeDefinition, type WithId } from "./node.ts";

/**
 * Your own HTML in a sandboxed iframe. `data` (JSON; a string that is exactly `{{ expr }}` becomes the value)
 * reaches the page by postMessage; the page calls `SDK.postback(value)` to run the copilot flow with
 * `input.trigger == "postback"`. The HTML itself is not a template.
 */
export const htmlTileSchema = z.strictObject({
  type: z.literal("htmlTile"),
  tile: tileId,
  html: z.string({ error: "HTML (a string)" }).min(1).max(200_000),
  data: jsonTemplate({ object: false }).optional(),
  next,
});

export type HtmlTileNode = WithId<z.output<typeof htmlTileSchema>>;

export const htmlTileNode: NodeDefinition<HtmlTileNode> = {
  type: "htmlTile",
  kinds: copilotOnly,
  schema: htmlTileSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    const data = node.data === undefined ? undefined : renderJsonTemplate(node.data, runtime.scope, "value");
    emitTile(runtime, node.id, node.tile, {
      kind: "html",
      html: node.html,
      ...(data === undefined ? {} : { data }),
    });
    return { kind: "continue", next: node.next };
  },
};
