import type {
  CopilotGrid,
  CopilotProblem,
  CopilotServerFrame,
  CopilotTile,
} from "../../../src/protocol/copilot.ts";
import { gridLayout, tileLayout } from "./grid.ts";
import type { MessageKey } from "./messages.ts";
import { isRefusalClose, isRefusalErrorCode } from "./page-config.ts";
import { isRecord } from "./server-frames.ts";

/**
 * The workspace as the page shows it, changed only by `reduce(model, event)`: pure, tested without a DOM.
 * The server is the source of truth: the `state` frame of every (re)connect replaces grid, tiles and the
 * server's problems; a `tile` frame older than (or as old as) the tile shown is ignored, and so is a `state`
 * or `sendData` frame of an older workspace version than the page shows on the same connection (frames
 * carry the stored workspace's version, so the page never steps back to an older workspace). A `state` frame also
 * comes while live when only the handover's status changed: a tile it carries unchanged keeps the very object
 * shown (so React repaints nothing, a frame tile is not sent its data again), and searches still waiting for
 * their answer stay pending. Problems are never
 * dropped silently: server problems, errors, broken frames, data for unknown tiles and placements that do
 * not fit the grid all end up in `problems` until the agent dismisses them.
 */

export type ConnectionStatus =
  | { readonly phase: "connecting" }
  | { readonly phase: "live" }
  | { readonly phase: "reconnecting"; readonly code: number; readonly retryInMs: number }
  /** Terminal: the gateway refused the link (error frame or close 4401/4403/4404). */
  | { readonly phase: "refused"; readonly code: string };

export interface ShownProblem {
  /** Stable identity: the same problem arriving again (re-sync after reconnect) is shown once. */
  readonly key: string;
  readonly code: string;
  /** The server's text; for the page's own problems, `local` is translated instead. */
  readonly message: string;
  readonly local?: { readonly key: MessageKey; readonly params: Readonly<Record<string, string>> };
  readonly tileId?: string;
  readonly at: string;
}

export interface WorkspaceModel {
  readonly connection: ConnectionStatus;
  /** False until the first `state` frame: the page shows "Loading" rather than an empty grid. */
  readonly loaded: boolean;
  readonly sessionKey?: string;
  readonly handoverState?: string;
  readonly grid: CopilotGrid;
  readonly tiles: readonly CopilotTile[];
  readonly problems: readonly ShownProblem[];
  /** Keys the agent dismissed, so a re-sync does not bring them back. */
  readonly dismissed: readonly string[];
  /** Knowledge searches sent and not yet answered by a newer tile version: tile id → query. */
  readonly pendingSearches: Readonly<Record<string, string>>;
  /** The newest stored workspace version the frames shown came from (0 before any). */
  readonly workspaceVersion: number;
}

export type WorkspaceEvent =
  | { readonly type: "frame"; readonly frame: CopilotServerFrame; readonly now: string }
  | { readonly type: "invalidFrame"; readonly detail: string; readonly now: string }
  | { readonly type: "connecting" }
  | { readonly type: "closed"; readonly code: number; readonly retryInMs: number }
  | { readonly type: "dismissProblem"; readonly key: string }
  | { readonly type: "dismissAllProblems" }
  | { readonly type: "searchSent"; readonly tileId: string; readonly query: string }
  | { readonly type: "notSent"; readonly tileId: string; readonly now: string };

/** The most problems kept on screen; older ones go first. */
export const maxProblems = 50;
const maxDismissed = 500;

export const initialWorkspaceModel: WorkspaceModel = {
  connection: { phase: "connecting" },
  loaded: false,
  grid: { columns: 3, rows: 3, gap: 8 },
  tiles: [],
  problems: [],
  dismissed: [],
  pendingSearches: {},
  workspaceVersion: 0,
};

export function reduce(model: WorkspaceModel, event: WorkspaceEvent): WorkspaceModel {
  if (model.connection.phase === "refused") return model;
  switch (event.type) {
    case "frame":
      return applyFrame(model, event.frame, event.now);
    case "invalidFrame":
      return addProblems(model, [
        localProblem("bad_frame", { key: "problemBadFrame", params: {} }, event.now, undefined, event.detail),
      ]);
    case "connecting":
      return { ...model, connection: { phase: "connecting" } };
    case "closed":
      return isRefusalClose(event.code)
        ? { ...model, connection: { phase: "refused", code: `close ${event.code}` } }
        : { ...model, connection: { phase: "reconnecting", code: event.code, retryInMs: event.retryInMs } };
    case "dismissProblem":
      return dismiss(model, [event.key]);
    case "dismissAllProblems":
      return dismiss(
        model,
        model.problems.map((p) => p.key),
      );
    case "searchSent":
      return { ...model, pendingSearches: { ...model.pendingSearches, [event.tileId]: event.query } };
    case "notSent":
      return addProblems(model, [
        localProblem("not_sent", { key: "notConnected", params: {} }, event.now, event.tileId, event.now),
      ]);
  }
}

