import type { CopilotWorkspaceState } from "../protocol/copilot.ts";

/**
 * What the Copilot runner keeps per session in `copilot_workspaces.state`: the workspace the agent sees plus
 * the runner's own bookkeeping. Only the runner writes it; the store keeps it as jsonb.
 */
export interface WorkspaceRecord {
  readonly workspace: CopilotWorkspaceState;
  /** The handover the workspace belongs to (the latest one of the session). */
  readonly handoverId: string;
  /** The last message before the handover started: the summary covers the bot part up to here. */
  readonly handoverStartSeq: number;
  /**
   * Top-level context keys the copilot flow wrote (setContext); never written to the session. Spelt out
   * rather than the store's JsonObject so the store's types can name this record without an import cycle.
   */
  readonly context: Readonly<Record<string, unknown>>;
  /** The agent's latest search per knowledge tile. */
  readonly searches: Readonly<Record<string, string>>;
  /** Per tile, what its content was computed from: the same basis again keeps the content (no repaint). */
  readonly basis: Readonly<Record<string, string>>;
}
