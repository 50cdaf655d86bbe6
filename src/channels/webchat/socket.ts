import websocket from "@fastify/websocket";
import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import type { Bus } from "../../bus/types.ts";
import { findEndpointByToken } from "../../conversation/endpoint-directory.ts";
import type { ConversationService } from "../../conversation/service.ts";
import { sessionTopic, type SessionStreamEvent } from "../../conversation/session-stream.ts";
import type { EndpointRuntime } from "../../conversation/types.ts";
import { BatonError, errorCatalog, isBatonError, type ErrorCode } from "../../errors/index.ts";
import type { ConversationMessage, HandoverBanner } from "../../protocol/messages.ts";
import type { WebchatServerFrame } from "../../protocol/webchat.ts";
import type { Store, StoredMessage, StoredSession } from "../../store/types.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { createOutageLog, type OutageLog } from "../../telemetry/outage-log.ts";
import { exceedsJsonDepth, tooDeep } from "../../utils/text-hygiene.ts";
import { describeIssue, maxBase64Length, webchatClientFrame } from "../input-schemas.ts";
import { createLiveQueue, type LiveQueue } from "../live-queue.ts";
import { createWindowLimiter, type SessionAdmission, type WindowLimiter } from "../rate-limit.ts";
import { createPresence, type Presence } from "./presence.ts";

export interface WebchatDeps {
  readonly endpoints: ReadonlyMap<string, EndpointRuntime>;
  readonly conversations: ConversationService;
  readonly store: Store;
  readonly bus: Bus;
  readonly logger: Logger;
  /** How long a user may be without a connection before the agent hears "the user left" (reloads). */
  readonly disconnectGraceMs?: number;
  /** Counts the sessions a hello creates per client address (server.limits.sessionsPerMinute). */
  readonly sessions?: SessionAdmission;
  /** Frames one connection may send in a minute (server.limits.webchatFramesPerMinute, default 600). */
  readonly framesPerMinute?: number;
}

/**
 * What a frame may carry besides its files' base64: the default HTTP body limit (`server.bodyLimit`,
 * 1 MiB), so text and `data` are bounded alike on every way in.
 */
const maxFrameContentBytes = 1024 * 1024;
/**
 * The socket's hard limit: that content plus one 5 MB file in base64 (6 990 511 characters), 8 039 087 bytes.
 * A bigger frame is not even read: the WebSocket layer closes the socket with 1009 (message too big).
 */
const maxFrameBytes = maxFrameContentBytes + maxBase64Length;
const helloTimeoutMs = 15_000;
/** Frames over the limit answered with an error before the socket is closed with 4429 (the client kept on). */
const refusedFramesBeforeClose = 10;
/** Messages read per store query when a socket fills a gap or catches up. */
const catchUpPageSize = 500;

/**
 * The web chat channel: `GET /endpoints/{urlToken}/ws`. After `hello` the socket gets exactly the messages
 * it missed (by seq), then live frames from the session's bus topic, so a reconnect neither loses nor
 * repeats anything. An open socket sends every message of the session once and in seq order even when the
 * bus loses a publish: a live message above the next seq is preceded by the ones between, read from the
 * store, and when the bus says messages may have been lost the socket catches up from the store (messages
 * and the banner; typing is ephemeral and may be lost).
 */
export async function registerWebchatChannel(app: FastifyInstance, deps: WebchatDeps): Promise<void> {
  await app.register(websocket, { options: { maxPayload: maxFrameBytes } });
  const presence = createPresence({
    bus: deps.bus,
    logger: deps.logger,
    // The gateway option (tests) wins over the endpoint's presenceNotices setting.
    graceMsFor: (session) => {
      const configured = deps.endpoints.get(session.endpointId)?.presenceGraceMs ?? null;
      return configured === null ? null : (deps.disconnectGraceMs ?? configured);
    },
    onChange: (session, connected) =>
      deps.conversations.userConnection(session, connected).catch((error: unknown) => {
        deps.logger.warn({ err: error, sessionKey: session.id }, "presence change not applied");
      }),
  });
  app.addHook("onClose", () => presence.close());
  // One for every socket of the channel: a store outage is one line, however many sockets catch up.
  const catchUps = createOutageLog(deps.logger, {
    failed: "web chat catch-up from the store failed; retrying",
    restored: "web chat catch-up from the store works again",
  });

  app.route<{ Params: { urlToken: string } }>({
    method: "GET",
    url: "/endpoints/:urlToken/ws",
    handler: () => Promise.reject(upgradeRequired()),
    wsHandler: (socket, request) => {
      const endpoint = findEndpointByToken(deps.endpoints, request.params.urlToken);
      if (endpoint === undefined) {
        closeWithError(socket, new BatonError("BATON_ERR_ENDPOINT_UNKNOWN", { field: "urlToken" }));
        return;
      }
      new WebchatConnection(socket, endpoint, deps, presence, catchUps, request.ip).start();
    },
  });
}

