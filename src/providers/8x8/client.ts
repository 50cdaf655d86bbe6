import { setTimeout as delay } from "node:timers/promises";
import { BatonError } from "../../errors/index.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { noopMetrics, type ProviderMetrics } from "../../telemetry/metrics.ts";
import { createAttachmentsApi, type AttachmentsApi } from "./client-attachments.ts";
import { createCardsApi, type CardsApi } from "./client-cards.ts";
import { createChannelsApi, type ChannelsApi } from "./client-channels.ts";
import type { ClientContext } from "./client-context.ts";
import { createConversationsApi, type ConversationsApi } from "./client-conversations.ts";
import { buildJwkUrl, createJwkApi, defaultJwkUrlTemplate, type JwkApi } from "./client-jwk.ts";
import { createMessagesApi, type MessagesApi } from "./client-messages.ts";
import { createWebhooksApi, type WebhooksApi } from "./client-webhooks.ts";
import { defaultRetrySettings, type RetrySettings } from "./retry-policy.ts";
import { createTransport, type OutboundAttempt, type TransportSettings } from "./transport.ts";

export interface ChatGatewayClientOptions {
  /** `https://api.8x8.com` or the simulator's URL; 8x8 documents no regional host. */
  readonly baseUrl: string;
  /** Sent as `x-api-key` on every call except the JWK fetch. Never logged, never put in an error. */
  readonly apiKey: string;
  /** Sent as `X-8x8-Tenant` on every call when set; an empty string counts as unset (`${VAR:-}` configs). */
  readonly tenant?: string;
  /** The `provider` metrics label; default `8x8`. */
  readonly providerId?: string;
  /** Deadline of one attempt (connect + headers + body), ms; default 10 000. */
  readonly timeoutMs?: number;
  /** Retries on 429, 5xx, network errors and timeouts; never on other 4xx. */
  readonly retry?: Partial<RetrySettings>;
  /** Where to fetch signing keys: `{baseUrl}` and `{kid}` are filled in. Default {@link defaultJwkUrlTemplate}. */
  readonly jwkUrlTemplate?: string;
  readonly metrics?: ProviderMetrics;
  /** Told of every HTTP attempt, like `metrics` (the event log); must not throw or wait. */
  readonly onAttempt?: (attempt: OutboundAttempt) => void;
  readonly logger?: Logger;
  readonly userAgent?: string;
  /** Jitter source in [0, 1); injectable for tests. */
  readonly random?: () => number;
  /** Waits between attempts; injectable so tests record delays instead of waiting. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Clock for HTTP-date `Retry-After` values. */
  readonly now?: () => number;
}

/** A typed client for every operation in 8x8's Chat Gateway v1 OpenAPI. */
export interface ChatGatewayClient {
  readonly webhooks: WebhooksApi;
  readonly jwk: JwkApi;
  readonly channels: ChannelsApi;
  readonly conversations: ConversationsApi;
  readonly messages: MessagesApi;
  readonly attachments: AttachmentsApi;
  readonly cards: CardsApi;
  /** The URL the signing key with this `kid` is fetched from (for the webhook receiver's key cache). */
  jwkUrl(kid: string): string;
  /** Closes the keep-alive pool; later calls fail with BATON_ERR_8X8_UNAVAILABLE (`reason: "client_closed"`). */
  close(): Promise<void>;
}

const defaultTimeoutMs = 10_000;
const defaultUserAgent = "baton-chat-gateway-client/1";