function applyFrame(model: WorkspaceModel, frame: CopilotServerFrame, now: string): WorkspaceModel {
  switch (frame.type) {
    case "state": {
      const { state } = frame;
      // After a reconnect the new connection's state is the truth, whatever the old one showed.
      if (model.connection.phase === "live" && isOlder(frame, model)) return model;
      const serverProblems = state.problems.map(serverProblem);
      const localOnes = model.problems.filter((p) => p.local !== undefined);
      const shown = new Map(model.tiles.map((t) => [t.id, t]));
      const tiles = dedupeTiles(state.tiles).map((tile) => keepUnchanged(shown.get(tile.id), tile));
      const synced: WorkspaceModel = {
        ...model,
        connection: { phase: "live" },
        loaded: true,
        sessionKey: state.sessionKey,
        handoverState: state.handoverState,
        grid: state.grid,
        tiles,
        problems: [],
        // After a reconnect a search may have been lost with the old socket; on the same socket its answer
        // is still to come.
        pendingSearches:
          model.connection.phase === "live" ? stillPending(model.pendingSearches, shown, tiles) : {},
        workspaceVersion: frame.workspaceVersion,
      };
      return addProblems(synced, [
        ...localOnes,
        ...serverProblems,
        ...layoutProblems(state.grid, state.tiles, now),
      ]);
    }
    case "tile": {
      const { tile } = frame;
      const index = model.tiles.findIndex((t) => t.id === tile.id);
      const current = index >= 0 ? model.tiles[index] : undefined;
      if (current !== undefined && tile.version <= current.version) return model;
      const tiles = index >= 0 ? model.tiles.map((t, i) => (i === index ? tile : t)) : [...model.tiles, tile];
      const { [tile.id]: _answered, ...pendingSearches } = model.pendingSearches;
      const workspaceVersion = Math.max(model.workspaceVersion, frame.workspaceVersion);
      return addProblems(
        { ...model, tiles, pendingSearches, workspaceVersion },
        layoutProblems(model.grid, [tile], now),
      );
    }
    case "sendData": {
      // Data of an older workspace than the one shown would overwrite newer data.
      if (isOlder(frame, model)) return model;
      const index = model.tiles.findIndex((t) => t.id === frame.tileId);
      const tile = index >= 0 ? model.tiles[index] : undefined;
      if (tile === undefined) {
        return addProblems(model, [
          localProblem(
            "unknown_tile",
            { key: "problemUnknownTile", params: { tileId: frame.tileId } },
            now,
            frame.tileId,
            now,
          ),
        ]);
      }
      const content = tile.content;
      if (content?.kind !== "html" && content?.kind !== "iframe") {
        return addProblems(model, [
          localProblem(
            "not_data_tile",
            { key: "problemNotDataTile", params: { tileId: frame.tileId } },
            now,
            frame.tileId,
            now,
          ),
        ]);
      }
      // Same version: data is not a new tile version, and the content (html/url) stays, so no reload.
      const updated: CopilotTile = { ...tile, content: { ...content, data: frame.data } };
      return { ...model, tiles: model.tiles.map((t, i) => (i === index ? updated : t)) };
    }
    case "problem":
      return addProblems(model, [serverProblem(frame.problem)]);
    case "error":
      if (isRefusalErrorCode(frame.code)) {
        return { ...model, connection: { phase: "refused", code: frame.code } };
      }
      return addProblems(model, [
        {
          // Without a time: the same error on every reconnect attempt (4429) is shown once.
          key: `error|${frame.code}|${frame.message}`,
          code: frame.code,
          message: frame.message,
          at: now,
        },
      ]);
  }
}

/**
 * A frame of an older workspace version than the page shows. Equal is not older: a state and the sendData
 * after it come from the same saved update.
 */
function isOlder(frame: { readonly workspaceVersion: number }, model: WorkspaceModel): boolean {
  return frame.workspaceVersion < model.workspaceVersion;
}

