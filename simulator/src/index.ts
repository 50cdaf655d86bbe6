import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { pino, type Logger } from "pino";
import { registerChatGatewayRoutes } from "./chat-gateway-api.ts";
import { registerControlRoutes, summarize, type ConversationSummary } from "./control-api.ts";
import { createDelivery, type WebhookAttempt } from "./delivery.ts";
import { createFaultState, parseFaultPatch, type Faults } from "./faults.ts";
import { createLifecycle } from "./lifecycle.ts";
import { createPresignedUrls } from "./presigned-urls.ts";
import { createRequestLog, type ApiRequest } from "./request-log.ts";
import { Router } from "./router.ts";
import { createSimulatorServer } from "./server.ts";
import { createKeyStore, type KeyStore, type PublicJwk } from "./signing.ts";
import {
  createStateSaver,
  discardStateFile,
  loadStateFile,
  StateFileError,
  type SimulatorSnapshot,
  type StateSaver,
} from "./state-file.ts";
import { createState, DEFAULT_QUEUES, type SimulatorState } from "./state.ts";
import type { QueueConfig } from "./types.ts";
import { DEFAULT_WEBHOOK_RETRY, parseRetryPatch, type WebhookRetry } from "./webhook-retry.ts";

export type { ConversationSummary } from "./control-api.ts";
export type { WebhookAttempt } from "./delivery.ts";
export type { Faults } from "./faults.ts";
export type { ApiRequest } from "./request-log.ts";
export type { PublicJwk } from "./signing.ts";
export { StateFileError } from "./state-file.ts";
export type { QueueConfig } from "./types.ts";
export type { WebhookRetry } from "./webhook-retry.ts";
export { RETRY_LIMITS, expectedRetryValue, isValidRetryValue } from "./webhook-retry.ts";

