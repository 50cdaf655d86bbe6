import WebSocket from "ws";
import { onTestFinished } from "vitest";
import type { ConversationMessage } from "../../src/protocol/messages.ts";
import type { WebchatClientFrame, WebchatServerFrame } from "../../src/protocol/webchat.ts";
import { waitFor } from "./wait-for.ts";

/** One message frame as it reached the user, with the connection (1, 2, …) it came on. */
export interface ReceivedMessage {
  readonly message: ConversationMessage;
  readonly connection: number;
}

export interface ReconnectingWebchatUser {
  /** Every message frame received on any connection, in arrival order (a replayed one counts again). */
  readonly received: readonly ReceivedMessage[];
  /** The gateway URL the user is (or keeps trying to get) connected to. */
  readonly target: string;
  /** How many connections reached `ready` so far. */
  readonly connections: number;
  /** Queues a user message; it is sent (and resent) until acknowledged. Resolves with the ack's seq. */
  send(text: string): Promise<number>;
  /** Texts sent and not acknowledged yet. */
  unacknowledged(): string[];
  /**
   * Drops the current connection (if any) and connects to `gatewayUrl` instead, as a load balancer does
   * when an instance goes away. Resolves once the new connection is ready.
   */
  moveTo(gatewayUrl: string): Promise<void>;
  /** Resolves once a connection is ready (now or after the next successful reconnect). */
  ready(timeoutMs?: number): Promise<void>;
  close(): void;
}

interface Pending {
  readonly frame: Extract<WebchatClientFrame, { type: "message" }>;
  resolve(seq: number): void;
  sentAt: number;
}

/** How long a message may go unacknowledged on an open connection before it is sent again. */
const resendAfterMs = 3_000;
const reconnectDelayMs = { first: 200, max: 2_000 };

/**
 * A web chat user that behaves like the page (web/webchat), for tests that take gateways, Redis or
 * PostgreSQL away: it says `hello` with the highest seq it has seen, reconnects by itself with backoff when
 * its socket closes, and resends a message that was not acknowledged with its original `clientMessageId`
 * (the gateway is idempotent on it) after a reconnect, after an error frame, or when no ack came within a
 * few seconds. Unlike the page it never gives a message up, and it sends one message at a time (the next
 * once the previous one is acknowledged), so the order the gateway stores is the order the user typed even
 * when a turn is refused and retried. It records every message frame it receives, so a test can count
 * losses and doubles. Closed when the test ends.
 */
export function reconnectingWebchatUser(
  gatewayUrl: string,
  urlToken: string,
  identity: { readonly userId: string; readonly sessionId: string },
): ReconnectingWebchatUser {
  const received: ReceivedMessage[] = [];
  /** Oldest first; only the head is on the wire. */
  const queue: Pending[] = [];
  let target = gatewayUrl;
  let socket: WebSocket | undefined;
  let isReady = false;
  let connections = 0;
  let lastSeq = 0;
  let counter = 0;
  let closedForGood = false;
  let failures = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let resendTimer: NodeJS.Timeout | undefined;

  const resendTicker = setInterval(() => {
    const head = queue[0];
    if (head !== undefined && Date.now() - head.sentAt > resendAfterMs) transmitHead();
  }, 500);

  function transmitHead(): void {
    const head = queue[0];
    if (head === undefined) return;
    head.sentAt = Date.now();
    if (isReady && socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(head.frame));
  }

  function onFrame(frame: WebchatServerFrame): void {
    switch (frame.type) {
      case "ready":
        isReady = true;
        connections += 1;
        failures = 0;
        transmitHead();
        return;
      case "message":
        received.push({ message: frame.message, connection: connections });
        lastSeq = Math.max(lastSeq, frame.message.seq);
        return;
      case "ack": {
        // A resend is acknowledged again with the same seq; only the head's first ack moves on.
        if (queue[0]?.frame.clientMessageId !== frame.clientMessageId) return;
        queue.shift()!.resolve(frame.seq);
        transmitHead();
        return;
      }
      case "error":
        // A refused turn (bus or store away) names no message: send the head again shortly.
        clearTimeout(resendTimer);
        resendTimer = setTimeout(transmitHead, 300);
        return;
      default:
        return;
    }
  }

  function connect(): void {
    if (closedForGood) return;
    const current = new WebSocket(`${target.replace(/^http/, "ws")}/endpoints/${urlToken}/ws`);
    socket = current;
    isReady = false;
    current.on("open", () => {
      current.send(JSON.stringify({ type: "hello", ...identity, lastSeq } satisfies WebchatClientFrame));
    });
    current.on("message", (raw: Buffer) => {
      if (socket === current) onFrame(JSON.parse(raw.toString("utf8")) as WebchatServerFrame);
    });
    current.on("error", () => {}); // always followed by close, which reconnects
    current.on("close", () => {
      if (socket !== current) return;
      isReady = false;
      scheduleReconnect();
    });
  }

  function scheduleReconnect(): void {
    if (closedForGood) return;
    failures += 1;
    const delay = Math.min(reconnectDelayMs.first * 2 ** (failures - 1), reconnectDelayMs.max);
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, delay);
  }

  function close(): void {
    closedForGood = true;
    clearInterval(resendTicker);
    clearTimeout(reconnectTimer);
    clearTimeout(resendTimer);
    socket?.terminate();
  }
  onTestFinished(close);
  connect();

  const user: ReconnectingWebchatUser = {
    received,
    get target() {
      return target;
    },
    get connections() {
      return connections;
    },
    send(text) {
      counter += 1;
      const clientMessageId = `${identity.sessionId}-${counter}-${Math.random().toString(16).slice(2)}`;
      return new Promise<number>((resolve) => {
        queue.push({ frame: { type: "message", clientMessageId, text }, resolve, sentAt: 0 });
        if (queue.length === 1) transmitHead();
      });
    },
    unacknowledged: () => queue.map((p) => p.frame.text ?? ""),
    async moveTo(url) {
      target = url;
      const before = connections;
      const old = socket;
      socket = undefined;
      isReady = false;
      old?.terminate();
      clearTimeout(reconnectTimer);
      failures = 0;
      connect();
      await waitFor(() => connections > before, 30_000, `a ready connection to ${url}`);
    },
    ready(timeoutMs = 30_000) {
      return waitFor(() => isReady, timeoutMs, "a ready web chat connection").then(() => undefined);
    },
    close,
  };
  return user;
}