class WebchatConnection {
  #session: StoredSession | undefined;
  #unsubscribe: (() => Promise<void>) | undefined;
  /** Set once this socket counts in the session's presence (its `close` then takes it out again). */
  #present: StoredSession | undefined;
  #closed = false;
  /**
   * Every message up to this seq was sent, and none above it: message frames go out in seq order without a
   * hole, so a live one at or below it is a duplicate (dropped) and one above the next seq follows a gap.
   */
  #sentUpTo = 0;
  /** The banner last sent (as JSON), so a catch-up sends the stored one only when it differs. */
  #bannerSent: string | undefined;
  /** Live frames and catch-ups, in order; created by the hello. */
  #live: LiveQueue | undefined;
  #queue: Promise<void> = Promise.resolve();
  readonly #frames: WindowLimiter;
  readonly #refused: WindowLimiter;

  constructor(
    readonly socket: WebSocket,
    readonly endpoint: EndpointRuntime,
    readonly deps: WebchatDeps,
    readonly presence: Presence,
    readonly catchUps: OutageLog,
    readonly address: string,
  ) {
    this.#frames = createWindowLimiter({ max: deps.framesPerMinute ?? 600, windowMs: 60_000 });
    this.#refused = createWindowLimiter({ max: refusedFramesBeforeClose, windowMs: 60_000 });
  }

