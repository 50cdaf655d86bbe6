import type { EightByEightProviderConfig } from "../../config/index.ts";
import type { HandoverProvider } from "../port.ts";
import type { ProviderDeps } from "../registry.ts";
import { createChatGatewayClient, type ChatGatewayClient } from "./client.ts";
import { createEightByEightHandoverOperations } from "./handover-operations.ts";
import { createWebhookReceiver } from "./webhook-receiver.ts";

export type { ChatGatewayClient, ChatGatewayClientOptions } from "./client.ts";
export { ChatGatewayError, isChatGatewayError } from "./gateway-error.ts";
export { ensureEightByEightSetup, webhookUriFor, type SetupInput, type SetupResult } from "./setup.ts";
export type * from "./wire-types.ts";

/** The 8x8 provider: the shared HandoverProvider surface plus its Chat Gateway client. */
export interface EightByEightProvider extends HandoverProvider {
  readonly type: "8x8";
  readonly client: ChatGatewayClient;
}

/**
 * Creates the 8x8 Chat Gateway provider from its config: one HTTP client (keep-alive pool, retries,
 * metrics) and one webhook receiver whose signing keys are fetched through that client.
 *
 * @example
 * const eight = createEightByEightProvider("eight", config.providers.eight, { store, logger, metrics, onEvent });
 * await eight.start();
 * const { conversationId } = await eight.client.conversations.create({ channelId, user: { name: "Ana" } });
 */
export function createEightByEightProvider(
  id: string,
  config: EightByEightProviderConfig,
  deps: ProviderDeps,
): EightByEightProvider {
  const logger = deps.logger.child({ provider: id });
  const client = createClientFromConfig(id, config, deps);
  const receiver = createWebhookReceiver({
    providerId: id,
    fetchJwk: (kid) => client.jwk.getPublicJwk(kid),
    events: deps.store.webhookEvents,
    onEvent: deps.onEvent,
    logger,
    metrics: deps.metrics,
    maxSkewSeconds: config.webhook.maxSkewSeconds,
    reorderWindowMs: config.webhook.reorderWindowMs,
    // A conversation's first events can overtake the answer to the create call; the handler then asks to be
    // retried (BATON_ERR_HANDOVER_NOT_FOUND). About 9 s of retries covers a slow create answer.
    handlerRetry: { attempts: 8, initialDelayMs: 200, maxDelayMs: 2_000 },
    ...(config.webhook.expectedTenantId !== undefined
      ? { expectedTenantId: config.webhook.expectedTenantId }
      : {}),
    ...(config.webhook.expectedCustomerId !== undefined
      ? { expectedCustomerId: config.webhook.expectedCustomerId }
      : {}),
  });
  return {
    id,
    type: "8x8",
    client,
    handover: createEightByEightHandoverOperations(client, {
      ...(config.channelId !== undefined ? { channelId: config.channelId } : {}),
    }),
    handleWebhook: (request) => receiver.handle(request),
    start: () => receiver.start(),
    async stop() {
      await receiver.stop();
      await client.close();
    },
  };
}

/** A Chat Gateway client configured from `providers.<id>` (also used by `baton 8x8 setup`). */
export function createClientFromConfig(
  id: string,
  config: EightByEightProviderConfig,
  deps: Partial<Pick<ProviderDeps, "logger" | "metrics">> = {},
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
  });
}
