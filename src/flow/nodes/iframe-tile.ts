import { z } from "zod";
import { renderTemplate } from "../expressions/index.ts";
import { renderJsonTemplate } from "../json-template.ts";
import { emitTile, literalHttpOrigin, tileId } from "./copilot-fields.ts";
import { jsonTemplate, next, template } from "./fields.ts";
import { copilotOnly, targetsOf, type NodeDefinition, type WithId } from "./node.ts";

/**
 * Embeds a page (`url`, a template with a literal http(s) origin; inserted values are percent-encoded).
 * `data` reaches it by postMessage; it may call `SDK.postback(value)` like an HTML tile.
 */
export const iframeTileSchema = z.strictObject({
  type: z.literal("iframeTile"),
  tile: tileId,
  url: template.refine(literalHttpOrigin, {
    error: "an http:// or https:// URL whose scheme, host and port are written literally",
  }),
  data: jsonTemplate({ object: false }).optional(),
  next,
});

export type IframeTileNode = WithId<z.output<typeof iframeTileSchema>>;

export const iframeTileNode: NodeDefinition<IframeTileNode> = {
  type: "iframeTile",
  kinds: copilotOnly,
  schema: iframeTileSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    const url = renderTemplate(node.url, runtime.scope, encodeURIComponent);
    const data = node.data === undefined ? undefined : renderJsonTemplate(node.data, runtime.scope, "value");
    emitTile(runtime, node.id, node.tile, { kind: "iframe", url, ...(data === undefined ? {} : { data }) });
    return { kind: "continue", next: node.next };
  },
};
