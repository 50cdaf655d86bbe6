/**
 * Field schemas shared by the copilot tile nodes (one file per node: set-grid.ts, transcript-tile.ts, …).
 * Tile nodes run only in copilot flows; each emits a `copilot.tile` (or `copilot.grid`, `copilot.sendData`)
 * action that the copilot runner turns into tile content.
 */
import { z } from "zod";
import type { CopilotTileSpec } from "../node-io.ts";
import { nodeIdPattern } from "./fields.ts";
import type { NodeRuntime } from "./node.ts";

export const tileIdExpectation =
  "a tile id (letters, digits, '-' and '_', starting with a letter, at most 64 characters)";

/** The id of a tile of the grid (whether the grid has it is checked when the flow runs: the grid may change). */
export const tileId = z
  .string({ error: tileIdExpectation })
  .regex(nodeIdPattern, { error: tileIdExpectation });

/** Show a copy button on the tile's suggestion text. */
export const copyable = z.boolean({ error: "true or false" }).default(false);

/** Emits the tile's spec for the runner. */
export function emitTile(runtime: NodeRuntime, nodeId: string, tile: string, spec: CopilotTileSpec): void {
  runtime.action({ type: "copilot.tile", nodeId, tileId: tile, spec });
}

/**
 * The origin of a URL template must be literal (`https://host/` before any `{{ }}`), so a value can change a
 * path or query but never the host (as in httpRequest).
 */
export function literalHttpOrigin(url: { readonly parts: readonly unknown[] }): boolean {
  const first = url.parts[0];
  if (typeof first !== "string") return false;
  if (url.parts.length === 1) return /^https?:\/\/[^/?#\s]+([/?#]|$)/.test(first);
  return /^https?:\/\/[^/?#\s]+[/?#]/.test(first);
}