  start(): void {
    const helloTimer = setTimeout(() => {
      if (this.#session === undefined)
        closeWithError(
          this.socket,
          new BatonError("BATON_ERR_WEBCHAT_FRAME_INVALID", {
            field: "type",
            expected: "a hello frame first",
          }),
        );
    }, helloTimeoutMs);
    this.socket.on("message", (raw: Buffer) => {
      // Counted on arrival, before parsing or queueing: a flood costs no more than this check.
      if (!this.#frames.take("frames")) {
        this.#tooManyFrames();
        return;
      }
      // One frame at a time, in arrival order: a message must not overtake the hello before it.
      this.#queue = this.#queue.then(() => this.#onFrame(raw)).catch((error: unknown) => this.#fail(error));
    });
    this.socket.on("close", () => {
      clearTimeout(helloTimer);
      this.#closed = true;
      this.#live?.close();
      // A bus that is down makes this reject; the socket is gone either way, so it is only logged.
      this.#unsubscribe?.().catch((error: unknown) => {
        this.deps.logger.warn({ err: error, sessionKey: this.#session?.id }, "web chat unsubscribe failed");
      });
      if (this.#present !== undefined) this.presence.leave(this.#present);
    });
  }

  async #onFrame(raw: Buffer): Promise<void> {
    const text = raw.toString("utf8");
    // Depth before parsing: `data` is walked recursively after it (docs/security.md, Input hygiene).
    if (exceedsJsonDepth(text)) {
      this.#send({ type: "error", ...tooDeep("(frame)").toJSON() });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.#send({
        type: "error",
        ...errorBody("BATON_ERR_WEBCHAT_FRAME_INVALID"),
        field: "(frame)",
        expected: "a JSON object",
      });
      return;
    }
    const parsed = webchatClientFrame.safeParse(json);
    if (!parsed.success) {
      const clientMessageId = (json as { clientMessageId?: unknown } | null)?.clientMessageId;
      this.#send({
        type: "error",
        ...errorBody("BATON_ERR_WEBCHAT_FRAME_INVALID"),
        ...describeIssue(parsed.error),
        ...(typeof clientMessageId === "string" ? { clientMessageId } : {}),
      });
      return;
    }
    const frame = parsed.data;
    const fileBytes =
      frame.type === "message" ? (frame.attachments ?? []).reduce((sum, a) => sum + a.base64.length, 0) : 0;
    if (raw.length - fileBytes > maxFrameContentBytes) {
      this.#send({
        type: "error",
        ...errorBody("BATON_ERR_WEBCHAT_FRAME_INVALID"),
        field: "(frame)",
        expected: `at most ${maxFrameContentBytes} bytes besides the attachments' base64`,
        ...(frame.type === "message" ? { clientMessageId: frame.clientMessageId } : {}),
      });
      return;
    }
    if (frame.type === "hello") {
      await this.#hello(frame.userId, frame.sessionId, frame.lastSeq ?? 0, frame.locale);
      return;
    }
    const session = this.#session;
    if (session === undefined) {
      this.#send({
        type: "error",
        ...errorBody("BATON_ERR_WEBCHAT_FRAME_INVALID"),
        field: "type",
        expected: "a hello frame first",
      });
      return;
    }
    switch (frame.type) {
      case "message": {
        const result = await this.deps.conversations.userInput({
          endpointId: this.endpoint.id,
          userId: session.userId,
          sessionId: session.sessionId,
          clientMessageId: frame.clientMessageId,
          ...(frame.text !== undefined ? { text: frame.text } : {}),
          ...(frame.data !== undefined ? { data: frame.data } : {}),
          ...(frame.attachments !== undefined ? { attachments: frame.attachments } : {}),
        });
        this.#send({ type: "ack", clientMessageId: frame.clientMessageId, seq: result.seq });
        return;
      }
      case "typing":
        await this.deps.conversations.userTyping(session, frame.active);
        return;
      case "cancelHandover":
        await this.deps.conversations.cancelHandover(session);
        return;
    }
  }

  /** An error frame per frame over the limit (it is dropped); 4429 once the client keeps going anyway. */
  #tooManyFrames(): void {
    const error = new BatonError("BATON_ERR_WEBCHAT_RATE_LIMITED");
    if (!this.#refused.take("refused")) {
      if (!this.#closed && this.socket.readyState === this.socket.OPEN) closeWithError(this.socket, error);
      return;
    }
    this.#send({ type: "error", code: error.code, message: error.message });
  }

  async #hello(
    userId: string,
    sessionId: string,
    lastSeq: number,
    locale: string | undefined,
  ): Promise<void> {
    if (this.#session !== undefined) return; // one session per socket; a second hello changes nothing
    // A refused hello (BATON_ERR_SESSION_RATE_LIMITED) is an error frame; the socket stays open for a retry.
    await this.deps.sessions?.admit(this.address, { endpointId: this.endpoint.id, userId, sessionId });
    const session = await this.deps.conversations.openSession({
      endpointId: this.endpoint.id,
      userId,
      sessionId,
      ...(locale !== undefined ? { locale } : {}),
    });
    this.#session = session;
    this.#sentUpTo = lastSeq;
    const live = createLiveQueue({
      catchUp: () => this.#catchUp(session),
      outage: this.catchUps,
      facts: { sessionKey: session.id },
      logger: this.deps.logger,
    });
    this.#live = live;
    // Subscribe first and hold live frames until the replay is out, so nothing falls between the two: the
    // replay is the first task of the queue, and every live frame waits behind it.
    let replayed!: () => void;
    const replay = new Promise<void>((resolve) => (replayed = resolve));
    live.push(() => replay);
    let ready = false;
    let missed: StoredMessage[];
    try {
      this.#unsubscribe = await this.deps.bus.subscribe(
        sessionTopic(session.id),
        // The bus carries what the core publishes on the session's topic: SessionStreamEvents.
        (message) => live.push(() => this.#deliver(session, toFrame(message as SessionStreamEvent))),
        { onMissed: () => live.catchUp() },
      );
      // Closed while subscribing: the close handler found nothing to unsubscribe.
      if (this.#closed) {
        await this.#unsubscribe();
        return;
      }
      missed = await this.deps.store.messages.listAfter(session.id, lastSeq, 10_000);
      const last = missed.at(-1)?.seq ?? lastSeq;
      const banner = await this.deps.conversations.bannerFor(session.id);
      this.#send({
        type: "ready",
        sessionKey: session.id,
        lastSeq: last,
        locale: session.locale ?? this.endpoint.locale,
        handover: banner,
      });
      ready = true;
      this.#bannerSent = JSON.stringify(banner);
      for (const message of missed) this.#send({ type: "message", message: toWire(message) });
      this.#sentUpTo = last;
    } catch (error) {
      // Nothing was promised yet: undo the hello, so the socket is not left bound to a session it gets
      // nothing from, and a second hello (or a reconnect) starts afresh.
      if (!ready) this.#undoHello();
      throw error;
    } finally {
      replayed();
    }
    // A socket that closed during its hello never counts as present: joining now would leave the count one
    // too high for good, and the agent would never hear that the user left.
    if (this.#closed) return;
    this.presence.join(session);
    this.#present = session;
    if (session.flowState === null && lastSeq === 0 && missed.length === 0)
      await this.deps.conversations.greet(session);
  }

  #undoHello(): void {
    this.#live?.close();
    this.#live = undefined;
    this.#session = undefined;
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    unsubscribe?.().catch((error: unknown) => {
      this.deps.logger.warn({ err: error }, "web chat unsubscribe failed");
    });
  }

  /** One live frame, in order. A message above the next seq first gets the ones between from the store. */
  async #deliver(session: StoredSession, frame: WebchatServerFrame): Promise<void> {
    switch (frame.type) {
      case "message": {
        const { seq } = frame.message;
        if (seq <= this.#sentUpTo) return;
        if (seq > this.#sentUpTo + 1) {
          // A publish of this session was lost on the bus. The ones between are committed: a session's seqs
          // are allocated under its row lock, so seq n + 1 exists only once the transaction of n ended.
          try {
            await this.#sendStored(session, seq);
          } catch (error) {
            // Sending this one now would leave the gap for good (a reconnect's lastSeq would be above it):
            // the catch-up sends it, in order, once the store answers.
            this.catchUps.failed(error, { sessionKey: session.id });
            this.#live?.catchUp();
            return;
          }
        }
        this.#sendMessage(frame.message);
        return;
      }
      case "handover":
        this.#sendBanner(frame.banner);
        return;
      default:
        // Typing: ephemeral, so one the bus lost is not repaired (the next message ends it anyway).
        this.#send(frame);
    }
  }

  /** After the bus may have lost messages: every stored message after the last one sent, then the banner. */
  async #catchUp(session: StoredSession): Promise<void> {
    await this.#sendStored(session, Number.POSITIVE_INFINITY);
    const banner = await this.deps.conversations.bannerFor(session.id);
    if (JSON.stringify(banner) !== this.#bannerSent) this.#sendBanner(banner);
  }

  /** Sends the stored messages after `#sentUpTo` up to `upToSeq`: work in proportion to the gap. */
  async #sendStored(session: StoredSession, upToSeq: number): Promise<void> {
    for (;;) {
      const wanted = Math.min(catchUpPageSize, upToSeq - this.#sentUpTo);
      if (wanted <= 0 || this.#closed) return;
      const page = await this.deps.store.messages.listAfter(session.id, this.#sentUpTo, wanted);
      for (const message of page) this.#sendMessage(toWire(message));
      if (page.length < wanted) return;
    }
  }

  #sendMessage(message: ConversationMessage): void {
    if (message.seq <= this.#sentUpTo) return;
    this.#sentUpTo = message.seq;
    this.#send({ type: "message", message });
  }

  #sendBanner(banner: HandoverBanner): void {
    this.#bannerSent = JSON.stringify(banner);
    this.#send({ type: "handover", banner });
  }

  #send(frame: WebchatServerFrame): void {
    if (this.#closed || this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(JSON.stringify(frame));
  }

  #fail(error: unknown): void {
    const batonError = isBatonError(error)
      ? error
      : new BatonError("BATON_ERR_SERVER_INTERNAL", {}, { cause: error });
    if (batonError.status >= 500)
      this.deps.logger.error({ err: error, endpoint: this.endpoint.id }, "web chat frame failed");
    this.#send({ type: "error", code: batonError.code, message: batonError.message });
  }
}

