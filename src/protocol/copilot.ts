/**
 * The Agent Copilot workspace protocol, shared by the gateway and web/copilot. Wire types only.
 *
 * The workspace at `/copilot/?userId=&sessionId=&URLToken=[&auth=<JWT>]` opens a WebSocket at
 * `/copilot/ws` with the same query parameters; the server answers with the whole workspace state, then
 * sends each tile as it changes. The state lives in the store, so a reload or a second agent (after a
 * transfer) sees the same workspace.
 */

/** The grid tiles are placed on. Coordinates are 1-based, like Cognigy.AI's Agent Copilot grid. */
export interface CopilotGrid {
  readonly columns: number;
  readonly rows: number;
  /** Pixels between tiles. */
  readonly gap: number;
  /** A CSS colour (`#f5f7fa`) or nothing (default). */
  readonly background?: string;
}

export interface TilePlacement {
  readonly x: number;
  readonly y: number;
  readonly columns: number;
  readonly rows: number;
}

export type SentimentLabel = "positive" | "neutral" | "negative";

export interface Citation {
  /** The document's title (its first heading, else its file name). */
  readonly title: string;
  /** Path relative to the knowledge folder. */
  readonly source: string;
  /** The passage the answer rests on. */
  readonly excerpt: string;
}

export interface TranscriptLine {
  readonly seq: number;
  readonly source: "user" | "bot" | "agent" | "system";
  /** Already redacted as configured (card numbers, e-mails, phone numbers). */
  readonly text: string;
  readonly at: string;
  readonly agentName?: string;
}

/** What a tile shows. One case per tile kind. */
export type TileContent =
  | { readonly kind: "transcript"; readonly lines: readonly TranscriptLine[] }
  | {
      readonly kind: "sentiment";
      readonly label: SentimentLabel;
      /** -1 … 1. */
      readonly score: number;
      /** What it was computed from. */
      readonly basis: "lastInput" | "last10";
      /** `offline` (lexicon) or the model's name. */
      readonly engine: string;
    }
  | {
      readonly kind: "knowledge";
      readonly query?: string;
      readonly answer?: string;
      readonly citations: readonly Citation[];
      /** Set while a search runs. */
      readonly searching?: boolean;
      readonly engine: string;
    }
  | { readonly kind: "nextAction"; readonly text: string; readonly citations: readonly Citation[] }
  | {
      readonly kind: "identity";
      readonly fields: readonly { readonly label: string; readonly value: string }[];
      readonly imageUrl?: string;
      readonly layout: "horizontal" | "vertical";
    }
  | { readonly kind: "summary"; readonly text: string; readonly engine: string }
  | { readonly kind: "html"; readonly html: string; readonly data?: unknown }
  | { readonly kind: "iframe"; readonly url: string; readonly data?: unknown }
  | { readonly kind: "adaptiveCard"; readonly card: Readonly<Record<string, unknown>> };

export type TileKind = TileContent["kind"];

export interface CopilotTile {
  readonly id: string;
  /** What the tile will show, known from the grid before the flow fills it (a knowledge tile shows its
   * search box at once). */
  readonly kind?: TileKind;
  readonly title?: string;
  readonly placement: TilePlacement;
  /** Absent until the copilot flow first fills the tile. */
  readonly content?: TileContent;
  /** Show a copy button on the tile's suggestion text (knowledge answer, next action, summary). */
  readonly copyable?: boolean;
  /** +1 per change; a client ignores an update older than what it shows. */
  readonly version: number;
}

/** Something the copilot flow did wrong, shown in the workspace (never dropped silently). */
export interface CopilotProblem {
  readonly code: string;
  readonly message: string;
  readonly tileId?: string;
  readonly at: string;
}

export interface CopilotWorkspaceState {
  readonly sessionKey: string;
  readonly grid: CopilotGrid;
  readonly tiles: readonly CopilotTile[];
  readonly problems: readonly CopilotProblem[];
  /** The handover as the agent's side sees it (queued, active, …), for a status line. */
  readonly handoverState?: string;
}

/**
 * Server → workspace. `workspaceVersion` is the stored workspace's version the frame belongs to (+1 per
 * saved change; 0 before the workspace exists): frames normally arrive in version order, and a client
 * ignores a `state` or `sendData` older than what it shows, so it never steps back to an older workspace.
 */
export type CopilotServerFrame =
  | { readonly type: "state"; readonly state: CopilotWorkspaceState; readonly workspaceVersion: number }
  | { readonly type: "tile"; readonly tile: CopilotTile; readonly workspaceVersion: number }
  /** New JSON for an HTML or iFrame tile, delivered to it by postMessage without a reload. */
  | {
      readonly type: "sendData";
      readonly tileId: string;
      readonly data: unknown;
      readonly workspaceVersion: number;
    }
  | { readonly type: "problem"; readonly problem: CopilotProblem; readonly workspaceVersion: number }
  | { readonly type: "error"; readonly code: string; readonly message: string };

/** Workspace → server. */
export type CopilotClientFrame =
  /** `SDK.postback(value)` from an HTML/iFrame tile, or an Adaptive Card submit. */
  | { readonly type: "postback"; readonly tileId: string; readonly value: unknown }
  /** A search typed into a knowledge tile. */
  | { readonly type: "search"; readonly tileId: string; readonly query: string };
