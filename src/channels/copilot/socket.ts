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
import { exceedsJsonDepth, tooDeep } from "../../utils/text-hygiene.ts";
import { hygienic } from "../input-schemas.ts";
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
 * socket can neither read nor change the workspace.
 */
export async function registerCopilotChannel(app: FastifyInstance, deps: CopilotChannelDeps): Promise<void> {
  if (!app.hasDecorator("websocketServer"))
    await app.register(websocket, { options: { maxPayload: maxFrameBytes } });

  app.route({
    method: "GET",
    url: "/copilot/ws",
    handler: () => Promise.reject(upgradeRequired()),
    wsHandler: (socket, request) => {
      deps.access.open(request.query, request.ip).then(
        (session) => new CopilotConnection(socket, session, deps).start(),
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

  constructor(
    readonly socket: WebSocket,
    readonly session: StoredSession,
    readonly deps: CopilotChannelDeps,
  ) {}

  start(): void {
    this.socket.on("message", (raw: Buffer) => {
      this.#queue = this.#queue.then(() => this.#onFrame(raw)).catch((error: unknown) => this.#fail(error));
    });
    this.socket.on("close", () => {
      this.#closed = true;
      // A bus that is down makes this reject; the socket is gone either way, so it is only logged.
      this.#unsubscribe?.().catch((error: unknown) => {
        this.deps.logger.warn({ err: error, sessionKey: this.session.id }, "copilot unsubscribe failed");
      });
    });
    this.#queue = this.#queue.then(() => this.#open()).catch((error: unknown) => this.#fail(error));
  }

  async #open(): Promise<void> {
    // Subscribe first, hold live frames until the state went out: nothing between the two is lost.
    let held: unknown[] | undefined = [];
    const unsubscribe = await this.deps.bus.subscribe(copilotTopic(this.session.id), (frame) => {
      if (held !== undefined) held.push(frame);
      else this.#send(frame as CopilotServerFrame);
    });
    if (this.#closed) {
      await unsubscribe();
      return;
    }
    this.#unsubscribe = unsubscribe;
    const state = (await this.deps.runner.state(this.session.id)) ?? emptyWorkspace(this.session.id);
    this.#send({ type: "state", state });
    const pending = held;
    held = undefined;
    for (const frame of pending) this.#send(frame as CopilotServerFrame);
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
    const code = "BATON_ERR_SERVER_INTERNAL";
    this.#send({ type: "error", code, message: errorCatalog[code].message });
  }
}

function refuse(socket: WebSocket, error: BatonError): void {
  socket.send(JSON.stringify({ type: "error", code: error.code, message: error.message }));
  const closeCode = (errorCatalog[error.code] as { wsClose?: number }).wsClose ?? 4400;
  socket.close(closeCode, error.code);
}
