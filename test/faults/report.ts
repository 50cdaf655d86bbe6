import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { DirectionFigures } from "./delivery-ledger.ts";

const rows: readonly [label: string, pick: (f: DirectionFigures) => number | null][] = [
  ["sent", (f) => f.sent],
  ["delivered", (f) => f.delivered],
  ["lost", (f) => f.lost],
  ["duplicated", (f) => f.duplicated],
  ["out of order", (f) => f.outOfOrder],
  ["unexpected", (f) => f.unexpected],
  ["lag p50 (ms)", (f) => f.lagP50Ms],
  ["lag p99 (ms)", (f) => f.lagP99Ms],
  ["lag max (ms)", (f) => f.lagMaxMs],
  ["throughput (msg/s)", (f) => f.throughputPerSecond],
];

/**
 * One direction's figures as a plain-text table, labels left and values right-aligned, so two runs can be
 * compared line by line in a CI log.
 *
 * @example
 * directionTable("user → agent", figures)
 * // user → agent
 * //   sent                 10000
 * //   ...
 */
export function directionTable(title: string, figures: DirectionFigures): string {
  const cells = rows.map(([label, pick]) => [label, formatValue(pick(figures))] as const);
  const labelWidth = Math.max(...cells.map(([label]) => label.length));
  const valueWidth = Math.max(...cells.map(([, value]) => value.length));
  return [
    title,
    ...cells.map(([label, value]) => `  ${label.padEnd(labelWidth)}  ${value.padStart(valueWidth)}`),
  ].join("\n");
}

function formatValue(value: number | null): string {
  if (value === null) return "-";
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** Writes `value` as indented JSON, creating the folder first. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}
