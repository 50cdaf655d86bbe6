import { reconnectDelay } from "./backoff.ts";

/**
 * A WebSocket that reconnects by itself with backoff (backoff.ts). It knows nothing about the protocol:
 * the page says hello in `onOpen` and calls `markHealthy()` when the server answers `ready`, which resets the
 * backoff (a socket that opens and is closed at once by the server keeps backing off). The web chat and the
 * Copilot workspace both use it.
 */
export interface ReconnectingSocket {
  start(): void;
  /** False when not open; the caller keeps the frame (chat-state resends on `ready`). */
  send(text: string): boolean;
  markHealthy(): void;
  /** Skip the remaining wait (the browser came back online). */
  reconnectNow(): void;
  /** For good: no reconnect follows (the page goes away, or the server refused for good). */
  stop(): void;
}

export interface ReconnectingSocketOptions {
  readonly url: string;
  readonly onOpen: () => void;
  readonly onMessage: (data: unknown) => void;
  /** Once per lost or failed connection; `retryInMs` is undefined when no retry follows. */
  readonly onClose: (info: { readonly code: number; readonly retryInMs: number | undefined }) => void;
  readonly createSocket?: (url: string) => WebSocket;
  readonly delay?: (attempt: number) => number;
  /** A socket that opens but is not marked healthy within this time is closed and retried (default none). */
  readonly readyTimeoutMs?: number;
  /** Close codes after which the socket stops for good (a refused link); default none. */
  readonly isFinalClose?: (code: number) => boolean;
}

export function createReconnectingSocket(options: ReconnectingSocketOptions): ReconnectingSocket {
  const createSocket = options.createSocket ?? ((url: string) => new WebSocket(url));
  const delay = options.delay ?? ((attempt: number) => reconnectDelay(attempt));
  let socket: WebSocket | undefined;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let readyTimer: ReturnType<typeof setTimeout> | undefined;
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
      if (socket !== current) return;
      if (options.readyTimeoutMs !== undefined) {
        readyTimer = setTimeout(() => current.close(4000, "no ready"), options.readyTimeoutMs);
      }
      options.onOpen();
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

  const clearReadyTimer = (): void => {
    if (readyTimer !== undefined) clearTimeout(readyTimer);
    readyTimer = undefined;
  };

  const scheduleRetry = (code: number): void => {
    clearReadyTimer();
    if (stopped || options.isFinalClose?.(code) === true) {
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
    send(text) {
      if (socket?.readyState !== WebSocket.OPEN) return false;
      socket.send(text);
      return true;
    },
    markHealthy() {
      attempt = 0;
      clearReadyTimer();
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
      clearReadyTimer();
      const current = socket;
      socket = undefined;
      current?.close(1000, "closed by the page");
    },
  };
}
