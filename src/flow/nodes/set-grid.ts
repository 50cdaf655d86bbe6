import { z } from "zod";
import { tileId } from "./copilot-fields.ts";
import { next } from "./fields.ts";
import { copilotOnly, targetsOf, type NodeDefinition, type WithId } from "./node.ts";

const cells = (what: string) =>
  z
    .int({ error: `a whole number of ${what} from 1 to 24` })
    .min(1, { error: `a whole number of ${what} from 1 to 24` })
    .max(24, { error: `a whole number of ${what} from 1 to 24` });

const placement = z.strictObject({
  x: cells("columns"),
  y: cells("rows"),
  columns: cells("columns"),
  rows: cells("rows"),
  title: z.string({ error: "a title (a string)" }).max(200).optional(),
});

const cssColour = /^(#[0-9a-fA-F]{3,8}|rgba?\([0-9 ,.%]+\)|[a-zA-Z]{3,20})$/;

/**
 * Sets the workspace grid: `columns` × `rows` cells with `gap` pixels between tiles, and each tile's start
 * cell (`x`, `y`, 1-based) and span. Kept for the session until another setGrid runs; tiles that keep their
 * id keep their content, tiles no longer in the grid are removed.
 */
export const setGridSchema = z
  .strictObject({
    type: z.literal("setGrid"),
    columns: cells("columns"),
    rows: cells("rows"),
    gap: z.int({ error: "a whole number of pixels from 0 to 64" }).min(0).max(64).default(8),
    background: z
      .string()
      .regex(cssColour, { error: "a CSS colour (#f5f7fa, rgb(…), or a colour name)" })
      .optional(),
    tiles: z
      .record(tileId, placement, { error: "an object of tile id: {x, y, columns, rows, title?}" })
      .refine((tiles) => Object.keys(tiles).length > 0, { error: "at least one tile" }),
    next,
  })
  .superRefine((node, ctx) => {
    for (const [id, tile] of Object.entries(node.tiles)) {
      if (tile.x + tile.columns - 1 > node.columns)
        ctx.addIssue({
          code: "custom",
          path: ["tiles", id, "columns"],
          message: `a span that fits the grid's ${node.columns} columns (x + columns - 1 <= ${node.columns})`,
        });
      if (tile.y + tile.rows - 1 > node.rows)
        ctx.addIssue({
          code: "custom",
          path: ["tiles", id, "rows"],
          message: `a span that fits the grid's ${node.rows} rows (y + rows - 1 <= ${node.rows})`,
        });
    }
  });

export type SetGridNode = WithId<z.output<typeof setGridSchema>>;

export const setGridNode: NodeDefinition<SetGridNode> = {
  type: "setGrid",
  kinds: copilotOnly,
  schema: setGridSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    const tiles = Object.fromEntries(
      Object.entries(node.tiles).map(([id, { title, ...placement }]) => [
        id,
        { placement, ...(title === undefined ? {} : { title }) },
      ]),
    );
    runtime.action({
      type: "copilot.grid",
      nodeId: node.id,
      spec: {
        grid: {
          columns: node.columns,
          rows: node.rows,
          gap: node.gap,
          ...(node.background === undefined ? {} : { background: node.background }),
        },
        tiles,
      },
    });
    return { kind: "continue", next: node.next };
  },
};
