import type { CopilotGridSpec } from "../flow/types.ts";
import type { CopilotWorkspaceState } from "../protocol/copilot.ts";

/**
 * The grid a workspace has until its copilot flow runs a setGrid node: 3 × 3 with the plug-and-play tiles.
 * The transcript on the left is live on its own; the other tiles are filled by the flow's tile nodes with
 * these ids (summary, sentiment, knowledge, nextAction, identity).
 */
export const defaultGrid: CopilotGridSpec = {
  grid: { columns: 3, rows: 3, gap: 8 },
  tiles: {
    transcript: { placement: { x: 1, y: 1, columns: 1, rows: 3 }, title: "Transcript" },
    summary: { placement: { x: 2, y: 1, columns: 2, rows: 1 }, title: "Summary" },
    sentiment: { placement: { x: 2, y: 2, columns: 1, rows: 1 }, title: "Sentiment" },
    identity: { placement: { x: 3, y: 2, columns: 1, rows: 1 }, title: "Customer" },
    knowledge: { placement: { x: 2, y: 3, columns: 1, rows: 1 }, title: "Knowledge" },
    nextAction: { placement: { x: 3, y: 3, columns: 1, rows: 1 }, title: "Next action" },
  },
};

/** A workspace before its copilot flow first ran: the default grid, every tile empty. */
export function emptyWorkspace(sessionKey: string): CopilotWorkspaceState {
  return {
    sessionKey,
    grid: defaultGrid.grid,
    tiles: Object.entries(defaultGrid.tiles).map(([id, { placement, title }]) => ({
      id,
      placement,
      ...(title === undefined ? {} : { title }),
      version: 0,
    })),
    problems: [],
  };
}