/**
 * Creates a Chat Gateway v1 client with one keep-alive connection pool, per-attempt timeouts, retries with
 * full-jitter backoff that honour `Retry-After`, client-side checks of 8x8's documented limits, and one error
 * type ({@link ChatGatewayError}) for every failure. Every attempt is reported to `metrics.outboundCall`.
 *
 * `conversations.create` and `messages.send` are not idempotent on 8x8's side (there is no Idempotency-Key):
 * when a durable outbox retries them, call them with `{ retry: false }` so a lost answer is never re-sent
 * twice.
 *
 * @example
 * const client = createChatGatewayClient({ baseUrl: "https://api.8x8.com", apiKey, tenant: "acme01" });
 * const { conversationId } = await client.conversations.create(
 *   { channelId: "25", user: { name: "Ana", language: "pt" }, assignment: { type: "queue", id: "311" } },
 *   { retry: false },
 * );
 * await client.messages.send(conversationId, { authorType: "user", text: "I need a refund" }, { retry: false });
 * for await (const webhook of client.webhooks.listAll()) console.log(webhook.id, webhook.uri);
 * await client.close();
 */
export function createChatGatewayClient(options: ChatGatewayClientOptions): ChatGatewayClient {
  const settings = resolveSettings(options);
  const jwkUrlTemplate = resolveJwkUrlTemplate(options.jwkUrlTemplate, settings.baseUrl);
  const transport = createTransport(settings);
  const context: ClientContext = { transport, tenant: settings.tenant };
  const jwkUrl = (kid: string): string => buildJwkUrl(jwkUrlTemplate, settings.baseUrl, kid);
  return {
    webhooks: createWebhooksApi(context),
    jwk: createJwkApi(context, jwkUrl),
    channels: createChannelsApi(context),
    conversations: createConversationsApi(context),
    messages: createMessagesApi(context),
    attachments: createAttachmentsApi(context),
    cards: createCardsApi(context),
    jwkUrl,
    close: () => transport.close(),
  };
}

function configInvalid(field: string, expected: string): BatonError {
  return new BatonError("BATON_ERR_CONFIG_INVALID", { field, expected });
}

function resolveSettings(options: ChatGatewayClientOptions): TransportSettings {
  const baseUrl = resolveBaseUrl(options.baseUrl);
  if (typeof options.apiKey !== "string" || options.apiKey === "")
    throw configInvalid("apiKey", "a non-empty API key");
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  checkPositive(timeoutMs, "timeoutMs");
  const retry = { ...defaultRetrySettings, ...options.retry };
  checkRetrySettings(retry);
  return {
    baseUrl,
    apiKey: options.apiKey,
    tenant: options.tenant === "" ? undefined : options.tenant,
    providerId: options.providerId ?? "8x8",
    timeoutMs,
    retry,
    metrics: options.metrics ?? noopMetrics,
    ...(options.onAttempt !== undefined ? { onAttempt: options.onAttempt } : {}),
    logger: options.logger,
    userAgent: options.userAgent ?? defaultUserAgent,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? ((ms) => delay(ms)),
    now: options.now ?? Date.now,
  };
}

function resolveBaseUrl(baseUrl: string): string {
  const parsed = URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
  if (parsed === undefined || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    throw configInvalid("baseUrl", "an absolute http(s) URL such as https://api.8x8.com");
  }
  if (parsed.search !== "" || parsed.hash !== "")
    throw configInvalid("baseUrl", "a URL without query or fragment");
  return baseUrl.replace(/\/+$/, "");
}

function resolveJwkUrlTemplate(template: string | undefined, baseUrl: string): string {
  const resolved = template ?? defaultJwkUrlTemplate;
  if (!resolved.includes("{kid}") || !URL.canParse(buildJwkUrl(resolved, baseUrl, "kid"))) {
    throw configInvalid(
      "jwkUrlTemplate",
      "an absolute URL template containing {kid}, e.g. " + defaultJwkUrlTemplate,
    );
  }
  return resolved;
}

function checkPositive(value: number, field: string): void {
  if (!Number.isFinite(value) || value <= 0) throw configInvalid(field, "a positive number of milliseconds");
}

function checkRetrySettings(retry: RetrySettings): void {
  if (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1) {
    throw configInvalid("retry.maxAttempts", "an integer of at least 1");
  }
  checkPositive(retry.baseDelayMs, "retry.baseDelayMs");
  checkPositive(retry.maxDelayMs, "retry.maxDelayMs");
  checkPositive(retry.retryAfterCapMs, "retry.retryAfterCapMs");
}
