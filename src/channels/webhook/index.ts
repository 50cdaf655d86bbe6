import type { FastifyInstance } from "fastify";
import type { ConversationService } from "../../conversation/service.ts";
import type { EndpointRuntime } from "../../conversation/types.ts";
import type { Store } from "../../store/types.ts";
import type { HandoverProvider } from "../../providers/port.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { registerBotApi } from "./bot-api.ts";
import type { OutboxWork } from "../../runtime/outbox-worker.ts";
import { createWebhookDelivery } from "./delivery.ts";

export { webhookHeaders, signWebhookBody } from "./signature.ts";
export { webhookDeliverKind, type WebhookBody } from "./delivery.ts";

export interface WebhookChannelOptions {
  readonly endpoints: ReadonlyMap<string, EndpointRuntime>;
  readonly store: Pick<Store, "sessions" | "messages" | "handovers">;
  readonly logger: Logger;
  readonly providers: ReadonlyMap<string, Pick<HandoverProvider, "capabilities">>;
  /** Per delivery attempt. Default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * The webhook channel: signed, ordered, retried deliveries of session events to each webhook endpoint's
 * callbackUrl, and the bot API an external bot acts through. The delivery parts exist before the
 * conversation service (it takes `sessionEvents`); the routes are mounted once the service exists.
 *
 * @example
 * const webhook = createWebhookChannel({ endpoints, store, logger, providers });
 * const conversations = createConversationService({ ...deps, sessionEvents: webhook.sessionEvents });
 * outbox.start(combineOutboxWork(conversations.handovers.outbox, webhook.outbox));
 * await buildServer({ mount: [(app) => webhook.register(app, conversations)] });
 */
export function createWebhookChannel(options: WebhookChannelOptions) {
  const delivery = createWebhookDelivery({
    endpoints: options.endpoints,
    logger: options.logger,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  return {
    sessionEvents: delivery.sessionEvents,
    /** The outbox work of this channel: signed deliveries, and what to log when one fails for good. */
    outbox: {
      handlers: delivery.outboxHandlers,
      onFailed: (item, error) => delivery.onOutboxFailed(item, error),
    } satisfies OutboxWork,
    register(app: FastifyInstance, conversations: ConversationService): void {
      registerBotApi(app, {
        endpoints: options.endpoints,
        conversations,
        store: options.store,
        providers: options.providers,
      });
    },
  };
}

export type WebhookChannel = ReturnType<typeof createWebhookChannel>;
