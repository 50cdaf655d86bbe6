import websocket from "@fastify/websocket";
import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import type { Bus } from "../../bus/types.ts";
import { findEndpointByToken } from "../../conversation/endpoint-directory.ts";
import type { ConversationService } from "../../conversation/service.ts";
import { sessionTopic, type SessionStreamEvent } from "../../conversation/session-stream.ts";
import type { EndpointRuntime } from "../../conversation/types.ts";
import { BatonError, errorCatalog, isBatonError, type ErrorCode } from "../../errors/index.ts";
import type { WebchatServerFrame } from "../../protocol/webchat.ts";
import type { Store, StoredMessage, StoredSession } from "../../store/types.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { exceedsJsonDepth, tooDeep } from "../../utils/text-hygiene.ts";
import { describeIssue, maxBase64Length, webchatClientFrame } from "../input-schemas.ts";
import { createWindowLimiter, type SessionAdmission, type WindowLimiter } from "../rate-limit.ts";
import { createPresence } from "./presence.ts";

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

/**
 * The web chat channel: `GET /endpoints/{urlToken}/ws`. After `hello` the socket gets exactly the messages
 * it missed (by seq), then live frames from the session's bus topic, so a reconnect neither loses nor
 * repeats anything.
 */
export async function registerWebchatChannel(app: FastifyInstance, deps: WebchatDeps): Promise<void> {
  await app.register(websocket, { options: { maxPayload: maxFrameBytes } });
  const presence = createPresence({
    // The gateway option (tests) wins over the endpoint's presenceNotices setting.
    graceMsFor: (session) => {
      const configured = deps.endpoints.get(session.endpointId)?.presenceGraceMs ?? null;
      return configured === null ? null : (deps.disconnectGraceMs ?? configured);
    },
    onChange: (session, connected) => {
      deps.conversations.userConnection(session, connected).catch((error: unknown) => {
        deps.logger.warn({ err: error, sessionKey: session.id }, "presence change not applied");
      });
    },
  });
  app.addHook("onClose", () => presence.close());

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
      new WebchatConnection(socket, endpoint, deps, presence, request.ip).start();
    },
  });
}

class WebchatConnection {
  #session: StoredSession | undefined;
  #unsubscribe: (() => Promise<void>) | undefined;
  /** Set once this socket counts in the session's presence (its `close` then takes it out again). */
  #present: StoredSession | undefined;
  #closed = false;
  /** Message frames at or below this seq were already sent (by the replay); live duplicates are dropped. */
  #sentUpTo = 0;
  #queue: Promise<void> = Promise.resolve();
  readonly #frames: WindowLimiter;
  readonly #refused: WindowLimiter;

  constructor(
    readonly socket: WebSocket,
    readonly endpoint: EndpointRuntime,
    readonly deps: WebchatDeps,
    readonly presence: ReturnType<typeof createPresence>,
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
    // Subscribe first and hold live frames until the replay is out, so nothing falls between the two.
    const held: WebchatServerFrame[] = [];
    let replaying = true;
    this.#unsubscribe = await this.deps.bus.subscribe(sessionTopic(session.id), (message) => {
      // The bus carries what the core publishes on the session's topic: SessionStreamEvents.
      const frame = toFrame(message as SessionStreamEvent);
      if (replaying) held.push(frame);
      else this.#sendLive(frame);
    });
    // Closed while subscribing: the close handler found nothing to unsubscribe.
    if (this.#closed) {
      await this.#unsubscribe();
      return;
    }
    const missed = await this.deps.store.messages.listAfter(session.id, lastSeq, 10_000);
    const last = missed.at(-1)?.seq ?? lastSeq;
    this.#send({
      type: "ready",
      sessionKey: session.id,
      lastSeq: last,
      locale: session.locale ?? this.endpoint.locale,
      handover: await this.deps.conversations.bannerFor(session.id),
    });
    for (const message of missed) this.#send({ type: "message", message: toWire(message) });
    this.#sentUpTo = last;
    replaying = false;
    for (const frame of held) this.#sendLive(frame);
    // A socket that closed during its hello never counts as present: joining now would leave the count one
    // too high for good, and the agent would never hear that the user left.
    if (this.#closed) return;
    this.presence.join(session);
    this.#present = session;
    if (session.flowState === null && lastSeq === 0 && missed.length === 0)
      await this.deps.conversations.greet(session);
  }

  #sendLive(frame: WebchatServerFrame): void {
    if (frame.type === "message") {
      if (frame.message.seq <= this.#sentUpTo) return;
      this.#sentUpTo = frame.message.seq;
    }
    this.#send(frame);
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
