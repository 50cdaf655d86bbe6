import websocket from "@fastify/websocket";
import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import { z } from "zod";
import type { Bus } from "../../bus/types.ts";
import { emptyWorkspace } from "../../copilot/default-grid.ts";
import { copilotTopic, type CopilotRunner } from "../../copilot/runner.ts";
import { upgradeRequired } from "../webchat/socket.ts";
import { BatonError, errorCatalog, isBatonError } from "../../errors/index.ts";
import type { CopilotServerFrame } from "../../protocol/copilot.ts";
import type { StoredSession } from "../../store/types.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { createOutageLog, type OutageLog } from "../../telemetry/outage-log.ts";
import { exceedsJsonDepth, tooDeep } from "../../utils/text-hygiene.ts";
import { hygienic } from "../input-schemas.ts";
import { createLiveQueue, type LiveQueue } from "../live-queue.ts";
import type { CopilotAccess } from "./access.ts";

export interface CopilotChannelDeps {
  readonly bus: Bus;
  readonly runner: CopilotRunner;
  /** The link check, shared with the page (one refusal count per address). */
  readonly access: CopilotAccess;
  readonly logger: Logger;
}

const maxFrameBytes = 64 * 1024;
const tileId = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, { error: "the id of a tile in the grid" });
/** `hygienic`: NUL and lone surrogates in the postback value and the query become U+FFFD before validation. */
const clientFrame = hygienic(
  z.discriminatedUnion(
    "type",
    [
      z.strictObject({ type: z.literal("postback"), tileId, value: z.unknown() }),
      z.strictObject({
        type: z.literal("search"),
        tileId,
        query: z.string().trim().min(1, { error: "a search of 1 to 500 characters" }).max(500),
      }),
    ],
    { error: "a postback or search frame" },
  ),
);

/**
 * The workspace socket: `GET /copilot/ws?userId=&sessionId=&URLToken=&auth=`. The link is checked before
 * anything else (access.ts: the endpoint's URL token, the session on that endpoint, a copilot flow, and a
 * valid signed `auth` token for the session). Every refusal is the same `error` frame and close 4404 (no
 * oracle); refusals are counted per address, and after too many the address gets 4429 for a minute. An
 * accepted socket gets the `state`, then every change; it sends `postback` and `search` frames, so a refused
 * socket can neither read nor change the workspace. A change the bus lost is repaired with a fresh `state`
 * from the store: when a frame's `workspaceVersion` skips one the socket never saw, and when the bus says
 * messages may have been lost.
 */
export async function registerCopilotChannel(app: FastifyInstance, deps: CopilotChannelDeps): Promise<void> {
  if (!app.hasDecorator("websocketServer"))
    await app.register(websocket, { options: { maxPayload: maxFrameBytes } });
  // One for every workspace socket: a store outage is one line, however many sockets repair themselves.
  const repairs = createOutageLog(deps.logger, {
    failed: "copilot workspace could not be read again after a lost update; retrying",
    restored: "copilot workspace repairs from the store work again",
  });

  app.route({
    method: "GET",
    url: "/copilot/ws",
    handler: () => Promise.reject(upgradeRequired()),
    wsHandler: (socket, request) => {
      deps.access.open(request.query, request.ip).then(
        (session) => new CopilotConnection(socket, session, deps, repairs).start(),
        (error: unknown) => {
          if (isBatonError(error)) {
            refuse(socket, error);
            return;
          }
          deps.logger.error({ err: error }, "copilot access check failed");
          refuse(socket, new BatonError("BATON_ERR_SERVER_INTERNAL"));
        },
      );
    },
  });
}

class CopilotConnection {
  #queue: Promise<void> = Promise.resolve();
  #unsubscribe: (() => Promise<void>) | undefined;
  #closed = false;
  /** Frames of this version or older are in the last `state` sent (dropped: they would show nothing new). */
  #stateVersion = 0;
  /** The highest workspace version this socket has seen (a `state` or a live frame). */
  #seenVersion = 0;
  readonly #live: LiveQueue;

