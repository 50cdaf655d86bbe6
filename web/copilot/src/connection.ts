import type { CopilotClientFrame } from "../../../src/protocol/copilot.ts";
import {
  createReconnectingSocket,
  type ReconnectingSocketOptions,
} from "../../webchat/src/reconnecting-socket.ts";
import { isRefusalClose } from "./page-config.ts";

/**
 * The workspace's WebSocket: the web chat's reconnecting socket, sending protocol frames, and stopping for
 * good when the gateway refused the link (close 4401/4403/4404). The backoff resets when the page calls
 * `markHealthy()` on the `state` frame, so a socket the server accepts and closes at once keeps backing off.
 */
export interface CopilotSocket {
  start(): void;
  /** False when not open: the caller tells the agent the action was not sent. */
  send(frame: CopilotClientFrame): boolean;
  markHealthy(): void;
  /** Skip the remaining wait. */
  reconnectNow(): void;
  /** For good (the link was refused or the page goes away). */
  stop(): void;
}

export type CopilotSocketOptions = Omit<ReconnectingSocketOptions, "isFinalClose" | "readyTimeoutMs">;

export function createCopilotSocket(options: CopilotSocketOptions): CopilotSocket {
  const socket = createReconnectingSocket({ ...options, isFinalClose: isRefusalClose });
  return { ...socket, send: (frame) => socket.send(JSON.stringify(frame)) };
}
