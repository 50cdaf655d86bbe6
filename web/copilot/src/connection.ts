import type { CopilotClientFrame } from "../../../src/protocol/copilot.ts";
import { reconnectDelay } from "./backoff.ts";
import { isRefusalClose } from "./page-config.ts";

/**
 * The workspace's WebSocket: reconnects with backoff (backoff.ts) unless the gateway refused the link
 * (close 4401/4403/4404) or the page stopped it. The backoff resets when the page calls `markHealthy()`, on
 * the `state` frame, so a socket the server accepts and closes at once keeps backing off.
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

export interface CopilotSocketOptions {
  readonly url: string;
  readonly onOpen: () => void;
  readonly onMessage: (data: unknown) => void;
  /** Once per lost or failed connection; `retryInMs` is undefined when no retry follows. */
  readonly onClose: (info: { readonly code: number; readonly retryInMs: number | undefined }) => void;
  readonly createSocket?: (url: string) => WebSocket;
  readonly delay?: (attempt: number) => number;
}

export function createCopilotSocket(options: CopilotSocketOptions): CopilotSocket {
  const createSocket = options.createSocket ?? ((url: string) => new WebSocket(url));
  const delay = options.delay ?? ((attempt: number) => reconnectDelay(attempt));
  let socket: WebSocket | undefined;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const connect = (): void => {
    retryTimer = undefined;
    if (stopped) return;
    let current: WebSocket;
    try {
      current = createSocket(options.url);
    } catch {
      scheduleRetry(1006);
      return;
    }
    socket = current;
    current.addEventListener("open", () => {
      if (socket === current) options.onOpen();
    });
    current.addEventListener("message", (event: MessageEvent) => {
      if (socket === current) options.onMessage(event.data);
    });
    // `error` is always followed by `close`, so only `close` drives the retry.
    current.addEventListener("close", (event: CloseEvent) => {
      if (socket !== current) return;
      socket = undefined;
      scheduleRetry(event.code);
    });
  };

  const scheduleRetry = (code: number): void => {
    if (stopped || isRefusalClose(code)) {
      stopped = true;
      options.onClose({ code, retryInMs: undefined });
      return;
    }
    const retryInMs = delay(attempt);
    attempt += 1;
    options.onClose({ code, retryInMs });
    retryTimer = setTimeout(connect, retryInMs);
  };

  return {
    start: connect,
    send(frame) {
      if (socket?.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(frame));
      return true;
    },
    markHealthy() {
      attempt = 0;
    },
    reconnectNow() {
      if (retryTimer === undefined || stopped) return;
      clearTimeout(retryTimer);
      connect();
    },
    stop() {
      stopped = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      retryTimer = undefined;
      const current = socket;
      socket = undefined;
      current?.close(1000, "closed by the page");
    },
  };
}