/** The last tile of an id wins, keeping the order of first appearance. */
function dedupeTiles(tiles: readonly CopilotTile[]): readonly CopilotTile[] {
  const byId = new Map<string, CopilotTile>();
  for (const tile of tiles) byId.set(tile.id, tile);
  return [...byId.values()];
}

/** The tile shown when the server sent it again unchanged; its content shown when only the rest changed. */
function keepUnchanged(current: CopilotTile | undefined, incoming: CopilotTile): CopilotTile {
  if (current === undefined) return incoming;
  if (sameJson(current, incoming)) return current;
  if (current.content !== undefined && sameJson(current.content, incoming.content)) {
    return { ...incoming, content: current.content };
  }
  return incoming;
}

/** Searches whose tile is still in the grid and has no newer version than when the search was sent. */
function stillPending(
  pending: Readonly<Record<string, string>>,
  shown: ReadonlyMap<string, CopilotTile>,
  tiles: readonly CopilotTile[],
): Readonly<Record<string, string>> {
  const versions = new Map(tiles.map((t) => [t.id, t.version]));
  return Object.fromEntries(
    Object.entries(pending).filter(([id]) => {
      const version = versions.get(id);
      return version !== undefined && version <= (shown.get(id)?.version ?? 0);
    }),
  );
}

/** Equality of JSON values (frames are parsed JSON, so no functions, dates or cycles). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]))
    );
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]))
  );
}

function serverProblem(problem: CopilotProblem): ShownProblem {
  return {
    key: `server|${problem.code}|${problem.tileId ?? ""}|${problem.at}|${problem.message}`,
    code: problem.code,
    message: problem.message,
    at: problem.at,
    ...(problem.tileId !== undefined ? { tileId: problem.tileId } : {}),
  };
}

function localProblem(
  code: string,
  local: NonNullable<ShownProblem["local"]>,
  at: string,
  tileId: string | undefined,
  discriminator: string,
): ShownProblem {
  return {
    key: `local|${code}|${tileId ?? ""}|${discriminator}`,
    code,
    message: "",
    local,
    at,
    ...(tileId !== undefined ? { tileId } : {}),
  };
}

/** Placements that do not fit the grid, and a refused background: shown once per distinct layout. */
function layoutProblems(grid: CopilotGrid, tiles: readonly CopilotTile[], now: string): ShownProblem[] {
  const size = { columns: String(grid.columns), rows: String(grid.rows) };
  const problems: ShownProblem[] = [];
  const rejected = gridLayout(grid).rejectedBackground;
  if (rejected !== undefined) {
    problems.push(
      localProblem(
        "bad_background",
        { key: "problemBadBackground", params: { value: rejected } },
        now,
        undefined,
        rejected,
      ),
    );
  }
  for (const tile of tiles) {
    if (!tileLayout(tile.placement, grid).adjusted) continue;
    const p = tile.placement;
    problems.push(
      localProblem(
        "outside_grid",
        { key: "problemOutsideGrid", params: { tileId: tile.id, ...size } },
        now,
        tile.id,
        `${p.x},${p.y},${p.columns},${p.rows}@${grid.columns}x${grid.rows}`,
      ),
    );
  }
  return problems;
}

function addProblems(model: WorkspaceModel, incoming: readonly ShownProblem[]): WorkspaceModel {
  if (incoming.length === 0) return model;
  const seen = new Set([...model.problems.map((p) => p.key), ...model.dismissed]);
  const added: ShownProblem[] = [];
  for (const problem of incoming) {
    if (seen.has(problem.key)) continue;
    seen.add(problem.key);
    added.push(problem);
  }
  if (added.length === 0 && model.problems.length <= maxProblems) return model;
  return { ...model, problems: [...model.problems, ...added].slice(-maxProblems) };
}

function dismiss(model: WorkspaceModel, keys: readonly string[]): WorkspaceModel {
  const gone = new Set(keys);
  return {
    ...model,
    problems: model.problems.filter((p) => !gone.has(p.key)),
    // Errors are not remembered as dismissed: the same error arriving later is shown again.
    dismissed: [
      ...model.dismissed,
      ...keys.filter((k) => !k.startsWith("error|") && !model.dismissed.includes(k)),
    ].slice(-maxDismissed),
  };
}

/** The tile with that id, if the grid has it. */
export function findTile(model: WorkspaceModel, tileId: string): CopilotTile | undefined {
  return model.tiles.find((t) => t.id === tileId);
}
