import { z } from "zod";
import { renderTemplate } from "../expressions/index.ts";
import { emitTile, literalHttpOrigin, tileId } from "./copilot-fields.ts";
import { next, template } from "./fields.ts";
import { copilotOnly, targetsOf, type NodeDefinition, type WithId } from "./node.ts";

/**
 * A profile card: `fields` maps a label to a template (`Name: "{{ context.name }}"`), shown in order; a
 * field that renders empty is left out. `imageUrl` must start with a literal http(s) origin.
 */
export const identityTileSchema = z.strictObject({
  type: z.literal("identityTile"),
  tile: tileId,
  fields: z
    .record(z.string().min(1, { error: "a non-empty label" }), template, {
      error: "an object of label: text",
    })
    .refine((fields) => Object.keys(fields).length > 0 && Object.keys(fields).length <= 30, {
      error: "from 1 to 30 fields",
    }),
  imageUrl: template
    .refine(literalHttpOrigin, {
      error: "an http:// or https:// URL whose scheme, host and port are written literally",
    })
    .optional(),
  layout: z.enum(["horizontal", "vertical"], { error: "horizontal or vertical" }).default("vertical"),
  next,
});

export type IdentityTileNode = WithId<z.output<typeof identityTileSchema>>;

export const identityTileNode: NodeDefinition<IdentityTileNode> = {
  type: "identityTile",
  kinds: copilotOnly,
  schema: identityTileSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    const fields = Object.entries(node.fields)
      .map(([label, value]) => ({ label, value: renderTemplate(value, runtime.scope) }))
      .filter((field) => field.value !== "");
    const imageUrl =
      node.imageUrl === undefined
        ? undefined
        : renderTemplate(node.imageUrl, runtime.scope, encodeURIComponent);
    emitTile(runtime, node.id, node.tile, {
      kind: "identity",
      fields,
      layout: node.layout,
      ...(imageUrl === undefined ? {} : { imageUrl }),
    });
    return { kind: "continue", next: node.next };
  },
};
