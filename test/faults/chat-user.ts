import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import type { MessageSource } from "../../src/protocol/messages.ts";
import type { WebchatClientFrame, WebchatServerFrame } from "../../src/protocol/webchat.ts";

/** A message the server sent, first copy per session seq (what the page shows: it dedupes on seq). */
export interface ShownMessage {
  readonly seq: number;
  readonly source: MessageSource;
  readonly text: string | undefined;
  /** Epoch ms of the first copy. */
  readonly at: number;
}

/** How a message got its ack: for the evidence behind a lost or doubled message. */
export interface Acknowledgement {
  readonly seq: number;
  /** Epoch ms of the first frame sent and of the ack. */
  readonly firstSentAt: number;
  readonly ackedAt: number;
  /** Frames sent for it (more than 1: resent after a reconnect). */
  readonly sends: number;
  /** The connection (1, 2, …) the ack came on; each reconnect opens a new one. */
  readonly connection: number;
}

interface Outgoing {
  readonly clientMessageId: string;
  readonly text: string;
  firstSentAt: number | undefined;
  /** Connection number it was last sent on; undefined while it waits for one. */
  sentOn: number | undefined;
  sends: number;
}

export interface ChatUserOptions {
  /** `ws://127.0.0.1:<port>/endpoints/<urlToken>/ws`; the same across gateway restarts. */
  readonly socketUrl: string;
  readonly userId: string;
  readonly sessionId: string;
  /** Unacknowledged messages kept in flight on one connection. */
  readonly window: number;
}

/**
 * A web chat user over a real WebSocket that does what the page does (web/webchat/src/chat-state.ts) and
 * keeps doing it across gateway crashes: it reconnects until the gateway answers again, says hello with
 * the highest message seq it was shown, resends every unacknowledged message with its original
 * clientMessageId, and shows each session seq once. It records what it was shown and when, for the
 * suite's figures; it never judges.
 */
export class ChatUser {
  /** First copy of each session seq, in arrival order. */
  readonly shown: ShownMessage[] = [];
  /** Message frames whose seq this user had already been shown (the page drops them silently). */
  repeatedFrames = 0;
  /** Frames of an unacknowledged message sent again after a reconnect. */
  resends = 0;
  /** Connections that reached `ready`. */
  readyConnections = 0;
  /** Every banner state the server announced, in order (from `ready` and `handover` frames). */
  readonly banners: { readonly state: string; readonly at: number }[] = [];
  /** Every `error` frame. */
  readonly errors: Extract<WebchatServerFrame, { type: "error" }>[] = [];
  /** Acknowledged messages by text: the session seq the gateway stored each under, and when and how. */
  readonly acked = new Map<string, Acknowledgement>();

  readonly #options: ChatUserOptions;
  readonly #seen = new Set<number>();
  #pending: Outgoing[] = [];
  #socket: WebSocket | undefined;
  #connection = 0;
  #ready = false;
  #inFlight = 0;
  #lastSeq = 0;
  #stopped = false;
  #reconnectTimer: NodeJS.Timeout | undefined;

  constructor(options: ChatUserOptions) {
    this.#options = options;
  }

  get userId(): string {
    return this.#options.userId;
  }

  /** Messages written but not acknowledged yet. */
  get unacknowledged(): number {
    return this.#pending.length;
  }

  /** The banner state last announced (`none` before any). */
  get banner(): string {
    return this.banners.at(-1)?.state ?? "none";
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Opens the first connection; later ones follow by themselves until `stop`. */
  start(): void {
    this.#connect();
  }

  /** The user types `text`; it goes out as soon as a connection and the window allow. */
  write(text: string): void {
    this.#pending.push({
      clientMessageId: randomUUID(),
      text,
      firstSentAt: undefined,
      sentOn: undefined,
      sends: 0,
    });
    this.#pump();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    const socket = this.#socket;
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.terminate();
    await closed;
  }

  #connect(): void {
    if (this.#stopped) return;
    const connection = ++this.#connection;
    const socket = new WebSocket(this.#options.socketUrl);
    this.#socket = socket;
    socket.on("open", () => {
      const { userId, sessionId } = this.#options;
      this.#send(socket, { type: "hello", userId, sessionId, lastSeq: this.#lastSeq });
    });
    socket.on("message", (raw: Buffer) =>
      this.#onFrame(connection, JSON.parse(raw.toString("utf8")) as WebchatServerFrame),
    );
    // A refused or reset connection emits `error` and then `close`; the close handler reconnects.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      if (this.#socket === socket) {
        this.#socket = undefined;
        this.#ready = false;
      }
      if (!this.#stopped) {
        // A little jitter so a hundred users do not knock on a restarting gateway in lockstep.
        this.#reconnectTimer = setTimeout(() => this.#connect(), 150 + Math.random() * 150);
      }
    });
  }

  #onFrame(connection: number, frame: WebchatServerFrame): void {
    if (connection !== this.#connection) return;
    const at = Date.now();
    switch (frame.type) {
      case "ready":
        this.#ready = true;
        this.readyConnections += 1;
        this.#inFlight = 0;
        if (frame.handover !== undefined) this.banners.push({ state: frame.handover.state, at });
        // Everything unacknowledged goes out again, oldest first, with its original clientMessageId.
        for (const outgoing of this.#pending) outgoing.sentOn = undefined;
        this.#pump();
        return;
      case "message": {
        const { message } = frame;
        // The page's lastSeq is the highest seq of a message frame, never of an ack.
        this.#lastSeq = Math.max(this.#lastSeq, message.seq);
        if (this.#seen.has(message.seq)) {
          this.repeatedFrames += 1;
          return;
        }
        this.#seen.add(message.seq);
        this.shown.push({ seq: message.seq, source: message.source, text: message.text, at });
        return;
      }
      case "ack":
        this.#settle(frame.clientMessageId, (outgoing) =>
          this.acked.set(outgoing.text, {
            seq: frame.seq,
            firstSentAt: outgoing.firstSentAt ?? at,
            ackedAt: at,
            sends: outgoing.sends,
            connection,
          }),
        );
        return;
      case "handover":
        this.banners.push({ state: frame.banner.state, at });
        return;
      case "error":
        this.errors.push(frame);
        // A refused message is spent (the page marks it failed and stops resending it).
        if (frame.clientMessageId !== undefined) this.#settle(frame.clientMessageId, () => undefined);
        return;
      case "typing":
        return;
    }
  }

  #settle(clientMessageId: string, record: (outgoing: Outgoing) => void): void {
    const index = this.#pending.findIndex((o) => o.clientMessageId === clientMessageId);
    if (index === -1) return;
    const [outgoing] = this.#pending.splice(index, 1);
    if (outgoing!.sentOn === this.#connection) this.#inFlight -= 1;
    record(outgoing!);
    this.#pump();
  }

  #pump(): void {
    const socket = this.#socket;
    if (!this.#ready || socket === undefined) return;
    for (const outgoing of this.#pending) {
      if (this.#inFlight >= this.#options.window) return;
      if (outgoing.sentOn === this.#connection) continue;
      if (outgoing.sends > 0) this.resends += 1;
      outgoing.sentOn = this.#connection;
      outgoing.sends += 1;
      outgoing.firstSentAt ??= Date.now();
      this.#inFlight += 1;
      this.#send(socket, { type: "message", clientMessageId: outgoing.clientMessageId, text: outgoing.text });
    }
  }

  #send(socket: WebSocket, frame: WebchatClientFrame): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }
}
