import type { FastifyInstance } from "fastify";
import type { ConversationService } from "../../conversation/service.ts";
import type { EndpointRuntime } from "../../conversation/types.ts";
import type { Store } from "../../store/types.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { registerBotApi } from "./bot-api.ts";
import { createWebhookDelivery, type WebhookDelivery } from "./delivery.ts";

export { webhookHeaders, signWebhookBody } from "./signature.ts";
export { webhookDeliverKind, type WebhookBody } from "./delivery.ts";

export interface WebhookChannelOptions {
  readonly endpoints: ReadonlyMap<string, EndpointRuntime>;
  readonly store: Pick<Store, "sessions" | "messages" | "handovers">;
  readonly logger: Logger;
  readonly providerIds: Iterable<string>;
  /** Per delivery attempt. Default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * The webhook channel: signed, ordered, retried deliveries of session events to each webhook endpoint's
 * callbackUrl, and the bot API an external bot acts through. The delivery parts exist before the
 * conversation service (it takes `sessionEvents`); the routes are mounted once the service exists.
 *
 * @example
 * const webhook = createWebhookChannel({ endpoints, store, logger, providerIds: providers.keys() });
 * const conversations = createConversationService({ ...deps, sessionEvents: webhook.sessionEvents });
 * const outbox = createOutboxWorker({ handlers: { ...conversations.outboxHandlers, ...webhook.outboxHandlers }, ... });
 * await buildServer({ mount: [(app) => webhook.register(app, conversations)] });
 */
export function createWebhookChannel(options: WebhookChannelOptions) {
  const delivery = createWebhookDelivery({
    endpoints: options.endpoints,
    logger: options.logger,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const providerIds = new Set(options.providerIds);
  return {
    sessionEvents: delivery.sessionEvents,
    outboxHandlers: delivery.outboxHandlers,
    owns: (item: Parameters<WebhookDelivery["owns"]>[0]) => delivery.owns(item),
    onOutboxFailed: (...args: Parameters<WebhookDelivery["onOutboxFailed"]>) =>
      delivery.onOutboxFailed(...args),
    register(app: FastifyInstance, conversations: ConversationService): void {
      registerBotApi(app, { endpoints: options.endpoints, conversations, store: options.store, providerIds });
    },
  };
}

export type WebhookChannel = ReturnType<typeof createWebhookChannel>;
