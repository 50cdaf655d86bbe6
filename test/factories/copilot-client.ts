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
  close(): void;
}

/** `/copilot/ws?…` from a workspace link (`http://…/copilot/?userId=…`) or from a gateway URL and parameters. */
export function copilotSocketUrl(link: string): string {
  const url = new URL(link);
  return `${url.origin.replace(/^http/, "ws")}/copilot/ws${url.search}`;
}

/** Opens a workspace socket and records what arrives; folds state and tile frames like the app does. */
export function connectCopilot(socketUrl: string): CopilotTestClient {
  const socket = new WebSocket(socketUrl);
  const frames: CopilotServerFrame[] = [];
  let closeCode: number | undefined;
  let state: CopilotWorkspaceState | undefined;
  const tiles = new Map<string, CopilotTile>();
  socket.on("message", (raw: Buffer) => {
    const frame = JSON.parse(raw.toString("utf8")) as CopilotServerFrame;
    frames.push(frame);
    if (frame.type === "state") {
      state = frame.state;
      tiles.clear();
      for (const tile of frame.state.tiles) tiles.set(tile.id, tile);
    }
    if (frame.type === "tile" && (tiles.get(frame.tile.id)?.version ?? -1) < frame.tile.version)
      tiles.set(frame.tile.id, frame.tile);
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
    close: () => socket.close(),
  };
}
