import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { pino, type Logger } from "pino";
import { registerChatGatewayRoutes } from "./chat-gateway-api.ts";
import { registerControlRoutes, summarize, type ConversationSummary } from "./control-api.ts";
import { createDelivery, type WebhookAttempt } from "./delivery.ts";
import { createFaultState, parseFaultPatch, type Faults } from "./faults.ts";
import { createLifecycle } from "./lifecycle.ts";
import { createPresignedUrls } from "./presigned-urls.ts";
import { Router } from "./router.ts";
import { createSimulatorServer } from "./server.ts";
import { createKeyStore, type PublicJwk } from "./signing.ts";
import { createState, DEFAULT_QUEUES } from "./state.ts";
import type { QueueConfig } from "./types.ts";

export type { ConversationSummary } from "./control-api.ts";
export type { WebhookAttempt } from "./delivery.ts";
export type { Faults } from "./faults.ts";
export type { PublicJwk } from "./signing.ts";
export type { QueueConfig } from "./types.ts";

export type SimulatorOptions = {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** The `x-api-key` value to accept; generated (`sim_` + 32 hex) when absent. */
  apiKey?: string;
  /** When set, requests whose X-8x8-Tenant names another tenant get 403. Default tenant id: `sim-tenant`. */
  tenant?: string;
  /** Sent as `x-8x8-customer-id` and signed as `cid`. Default `sim-customer`. */
  customerId?: string;
  queues?: QueueConfig[];
  /** Default: silent. */
  logger?: Logger;
  retry?: { baseDelayMs?: number; maxAttempts?: number };
  /** How long an agent typing indicator lasts before the simulator sends the stop (users: []). Default 3000. */
  typingTimeoutMs?: number;
  /** Per-attempt webhook timeout. Default 5000. */
  deliveryTimeoutMs?: number;
  /** Random source for faults, in [0, 1). Inject one for deterministic tests. Default Math.random. */
  random?: () => number;
};

export type Simulator = {
  /** Base URL, e.g. `http://127.0.0.1:3001`: what Baton's 8x8 provider uses as `baseUrl`. */
  url: string;
  apiKey: string;
  /** The tenant id sent in `x-8x8-tenant-id` (and enforced when `options.tenant` was given). */
  tenant: string;
  customerId: string;
  /** The kid that signs new deliveries. */
  currentKid(): string;
  publicJwk(kid: string): PublicJwk | undefined;
  /** New RSA key and kid for future deliveries; earlier public keys stay served. Returns the new kid. */
  rotateKey(): Promise<string>;
  setFaults(faults: Partial<Faults>): Faults;
  resetFaults(): Faults;
  faults(): Faults;
  /** Every webhook attempt so far (copy), oldest first. */
  webhookLog(): WebhookAttempt[];
  conversations(): ConversationSummary[];
  /** Resolves when no webhook delivery is queued or in flight. */
  settled(): Promise<void>;
  /** Stops deliveries and timers, then closes the server. Idempotent. */
  close(): Promise<void>;
};

const CONSOLE_HTML = new URL("../console/index.html", import.meta.url);

/**
 * Starts a local 8x8 Chat Gateway v1 simulator: the 8x8 API under `/chat-gateway/v1`, signed webhook
 * delivery, the control API under `/sim` and the agent console at `/console`.
 *
 * @example
 * const sim = await createSimulator({ apiKey: "sim_dev" });
 * // point the 8x8 provider at sim.url with apiKey sim.apiKey, then:
 * await sim.close();
 */
export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const logger = options.logger ?? pino({ level: "silent" });
  const apiKey = options.apiKey ?? `sim_${randomBytes(16).toString("hex")}`;
  const tenantId = options.tenant ?? "sim-tenant";
  const customerId = options.customerId ?? "sim-customer";
  const typingTimeoutMs = options.typingTimeoutMs ?? 3_000;
  const shutdown = new AbortController();
  let baseUrl = "";

  const [keys, consoleHtml] = await Promise.all([createKeyStore(), readFile(CONSOLE_HTML, "utf8")]);
  const state = createState(tenantId, customerId, options.queues ?? DEFAULT_QUEUES);
  const faults = createFaultState(options.random ?? Math.random);
  const presigned = createPresignedUrls();
  const delivery = createDelivery({
    keys,
    faults,
    tenantId,
    customerId,
    baseDelayMs: options.retry?.baseDelayMs ?? 250,
    maxAttempts: options.retry?.maxAttempts ?? 8,
    timeoutMs: options.deliveryTimeoutMs ?? 5_000,
    logger,
  });
  const lifecycle = createLifecycle({
    state,
    typingTimeoutMs,
    deliver: (url, event) => delivery.enqueue(url, event),
    attachmentUrl: (conversationId, attachmentId) => presigned.create(baseUrl, conversationId, attachmentId),
  });

  const gatewayRouter = new Router();
  registerChatGatewayRoutes(gatewayRouter, {
    state,
    lifecycle,
    delivery,
    logger,
    typingTimeoutMs,
    baseUrl: () => baseUrl,
  });
  const controlRouter = new Router();
  registerControlRoutes(controlRouter, {
    state,
    lifecycle,
    delivery,
    faults,
    keys,
    presigned,
    attachmentUrl: (conversationId, attachmentId) => presigned.create(baseUrl, conversationId, attachmentId),
  });

  const server = createSimulatorServer({
    gatewayRouter,
    controlRouter,
    keys,
    faults,
    apiKey,
    tenant: options.tenant,
    customerId,
    consoleHtml,
    logger,
    shutdown: shutdown.signal,
  });
  const host = options.host ?? "127.0.0.1";
  await listen(server, options.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  logger.info({ url: baseUrl }, "8x8 simulator listening");

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    shutdown.abort();
    lifecycle.stop();
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await Promise.all([delivery.close(), serverClosed]);
  }

  return {
    url: baseUrl,
    apiKey,
    tenant: tenantId,
    customerId,
    currentKid: () => keys.currentKid(),
    publicJwk: (kid) => keys.publicJwk(kid),
    rotateKey: () => keys.rotate(),
    setFaults: (patch) => faults.set(parseFaultPatch(patch)),
    resetFaults: () => faults.reset(),
    faults: () => faults.get(),
    webhookLog: () => delivery.log(),
    conversations: () =>
      [...state.conversations.values()].map((conversation) => summarize(state, conversation)),
    settled: () => delivery.settled(),
    close: () => (closing ??= close()),
  };
}

function listen(server: ReturnType<typeof createSimulatorServer>, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