/** The core's session stream as web chat frames. */
function toFrame(event: SessionStreamEvent): WebchatServerFrame {
  switch (event.type) {
    case "message":
      return { type: "message", message: event.message };
    case "banner":
      return { type: "handover", banner: event.banner };
    case "typing":
      return event;
  }
}

/** A plain GET on a socket's path: say what it is instead of an empty 404. */
export function upgradeRequired(): BatonError {
  return new BatonError("BATON_ERR_HTTP_UPGRADE_REQUIRED", {
    field: "upgrade",
    expected: "a WebSocket connection (upgrade: websocket)",
  });
}

function errorBody(code: ErrorCode): { code: ErrorCode; message: string } {
  return { code, message: errorCatalog[code].message };
}

function closeWithError(socket: WebSocket, error: BatonError): void {
  socket.send(JSON.stringify({ type: "error", code: error.code, message: error.message, ...error.details }));
  const closeCode = (errorCatalog[error.code] as { wsClose?: number }).wsClose ?? 4400;
  socket.close(closeCode, error.code);
}

/** Stored messages carry bookkeeping the client does not need. */
function toWire(message: StoredMessage) {
  const {
    sessionId: _s,
    direction: _d,
    deliveryState: _ds,
    providerId: _p,
    providerMessageRef: _r,
    ...wire
  } = message;
  return wire;
}
