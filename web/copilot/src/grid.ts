import type { CopilotGrid, TilePlacement } from "../../../src/protocol/copilot.ts";

/**
 * Grid layout as plain data: CSS custom properties the stylesheet turns into `grid-template-*` and
 * `grid-column`/`grid-row` (so a narrow screen can stack the tiles with one media query). Pure, tested
 * without a DOM. Coordinates are 1-based, like Cognigy.AI's Agent Copilot grid.
 */

/** CSS custom properties, applied through React's `style`. */
export type CssVariables = Readonly<Record<`--${string}`, string>>;

const maxTracks = 24;

export interface GridLayout {
  readonly style: CssVariables;
  /** The background, if it was given and is a plain colour. */
  readonly background?: string;
  /** A background that was given but refused (not a plain colour: no `url()`, no expressions). */
  readonly rejectedBackground?: string;
}

export function gridLayout(grid: CopilotGrid): GridLayout {
  const columns = clampInt(grid.columns, 1, maxTracks);
  const rows = clampInt(grid.rows, 1, maxTracks);
  const gap = clampInt(grid.gap, 0, 64);
  const style: Record<`--${string}`, string> = {
    "--grid-columns": String(columns),
    "--grid-rows": String(rows),
    "--grid-gap": `${gap}px`,
  };
  if (grid.background === undefined || grid.background.trim() === "") return { style };
  const background = safeCssColor(grid.background);
  if (background === undefined) return { style, rejectedBackground: grid.background };
  style["--grid-background"] = background;
  return { style, background };
}

export interface TileLayout {
  readonly style: CssVariables;
  /** True when the placement did not fit the grid and was moved or shrunk into it. */
  readonly adjusted: boolean;
}

/** `grid-column: x / span columns`, clamped into the grid. */
export function tileLayout(placement: TilePlacement, grid: CopilotGrid): TileLayout {
  const gridColumns = clampInt(grid.columns, 1, maxTracks);
  const gridRows = clampInt(grid.rows, 1, maxTracks);
  const column = fit(placement.x, placement.columns, gridColumns);
  const row = fit(placement.y, placement.rows, gridRows);
  return {
    style: {
      "--tile-column": `${column.start} / span ${column.span}`,
      "--tile-row": `${row.start} / span ${row.span}`,
    },
    adjusted: column.adjusted || row.adjusted,
  };
}

function fit(
  start: number,
  span: number,
  tracks: number,
): { start: number; span: number; adjusted: boolean } {
  const s = clampInt(start, 1, tracks);
  const n = clampInt(span, 1, tracks - s + 1);
  return { start: s, span: n, adjusted: s !== start || n !== span };
}

function clampInt(value: number, min: number, max: number): number {
  if (!Number.isFinite(value)) return min;
  return Math.min(max, Math.max(min, Math.round(value)));
}

/**
 * The colour if it is a plain CSS colour: `#rgb`/`#rrggbb(aa)`, `rgb()/rgba()/hsl()/hsla()` with numbers, or
 * a colour keyword. Anything else (`url(...)` would fetch an external image) is refused.
 */
export function safeCssColor(value: string): string | undefined {
  const v = value.trim();
  if (/^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(v)) return v;
  if (/^(?:rgba?|hsla?)\(\s*[\d.%\s,/+-]+(?:deg)?[\d.%\s,/+-]*\)$/i.test(v)) return v;
  if (/^[a-z]{3,20}$/i.test(v)) return v.toLowerCase();
  return undefined;
}
