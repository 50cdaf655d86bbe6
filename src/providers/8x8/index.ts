import type { EightByEightProviderConfig } from "../../config/index.ts";
import { BatonError } from "../../errors/index.ts";
import type { ProviderDefinition, ProviderDeps } from "../definition.ts";
import type { HandoverProvider, ProviderWebhook } from "../port.ts";
import { createChatGatewayClient, type ChatGatewayClient } from "./client.ts";
import { outboundRecorder } from "./event-log.ts";
import { createEightByEightHandoverOperations } from "./handover-operations.ts";
import { eightByEightLimits } from "./limits.ts";
import { createEightByEightReconcile } from "./reconcile.ts";
import { createWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.ts";

export type { ChatGatewayClient, ChatGatewayClientOptions } from "./client.ts";
export { ChatGatewayError, isChatGatewayError } from "./gateway-error.ts";
export { ensureEightByEightSetup, webhookUriFor, type SetupInput, type SetupResult } from "./setup.ts";
export type * from "./wire-types.ts";
export { eightByEightLimits } from "./limits.ts";

/** The 8x8 provider: the shared HandoverProvider surface plus its Chat Gateway client. */
export interface EightByEightProvider extends HandoverProvider {
  readonly type: "8x8";
  readonly client: ChatGatewayClient;
  readonly webhook: ProviderWebhook;
}

/** Where 8x8 posts webhook events (`/handover/eightByEight` and `/handover/eightByEight/{providerId}`). */
export const eightByEightWebhookPath = "/handover/eightByEight";

/**
 * Creates the 8x8 Chat Gateway provider from its config: one HTTP client (keep-alive pool, retries,
 * metrics) and, once started, one webhook receiver whose signing keys are fetched through that client.
 *
 * @example
 * const eight = createEightByEightProvider("eight", config.providers.eight, { store, bus, logger, metrics });
 * await eight.start({ onEvent: (event) => handovers.onProviderEvent(event) });
 * const { conversationId } = await eight.client.conversations.create({ channelId, user: { name: "Ana" } });
 */
export function createEightByEightProvider(
  id: string,
  config: EightByEightProviderConfig,
  deps: ProviderDeps,
): EightByEightProvider {
  const logger = deps.logger.child({ provider: id });
  const client = createClientFromConfig(id, config, deps);
  let receiver: WebhookReceiver | undefined;
  return {
    id,
    type: "8x8",
    client,
    capabilities: eightByEightLimits,
    handover: {
      ...createEightByEightHandoverOperations(client, {
        ...(config.channelId !== undefined ? { channelId: config.channelId } : {}),
      }),
      reconcile: createEightByEightReconcile(client, id, logger),
    },
    webhook: {
      path: eightByEightWebhookPath,
      handle(request) {
        // Before start (and after stop) nothing can take events: 503 makes 8x8 retry them later.
        if (receiver === undefined) throw new BatonError("BATON_ERR_SERVER_SHUTTING_DOWN");
        return receiver.handle(request);
      },
      replay(request) {
        if (receiver === undefined) throw new BatonError("BATON_ERR_SERVER_SHUTTING_DOWN");
        return receiver.replay(request);
      },
    },
    async start({ onEvent, onGap }) {
      if (receiver !== undefined) return;
      receiver = createWebhookReceiver({
        providerId: id,
        fetchJwk: (kid) => client.jwk.getPublicJwk(kid),
        events: deps.store.webhookEvents,
        bus: deps.bus,
        onEvent,
        ...(onGap !== undefined ? { onGap } : {}),
        logger,
        metrics: deps.metrics,
        ...(deps.eventLog !== undefined ? { eventLog: deps.eventLog } : {}),
        maxSkewSeconds: config.webhook.maxSkewSeconds,
        reorderWindowMs: config.webhook.reorderWindowMs,
        // A conversation's first events can overtake the answer to the create call; the handler then asks to
        // be retried (BATON_ERR_HANDOVER_NOT_FOUND). About 9 s of retries covers a slow create answer.
        handlerRetry: { attempts: 8, initialDelayMs: 200, maxDelayMs: 2_000 },
        ...(config.webhook.expectedTenantId !== undefined
          ? { expectedTenantId: config.webhook.expectedTenantId }
          : {}),
        ...(config.webhook.expectedCustomerId !== undefined
          ? { expectedCustomerId: config.webhook.expectedCustomerId }
          : {}),
      });
      await receiver.start();
    },
    async stop() {
      await receiver?.stop();
      await client.close();
    },
  };
}

/** The registry's entry for `type: 8x8`. */
export const eightByEightProvider: ProviderDefinition<EightByEightProviderConfig> = {
  type: "8x8",
  create: createEightByEightProvider,
};

/** A Chat Gateway client configured from `providers.<id>` (also used by `baton 8x8 setup`). */
export function createClientFromConfig(
  id: string,
  config: EightByEightProviderConfig,
  deps: Partial<Pick<ProviderDeps, "logger" | "metrics" | "eventLog">> = {},
): ChatGatewayClient {
  return createChatGatewayClient({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    providerId: id,
    timeoutMs: config.http.timeoutMs,
    retry: { maxAttempts: config.http.maxAttempts },
    jwkUrlTemplate: config.jwkUrl,
    ...(config.tenant !== undefined ? { tenant: config.tenant } : {}),
    ...(deps.logger !== undefined ? { logger: deps.logger } : {}),
    ...(deps.metrics !== undefined ? { metrics: deps.metrics } : {}),
    ...(deps.eventLog !== undefined ? { onAttempt: outboundRecorder(id, deps.eventLog) } : {}),
  });
}
