import { onTestFinished } from "vitest";
import WebSocket from "ws";
import type {
  CopilotClientFrame,
  CopilotServerFrame,
  CopilotTile,
  CopilotWorkspaceState,
} from "../../src/protocol/copilot.ts";
import { waitFor } from "./wait-for.ts";

export interface CopilotTestClient {
  readonly frames: CopilotServerFrame[];
  /** The close code once the server closed the socket. */
  closedWith(): number | undefined;
  send(frame: CopilotClientFrame | Record<string, unknown>): void;
  /** The latest tile `id` as the workspace would show it (state, then tile frames), once `match` holds. */
  waitForTile(id: string, match: (tile: CopilotTile) => boolean, timeoutMs?: number): Promise<CopilotTile>;
  waitForFrame<T extends CopilotServerFrame>(
    match: (f: CopilotServerFrame) => f is T,
    timeoutMs?: number,
  ): Promise<T>;
  waitForClose(timeoutMs?: number): Promise<number>;
  state(): CopilotWorkspaceState | undefined;
  /** The workspace as the app shows it: the last state with every newer tile over it, and its version. */
  shown(): { readonly workspace: CopilotWorkspaceState; readonly version: number } | undefined;
  close(): void;
}

/** `/copilot/ws?…` from a workspace link (`http://…/copilot/?userId=…`) or from a gateway URL and parameters. */
export function copilotSocketUrl(link: string): string {
  const url = new URL(link);
  return `${url.origin.replace(/^http/, "ws")}/copilot/ws${url.search}`;
}

/**
 * Opens a workspace socket and records what arrives; folds state and tile frames like the app does (a state
 * of an older workspace version than shown is ignored, a tile no newer than the one shown too).
 */
export function connectCopilot(socketUrl: string): CopilotTestClient {
  const socket = new WebSocket(socketUrl);
  const frames: CopilotServerFrame[] = [];
  let closeCode: number | undefined;
  let state: CopilotWorkspaceState | undefined;
  let version = 0;
  const tiles = new Map<string, CopilotTile>();
  socket.on("message", (raw: Buffer) => {
    const frame = JSON.parse(raw.toString("utf8")) as CopilotServerFrame;
    frames.push(frame);
    if (frame.type === "state" && (state === undefined || frame.workspaceVersion >= version)) {
      state = frame.state;
      version = frame.workspaceVersion;
      tiles.clear();
      for (const tile of frame.state.tiles) tiles.set(tile.id, tile);
    }
    if (frame.type === "tile" && (tiles.get(frame.tile.id)?.version ?? -1) < frame.tile.version) {
      tiles.set(frame.tile.id, frame.tile);
      version = Math.max(version, frame.workspaceVersion);
    }
  });
  socket.on("close", (code) => {
    closeCode = code;
  });
  socket.on("error", () => {});
  onTestFinished(() => socket.close());
  return {
    frames,
    closedWith: () => closeCode,
    send(frame) {
      const sendNow = () => socket.send(JSON.stringify(frame));
      if (socket.readyState === WebSocket.OPEN) sendNow();
      else socket.once("open", sendNow);
    },
    waitForTile(id, match, timeoutMs = 10_000) {
      return waitFor(
        () => {
          const tile = tiles.get(id);
          return tile !== undefined && match(tile) ? tile : undefined;
        },
        timeoutMs,
        `tile ${id}`,
      );
    },
    waitForFrame(match, timeoutMs = 10_000) {
      return waitFor(() => frames.find(match), timeoutMs, "a copilot frame");
    },
    waitForClose(timeoutMs = 10_000) {
      return waitFor(() => closeCode, timeoutMs, "the socket to close");
    },
    state: () => state,
    shown: () =>
      state === undefined
        ? undefined
        : { workspace: { ...state, tiles: state.tiles.map((t) => tiles.get(t.id) ?? t) }, version },
    close: () => socket.close(),
  };
}

/** The Copilot link the gateway posted to the agent of `conversationId`, once it is there (10 s at most). */
export function copilotLinkAtAgent(
  agent: { messages(conversationId: string): Promise<readonly { readonly text: string }[]> },
  conversationId: string,
): Promise<string> {
  return waitFor(
    async () =>
      (await agent.messages(conversationId))
        .find((m) => m.text.includes("/copilot/?"))
        ?.text.match(/https?:\/\/\S+/)?.[0],
    10_000,
    "the copilot link at the agent",
  );
}
