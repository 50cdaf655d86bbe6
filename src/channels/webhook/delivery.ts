import { randomUUID } from "node:crypto";
import { request } from "undici";
import { z } from "zod";
import type { EndpointRuntime, SessionEvent, SessionEventSink } from "../../conversation/types.ts";
import { BatonError, isBatonError } from "../../errors/index.ts";
import type { OutboxHandler } from "../../runtime/outbox-worker.ts";
import type { JsonObject } from "../../store/types.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { parseStoredPayload } from "../../utils/stored-payload.ts";
import { signWebhookBody, webhookHeaders } from "./signature.ts";

/** The outbox item kind of one webhook delivery. */
export const webhookDeliverKind = "webhook.deliver";

/** A Retry-After longer than this is cut to it: the session's later deliveries wait behind this one. */
const maxRetryAfterMs = 15 * 60_000;

export interface WebhookDeliveryOptions {
  readonly endpoints: ReadonlyMap<string, EndpointRuntime>;
  readonly logger: Logger;
  /** Per attempt, for the answer's headers and body. Default 10 s. */
  readonly timeoutMs?: number;
  /** Epoch milliseconds for `x-baton-timestamp`; default Date.now. */
  readonly clock?: () => number;
}

/**
 * What a receiver gets: the session's ids plus the event (see SessionEvent). Kept as the exact JSON text in
 * the outbox item, so every retry sends the same bytes.
 */
export type WebhookBody = {
  readonly endpointId: string;
  readonly userId: string;
  readonly sessionId: string;
} & SessionEvent;

/**
 * The webhook channel's delivery: a SessionEventSink that enqueues one outbox item per event of a webhook
 * endpoint's session (ordering key = the session, so one session's deliveries go out strictly in order), and
 * the outbox handler that POSTs it, signed, with undici.
 */
export function createWebhookDelivery(options: WebhookDeliveryOptions) {
  const { endpoints, logger } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const clock = options.clock ?? Date.now;

  const sessionEvents: SessionEventSink = {
    async stage(repos, session, endpoint, event) {
      if (endpoint.channel !== "webhook" || endpoint.callback === undefined) return false;
      const body: WebhookBody = {
        endpointId: endpoint.id,
        userId: session.userId,
        sessionId: session.sessionId,
        ...event,
      };
      await repos.outbox.enqueue([
        {
          orderingKey: `webhook:${session.id}`,
          kind: webhookDeliverKind,
          payload: {
            deliveryId: randomUUID(),
            endpointId: endpoint.id,
            type: event.type,
            body: JSON.stringify(body),
          },
        },
      ]);
      return true;
    },
  };

  const deliver: OutboxHandler = async (stored) => {
    const payload = parseStoredPayload(deliveryPayload, webhookDeliverKind, stored);
    const endpointId = payload.endpointId;
    const callback = endpoints.get(endpointId)?.callback;
    if (callback === undefined) {
      // The endpoint lost its webhook channel in the config since this was queued: nowhere to send it.
      throw new BatonError("BATON_ERR_CALLBACK_REJECTED", {
        endpointId,
        reason: "no callbackUrl configured",
      });
    }
    const body = payload.body;
    const timestamp = String(clock());
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(callback.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "baton-webhook",
          [webhookHeaders.signature]: signWebhookBody(callback.secret, timestamp, body),
          [webhookHeaders.timestamp]: timestamp,
          [webhookHeaders.delivery]: payload.deliveryId,
        },
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      // Connection refused, reset, DNS, timeout: all worth a retry. Only the error's code is kept (no URL).
      const reason = (error as { code?: unknown }).code;
      throw new BatonError(
        "BATON_ERR_CALLBACK_UNAVAILABLE",
        { endpointId, reason: typeof reason === "string" ? reason : "network" },
        { cause: error },
      );
    }
    await response.body.dump();
    const status = response.statusCode;
    if (status >= 200 && status < 300) return;
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers["retry-after"], clock());
      throw new BatonError("BATON_ERR_CALLBACK_UNAVAILABLE", {
        endpointId,
        status,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    // Other 4xx (and 1xx/3xx: redirects are not followed) will not change by retrying.
    throw new BatonError("BATON_ERR_CALLBACK_REJECTED", { endpointId, status });
  };

  return {
    sessionEvents,
    outboxHandlers: { [webhookDeliverKind]: deliver } as Readonly<Record<string, OutboxHandler>>,

    /** A delivery ended without success: rejected (4xx) or out of attempts. Logged with the code, never the body. */
    onOutboxFailed(item: { kind: string; payload: JsonObject; status?: string }, error: unknown): void {
      logger.error(
        {
          endpointId: item.payload.endpointId,
          deliveryId: item.payload.deliveryId,
          type: item.payload.type,
          outcome: item.status,
          code: isBatonError(error) ? error.code : undefined,
          status: isBatonError(error) ? error.details.status : undefined,
        },
        "webhook delivery failed for good",
      );
    },
  };
}

export type WebhookDelivery = ReturnType<typeof createWebhookDelivery>;

/** A queued delivery as `stage` wrote it: the exact JSON text to POST, and whose it is. */
const deliveryPayload = z.object({
  deliveryId: z.string().min(1),
  endpointId: z.string().min(1),
  type: z.string(),
  body: z.string(),
});

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now, capped. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return undefined;
  const trimmed = text.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    ms = Math.max(0, date - now);
  }
  return Math.min(ms, maxRetryAfterMs);
}
