import type {
  CopilotProblem,
  CopilotServerFrame,
  CopilotTile,
  CopilotWorkspaceState,
  TileContent,
} from "../../../src/protocol/copilot.ts";

/**
 * Reads one WebSocket text frame from the gateway. The checks are the ones the page relies on (a grid
 * without numbers could not be laid out, a tile or a frame without a version could not be ordered); the result is
 * `ignored` for a frame type this page does not know (the protocol grows by adding types) and `invalid` for
 * a known type with a broken shape, which the workspace shows as a problem rather than dropping silently.
 */
export type ParsedFrame =
  | { readonly kind: "frame"; readonly frame: CopilotServerFrame }
  | { readonly kind: "ignored"; readonly type: string }
  | { readonly kind: "invalid"; readonly detail: string };

export function parseServerFrame(raw: unknown): ParsedFrame {
  if (typeof raw !== "string") return { kind: "invalid", detail: "not a text frame" };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { kind: "invalid", detail: "not JSON" };
  }
  if (!isRecord(value) || typeof value.type !== "string") return { kind: "invalid", detail: "no type" };
  const frame = value as unknown as CopilotServerFrame;
  if (versioned.has(value.type) && !isCount(value.workspaceVersion))
    return { kind: "invalid", detail: `${value.type} without workspaceVersion` };
  switch (value.type) {
    case "state":
      return isState(value.state) ? { kind: "frame", frame } : { kind: "invalid", detail: "state" };
    case "tile":
      return isTile(value.tile) ? { kind: "frame", frame } : { kind: "invalid", detail: "tile" };
    case "sendData":
      return typeof value.tileId === "string" && "data" in value
        ? { kind: "frame", frame }
        : { kind: "invalid", detail: "sendData" };
    case "problem":
      return isProblem(value.problem) ? { kind: "frame", frame } : { kind: "invalid", detail: "problem" };
    case "error":
      return typeof value.code === "string" && typeof value.message === "string"
        ? { kind: "frame", frame }
        : { kind: "invalid", detail: "error" };
    default:
      return { kind: "ignored", type: value.type };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 0;

/** The frame types that carry the stored workspace's version. */
const versioned: ReadonlySet<string> = new Set(["state", "tile", "sendData", "problem"]);

function isState(value: unknown): value is CopilotWorkspaceState {
  if (!isRecord(value) || typeof value.sessionKey !== "string") return false;
  const grid = value.grid;
  return (
    isRecord(grid) &&
    isCount(grid.columns) &&
    isCount(grid.rows) &&
    typeof grid.gap === "number" &&
    Array.isArray(value.tiles) &&
    value.tiles.every(isTile) &&
    Array.isArray(value.problems) &&
    value.problems.every(isProblem)
  );
}

function isTile(value: unknown): value is CopilotTile {
  if (!isRecord(value) || typeof value.id !== "string" || typeof value.version !== "number") return false;
  const p = value.placement;
  if (!isRecord(p) || !isCount(p.x) || !isCount(p.y) || !isCount(p.columns) || !isCount(p.rows)) return false;
  return value.content === undefined || isContent(value.content);
}

const contentKinds: ReadonlySet<TileContent["kind"]> = new Set([
  "transcript",
  "sentiment",
  "knowledge",
  "nextAction",
  "identity",
  "summary",
  "html",
  "iframe",
  "adaptiveCard",
]);

/** The kind and the fields a tile component reads without further checks. */
function isContent(value: unknown): value is TileContent {
  if (!isRecord(value) || typeof value.kind !== "string") return false;
  if (!contentKinds.has(value.kind as TileContent["kind"])) return false;
  switch (value.kind as TileContent["kind"]) {
    case "transcript":
      return (
        Array.isArray(value.lines) && value.lines.every((l) => isRecord(l) && typeof l.text === "string")
      );
    case "sentiment":
      return typeof value.label === "string" && typeof value.score === "number";
    case "knowledge":
      return Array.isArray(value.citations);
    case "nextAction":
      return typeof value.text === "string" && Array.isArray(value.citations);
    case "identity":
      return Array.isArray(value.fields);
    case "summary":
      return typeof value.text === "string";
    case "html":
      return typeof value.html === "string";
    case "iframe":
      return typeof value.url === "string";
    case "adaptiveCard":
      return isRecord(value.card);
  }
}

function isProblem(value: unknown): value is CopilotProblem {
  return isRecord(value) && typeof value.code === "string" && typeof value.message === "string";
}