  constructor(
    readonly socket: WebSocket,
    readonly session: StoredSession,
    readonly deps: CopilotChannelDeps,
    readonly repairs: OutageLog,
  ) {
    this.#live = createLiveQueue({
      catchUp: () => this.#sendState(),
      outage: repairs,
      facts: { sessionKey: session.id },
      logger: deps.logger,
    });
  }

  start(): void {
    this.socket.on("message", (raw: Buffer) => {
      this.#queue = this.#queue.then(() => this.#onFrame(raw)).catch((error: unknown) => this.#fail(error));
    });
    this.socket.on("close", () => {
      this.#closed = true;
      this.#live.close();
      // A bus that is down makes this reject; the socket is gone either way, so it is only logged.
      this.#unsubscribe?.().catch((error: unknown) => {
        this.deps.logger.warn({ err: error, sessionKey: this.session.id }, "copilot unsubscribe failed");
      });
    });
    this.#queue = this.#queue.then(() => this.#open()).catch((error: unknown) => this.#fail(error));
  }

  async #open(): Promise<void> {
    // Subscribe first, hold live frames until the state went out: nothing between the two is lost. The
    // state is the first task of the live queue; a held frame it already contains is dropped there.
    let opened!: () => void;
    const opening = new Promise<void>((resolve) => (opened = resolve));
    this.#live.push(() => opening);
    try {
      const unsubscribe = await this.deps.bus.subscribe(
        copilotTopic(this.session.id),
        // The bus carries what the runner publishes on the session's copilot topic.
        (frame) => this.#live.push(() => this.#deliver(frame as CopilotServerFrame)),
        { onMissed: () => this.#live.catchUp() },
      );
      if (this.#closed) {
        await unsubscribe();
        return;
      }
      this.#unsubscribe = unsubscribe;
      const stored = await this.deps.runner.snapshot(this.session.id);
      const workspaceVersion = stored?.version ?? 0;
      this.#send({
        type: "state",
        state: stored?.state ?? emptyWorkspace(this.session.id),
        workspaceVersion,
      });
      this.#stateVersion = workspaceVersion;
      this.#seenVersion = workspaceVersion;
    } finally {
      opened();
    }
  }

  /**
   * One live frame, in order. Frames of one saved change share its version and each change adds one, so a
   * frame two or more versions ahead of the last one seen follows a change whose frames this socket never
   * got (lost on the bus, or a change that sent none): the stored workspace goes out first as a `state`.
   */
  async #deliver(frame: CopilotServerFrame): Promise<void> {
    if (!("workspaceVersion" in frame)) {
      this.#send(frame);
      return;
    }
    if (frame.workspaceVersion <= this.#stateVersion) return;
    if (frame.workspaceVersion > this.#seenVersion + 1) {
      try {
        await this.#sendState();
      } catch (error) {
        // The frame is newer than anything shown, so it goes out anyway; the state follows once the store answers.
        this.repairs.failed(error, { sessionKey: this.session.id });
        this.#live.catchUp();
      }
      if (frame.workspaceVersion <= this.#stateVersion) return;
    }
    this.#seenVersion = Math.max(this.#seenVersion, frame.workspaceVersion);
    this.#send(frame);
  }

  /** The stored workspace as a `state` (what a repair sends); nothing before the workspace exists. */
  async #sendState(): Promise<void> {
    const stored = await this.deps.runner.snapshot(this.session.id);
    if (stored === undefined || this.#closed) return;
    // A state older than one already sent would step the agent back (a frame was sent without a repair).
    if (stored.version < this.#seenVersion) return;
    this.#send({ type: "state", state: stored.state, workspaceVersion: stored.version });
    this.#stateVersion = stored.version;
    this.#seenVersion = stored.version;
  }

  async #onFrame(raw: Buffer): Promise<void> {
    if (raw.length > maxFrameBytes) {
      this.#error({ field: "(frame)", expected: `at most ${maxFrameBytes} bytes` });
      return;
    }
    const text = raw.toString("utf8");
    // Depth before parsing: a postback value is walked recursively after it (see docs/security.md).
    if (exceedsJsonDepth(text)) {
      this.#send({ type: "error", ...tooDeep("(frame)").toJSON() });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.#error({ field: "(frame)", expected: "a JSON object" });
      return;
    }
    const parsed = clientFrame.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.#error({ field: issue?.path.join(".") || "type", expected: issue?.message ?? "a valid frame" });
      return;
    }
    const frame = parsed.data;
    try {
      if (frame.type === "postback") await this.deps.runner.postback(this.session, frame.tileId, frame.value);
      else await this.deps.runner.search(this.session, frame.tileId, frame.query);
    } catch (error) {
      if (isBatonError(error) && error.code === "BATON_ERR_COPILOT_FRAME_INVALID") {
        this.#error(error.details);
        return;
      }
      throw error;
    }
  }

  #error(details: { field?: string; expected?: string }): void {
    const code = "BATON_ERR_COPILOT_FRAME_INVALID";
    this.#send({
      type: "error",
      code,
      message: errorCatalog[code].message,
      ...details,
    });
  }

  #send(frame: CopilotServerFrame): void {
    if (!this.#closed && this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  #fail(error: unknown): void {
    this.deps.logger.error({ err: error, sessionKey: this.session.id }, "copilot socket failed");
    // A catalog error says what happened (a workspace conflict may be retried); anything else is internal.
    const { code, message } = isBatonError(error) ? error : new BatonError("BATON_ERR_SERVER_INTERNAL");
    this.#send({ type: "error", code, message });
  }
}

function refuse(socket: WebSocket, error: BatonError): void {
  socket.send(JSON.stringify({ type: "error", code: error.code, message: error.message }));
  const closeCode = (errorCatalog[error.code] as { wsClose?: number }).wsClose ?? 4400;
  socket.close(closeCode, error.code);
}