export type SimulatorOptions = {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /**
   * The `x-api-key` value to accept. When absent: the one kept in `stateFile`, else generated (`sim_` + 32
   * hex).
   */
  apiKey?: string;
  /** When set, requests whose X-8x8-Tenant names another tenant get 403. Default tenant id: `sim-tenant`. */
  tenant?: string;
  /** Sent as `x-8x8-customer-id` and signed as `cid`. Default `sim-customer`. */
  customerId?: string;
  /** Default: the ones kept in `stateFile`, else two demo queues (311 Support EN, 312 Billing DE). */
  queues?: QueueConfig[];
  /** Default: silent. */
  logger?: Logger;
  /**
   * The webhook retry budget (default 8 attempts, 250 ms base delay); `setWebhookRetry` and
   * `PUT /sim/webhook-retry` change it while running. Invalid values throw.
   */
  retry?: Partial<WebhookRetry>;
  /** How long an agent typing indicator lasts before the simulator sends the stop (users: []). Default 3000. */
  typingTimeoutMs?: number;
  /** Per-attempt webhook timeout. Default 5000. */
  deliveryTimeoutMs?: number;
  /** Random source for faults, in [0, 1). Inject one for deterministic tests. Default Math.random. */
  random?: () => number;
  /**
   * Keep the state in this JSON file (relative paths from the working directory): loaded at start when it
   * exists, saved shortly after every change and on close. Conversations, messages, participants, channels,
   * webhooks, attachments (bytes in `<stateFile>.attachments/`), queues, id counters, the API key, the
   * signing keys and the events not yet delivered survive a restart. Faults, the retry budget and the logs
   * do not. A file that cannot be used makes `createSimulator` reject with a {@link StateFileError}.
   */
  stateFile?: string;
  /** With `stateFile`: discard what it holds and start empty. */
  fresh?: boolean;
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
  /** The current webhook retry budget. */
  webhookRetry(): WebhookRetry;
  /** Validates and applies a partial budget (throws on bad values); returns the full one. */
  setWebhookRetry(retry: Partial<WebhookRetry>): WebhookRetry;
  /** Every webhook attempt so far (copy), oldest first. */
  webhookLog(): WebhookAttempt[];
  /** The last 5000 8x8 API calls (copy), oldest first, with how each ended (answered, faulted, lost). */
  requestLog(): ApiRequest[];
  conversations(): ConversationSummary[];
  /** The absolute path of the state file, when there is one. */
  stateFile: string | undefined;
  /** True when this run started from a state file an earlier run saved. */
  restored: boolean;
  /** Resolves once the state file holds every change made so far (at once without a state file). */
  persisted(): Promise<void>;
  /** Resolves when no webhook delivery is queued or in flight. */
  settled(): Promise<void>;
  /** Stops deliveries and timers, closes the server, then saves the state file a last time. Idempotent. */
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
  const retry = { ...DEFAULT_WEBHOOK_RETRY, ...parseRetryPatch(options.retry ?? {}) };
  const stateFile = options.stateFile === undefined ? undefined : resolve(options.stateFile);
  const saved = await loadSaved(stateFile, options.fresh === true);
  const apiKey = options.apiKey ?? saved?.apiKey ?? `sim_${randomBytes(16).toString("hex")}`;
  const tenantId = options.tenant ?? "sim-tenant";
  const customerId = options.customerId ?? "sim-customer";
  const typingTimeoutMs = options.typingTimeoutMs ?? 3_000;
  const shutdown = new AbortController();
  let baseUrl = "";

  const [keys, consoleHtml] = await Promise.all([loadKeys(stateFile, saved), readFile(CONSOLE_HTML, "utf8")]);
  const state = createState(
    tenantId,
    customerId,
    options.queues ?? saved?.queues ?? DEFAULT_QUEUES,
    saved?.counters,
  );
  if (saved !== undefined) restoreInto(state, saved);
  const faults = createFaultState(options.random ?? Math.random);
  const presigned = createPresignedUrls(saved?.presignSecret);
  const requestLog = createRequestLog();
  const saver: StateSaver | undefined =
    stateFile === undefined
      ? undefined
      : createStateSaver({
          file: stateFile,
          delayMs: SAVE_DELAY_MS,
          logger,
          known: saved?.conversations.flatMap((c) => c.attachments.map((a) => a.content)),
          snapshot: (): SimulatorSnapshot => ({
            apiKey,
            counters: state.counters(),
            keys: keys.save(),
            presignSecret: presigned.secret(),
            queues: [...state.queues.values()],
            webhooks: [...state.webhooks.values()],
            channels: [...state.channels.values()],
            conversations: [...state.conversations.values()],
            queuedEvents: delivery.queued(),
          }),
        });
  const delivery = createDelivery({
    keys,
    faults,
    tenantId,
    customerId,
    retry,
    timeoutMs: options.deliveryTimeoutMs ?? 5_000,
    logger,
    onChange: () => saver?.changed(),
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
    requestLog,
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
    requestLog,
    onMutation: () => saver?.changed(),
  });
  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    shutdown.abort();
    lifecycle.stop();
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await Promise.all([delivery.close(), serverClosed]);
    // After delivery stopped, so the events it did not get to are in the last save.
    await saver?.close();
  }

  const host = options.host ?? "127.0.0.1";
  try {
    await listen(server, options.port ?? 0, host);
    const { port } = server.address() as AddressInfo;
    baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    // Events an earlier run had not delivered go out first, under their old event ids.
    if (saved !== undefined) delivery.restore(saved.queuedEvents);
    if (saver !== undefined && stateFile !== undefined) await firstSave(saver, stateFile);
  } catch (error) {
    // A port in use or an unwritable state file: nothing may keep running (restored deliveries included).
    await (closing ??= close());
    throw error;
  }
  logger.info(
    {
      url: baseUrl,
      ...(stateFile === undefined ? {} : { stateFile, restoredConversations: state.conversations.size }),
    },
    "8x8 simulator listening",
  );

  return {
    url: baseUrl,
    apiKey,
    tenant: tenantId,
    customerId,
    currentKid: () => keys.currentKid(),
    publicJwk: (kid) => keys.publicJwk(kid),
    async rotateKey() {
      const kid = await keys.rotate();
      saver?.changed();
      return kid;
    },
    setFaults: (patch) => faults.set(parseFaultPatch(patch)),
    resetFaults: () => faults.reset(),
    faults: () => faults.get(),
    webhookRetry: () => delivery.retry(),
    setWebhookRetry: (patch) => delivery.setRetry(patch),
    webhookLog: () => delivery.log(),
    requestLog: () => requestLog.entries(),
    conversations: () =>
      [...state.conversations.values()].map((conversation) => summarize(state, conversation)),
    stateFile,
    restored: saved !== undefined,
    persisted: async () => {
      if (closing === undefined) await saver?.flush();
      else await closing;
    },
    settled: () => delivery.settled(),
    close: () => (closing ??= close()),
  };
}

/** How soon after a change the state file is written; changes within it are saved together. */
const SAVE_DELAY_MS = 200;

async function loadSaved(stateFile: string | undefined, fresh: boolean) {
  if (stateFile === undefined) return undefined;
  if (fresh) {
    await discardStateFile(stateFile);
    return undefined;
  }
  return loadStateFile(stateFile);
}

async function loadKeys(
  stateFile: string | undefined,
  saved: SimulatorSnapshot | undefined,
): Promise<KeyStore> {
  if (stateFile === undefined || saved === undefined) return createKeyStore();
  try {
    return await createKeyStore(saved.keys);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StateFileError(stateFile, `holds signing keys that cannot be loaded (${reason})`);
  }
}

function restoreInto(state: SimulatorState, saved: SimulatorSnapshot): void {
  for (const webhook of saved.webhooks) state.webhooks.set(webhook.id, webhook);
  for (const channel of saved.channels) state.channels.set(channel.id, channel);
  for (const conversation of saved.conversations) state.conversations.set(conversation.id, conversation);
}

/**
 * Written as part of the start: the file exists from then on (a generated API key and new signing keys are
 * kept even if nothing else happens), and a folder that cannot be written to fails the start instead of
 * losing the state later.
 */
async function firstSave(saver: StateSaver, stateFile: string): Promise<void> {
  saver.changed();
  try {
    await saver.flush();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StateFileError(stateFile, `cannot be written (${reason})`, { unwritable: true });
  }
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
