import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "pino";
import { Agent, request } from "undici";
import type { FaultState } from "./faults.ts";
import type { KeyStore } from "./signing.ts";
import type { ConversationEvent, WebhookEventType } from "./types.ts";
import { parseRetryPatch, type WebhookRetry } from "./webhook-retry.ts";

/** One row of the webhook log: every attempt, including dropped and duplicated ones. */
export type WebhookAttempt = {
  eid: string;
  eventType: WebhookEventType;
  conversationId?: string;
  retry: number;
  url: string;
  at: string;
  status?: number;
  error?: string;
  /** `delivered` = 2xx; `failed` = non-2xx, network error or timeout; `dropped` = not sent (fault). */
  outcome: "delivered" | "failed" | "dropped" | "gave-up" | "no-webhook";
  duplicate?: boolean;
};

export type DeliveryOptions = {
  keys: KeyStore;
  faults: FaultState;
  tenantId: string;
  customerId: string;
  /** The starting retry budget; `setRetry` changes it while running. */
  retry: WebhookRetry;
  timeoutMs: number;
  logger: Logger;
  /** Called whenever the set of undelivered events changes (an event queued, delivered or given up). */
  onChange?(): void;
};

/** An event not yet delivered or given up, as the state file keeps it. */
export type QueuedEvent = {
  eid: string;
  eventType: Exclude<WebhookEventType, "WEB_HOOK_VERIFY">;
  conversationId: string;
  url?: string;
  /** The exact JSON body, so a restart re-sends the same bytes under the same event id. */
  body: string;
};

export type Delivery = {
  /** Queues an event behind the conversation's earlier events; `url` is undefined when no webhook is bound. */
  enqueue(url: string | undefined, event: ConversationEvent): void;
  /** Sends one signed WEB_HOOK_VERIFY attempt; true when the target answered 2xx. */
  verify(url: string): Promise<boolean>;
  log(): WebhookAttempt[];
  retry(): WebhookRetry;
  /** Validates and applies a partial budget; the next attempt of every queued event uses it. */
  setRetry(patch: Partial<WebhookRetry>): WebhookRetry;
  /** Every event still to be delivered, per conversation in order (including the one being attempted). */
  queued(): QueuedEvent[];
  /** Queues events kept from an earlier run, ahead of anything their conversations send next. */
  restore(events: readonly QueuedEvent[]): void;
  /** Resolves once nothing is queued or in flight (tests and graceful shutdown). */
  settled(): Promise<void>;
  close(): Promise<void>;
};

type PendingEvent = {
  eid: string;
  eventType: WebhookEventType;
  conversationId?: string;
  url: string | undefined;
  body: Buffer;
};

type AttemptKind = "attempt" | "duplicate" | "verify";

/** A conversation's events; the head stays queued until it is delivered or given up. */
type Lane = { queue: PendingEvent[]; running: boolean; wake?: () => void };

/**
 * WEB_HOOK_VERIFY has no conversation, timestamp or data, only `notificationVersion`; this exact body is
 * signed.
 */
export const WEB_HOOK_VERIFY_BODY =
  '{"notificationVersion":"Chat Gateway v1.0","eventType":"WEB_HOOK_VERIFY"}';

const MAX_BACKOFF_MS = 5_000;
/** How long a reordered event waits for the next one to overtake it (roughly 100–150 ms). */
const REORDER_HOLD_MS = 125;
const DUPLICATE_DELAY_MS = 20;
const LOG_LIMIT = 5_000;

/**
 * Signed, retried, per-conversation ordered webhook delivery with 8x8's `x-8x8-*` headers. A conversation's
 * events go out one at a time: the next waits until the previous one is delivered or given up, because
 * receivers may rely on order even though 8x8 does not promise it. Faults are the deliberate exceptions.
 */
export function createDelivery(options: DeliveryOptions): Delivery {
  const lanes = new Map<string, Lane>();
  const inFlight = new Set<Promise<unknown>>();
  const attempts: WebhookAttempt[] = [];
  const shutdown = new AbortController();
  const dispatcher = new Agent({ keepAliveTimeout: 1_000 });
  let retryPolicy: WebhookRetry = { ...options.retry };
  const changed = () => options.onChange?.();

  function track<T>(work: Promise<T>): Promise<T> {
    inFlight.add(work);
    // This derived promise rejects exactly when `work` does, and `work` is returned to a caller that handles
    // it; catching the copy only keeps it from being reported a second time as unhandled.
    work.finally(() => inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  function record(attempt: WebhookAttempt): void {
    attempts.push(attempt);
    if (attempts.length > LOG_LIMIT) attempts.splice(0, attempts.length - LOG_LIMIT);
    options.logger.debug({ attempt }, "webhook attempt");
  }

  /** `kind` decides which faults apply: only regular attempts can be dropped. */
  async function send(event: PendingEvent, retry: number, kind: AttemptKind): Promise<boolean> {
    const base = {
      eid: event.eid,
      eventType: event.eventType,
      ...(event.conversationId === undefined ? {} : { conversationId: event.conversationId }),
      retry,
      url: event.url ?? "",
      at: new Date().toISOString(),
      ...(kind === "duplicate" ? { duplicate: true } : {}),
    };
    if (event.url === undefined) {
      record({ ...base, outcome: "no-webhook", error: "the conversation's channel has no webhook" });
      return false;
    }
    if (kind === "attempt" && options.faults.roll(options.faults.get().dropRate)) {
      record({ ...base, outcome: "dropped", error: "dropped by fault injection" });
      return false;
    }
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error("delivery timed out")), options.timeoutMs);
    try {
      const response = await request(event.url, {
        method: "POST",
        dispatcher,
        headers: signedHeaders(event, retry),
        body: event.body,
        signal: AbortSignal.any([shutdown.signal, timeout.signal]),
      });
      await response.body.dump();
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      record({ ...base, status: response.statusCode, outcome: ok ? "delivered" : "failed" });
      return ok;
    } catch (error) {
      record({ ...base, outcome: "failed", error: describeError(error, timeout.signal) });
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  function signedHeaders(event: PendingEvent, retry: number): Record<string, string> {
    // The transmission time is fresh on every attempt; the event id never changes (as 8x8 documents).
    const transmissionTime = Date.now();
    const signature = options.keys.sign({
      body: event.body,
      customerId: options.customerId,
      eventId: event.eid,
      retry,
      tenantId: options.tenantId,
      transmissionTime,
    });
    return {
      "content-type": "application/json",
      "cache-control": "no-cache",
      "x-8x8-tenant-id": options.tenantId,
      "x-8x8-customer-id": options.customerId,
      "x-8x8-event-id": event.eid,
      "x-8x8-transmission-time": String(transmissionTime),
      "x-8x8-retry": String(retry),
      "x-8x8-signature": signature,
    };
  }

  /** A base delay above the 5 s cap raises the cap, so the first retry never waits less than asked. */
  function backoffMs(failedAttempts: number): number {
    const { baseDelayMs } = retryPolicy;
    return Math.min(baseDelayMs * 2 ** (failedAttempts - 1), Math.max(MAX_BACKOFF_MS, baseDelayMs));
  }

  /**
   * True once the event is done with (delivered, given up, or there is no webhook to send it to); false when
   * closing interrupted it, so it stays queued for the state file. The budget is read on every attempt, so a
   * change applies to events already retrying.
   */
  async function deliverWithRetries(event: PendingEvent): Promise<boolean> {
    let attempt = 0;
    for (; attempt < retryPolicy.maxAttempts; attempt++) {
      if (attempt > 0) {
        const waited = await delay(backoffMs(attempt), true, { signal: shutdown.signal }).catch(() => false);
        if (!waited) return false;
      }
      if (await send(event, attempt, "attempt")) {
        if (options.faults.roll(options.faults.get().duplicateRate)) scheduleDuplicate(event);
        return true;
      }
      if (event.url === undefined) return true;
      if (shutdown.signal.aborted) return false;
    }
    record({
      eid: event.eid,
      eventType: event.eventType,
      ...(event.conversationId === undefined ? {} : { conversationId: event.conversationId }),
      retry: attempt - 1,
      url: event.url ?? "",
      at: new Date().toISOString(),
      outcome: "gave-up",
      error: `gave up after ${attempt} attempts`,
    });
    return true;
  }

  /** A duplicate repeats the event as if it were a fresh first delivery: same eid and body, retry 0. */
  function scheduleDuplicate(event: PendingEvent): void {
    const work = delay(DUPLICATE_DELAY_MS, undefined, { signal: shutdown.signal }).then(() =>
      send(event, 0, "duplicate"),
    );
    track(work).catch((error: unknown) => {
      // Closing aborts the delay: the duplicate is then simply not sent.
      if (!shutdown.signal.aborted) options.logger.error({ err: error, eid: event.eid }, "duplicate failed");
    });
  }

  /** Waits up to the hold time for the conversation's next event (behind the head), which then goes out first. */
  async function nextEventWithin(lane: Lane, holdMs: number): Promise<PendingEvent | undefined> {
    if (lane.queue.length < 2) {
      const hold = new AbortController();
      const stop = AbortSignal.any([shutdown.signal, hold.signal]);
      lane.wake = () => hold.abort();
      await delay(holdMs, undefined, { signal: stop }).catch(() => undefined);
      lane.wake = undefined;
      if (shutdown.signal.aborted) return undefined;
    }
    return lane.queue[1];
  }

  function done(lane: Lane, event: PendingEvent): void {
    const index = lane.queue.indexOf(event);
    if (index >= 0) lane.queue.splice(index, 1);
    changed();
  }

  /** Events leave the queue only once done with, so a close mid-attempt leaves them for the state file. */
  async function drain(key: string, lane: Lane): Promise<void> {
    try {
      while (!shutdown.signal.aborted) {
        const head = lane.queue[0];
        if (head === undefined) break;
        if (options.faults.roll(options.faults.get().reorderRate)) {
          // Only an event that actually has a successor is overtaken; the hold is bounded either way.
          const overtaker = await nextEventWithin(lane, REORDER_HOLD_MS);
          if (overtaker !== undefined) {
            if (!(await deliverWithRetries(overtaker))) break;
            done(lane, overtaker);
          }
        }
        if (!(await deliverWithRetries(head))) break;
        done(lane, head);
      }
    } catch (error) {
      if (!shutdown.signal.aborted) options.logger.error({ err: error }, "webhook delivery lane failed");
    } finally {
      lane.running = false;
      if (lane.queue.length === 0) lanes.delete(key);
    }
  }

  function queue(key: string, event: PendingEvent): void {
    let lane = lanes.get(key);
    if (lane === undefined) {
      lane = { queue: [], running: false };
      lanes.set(key, lane);
    }
    lane.queue.push(event);
    lane.wake?.();
    if (!lane.running) {
      lane.running = true;
      // drain() logs its own failures; this only catches what would escape it (a bug).
      track(drain(key, lane)).catch((error: unknown) => {
        options.logger.error({ err: error, conversationId: key }, "webhook delivery lane crashed");
      });
    }
  }

  return {
    enqueue(url, event) {
      if (shutdown.signal.aborted) return;
      queue(event.conversationId, {
        eid: randomUUID(),
        eventType: event.eventType,
        conversationId: event.conversationId,
        url,
        body: Buffer.from(JSON.stringify(event), "utf8"),
      });
      changed();
    },
    restore(events) {
      for (const event of events) {
        queue(event.conversationId, { ...event, url: event.url, body: Buffer.from(event.body, "utf8") });
      }
    },
    queued: () =>
      [...lanes.values()].flatMap((lane) =>
        lane.queue.map((event) => ({
          eid: event.eid,
          eventType: event.eventType as QueuedEvent["eventType"],
          conversationId: event.conversationId ?? "",
          ...(event.url === undefined ? {} : { url: event.url }),
          body: event.body.toString("utf8"),
        })),
      ),
    retry: () => ({ ...retryPolicy }),
    setRetry(patch) {
      retryPolicy = { ...retryPolicy, ...parseRetryPatch(patch) };
      return { ...retryPolicy };
    },
    async verify(url) {
      const event: PendingEvent = {
        eid: randomUUID(),
        eventType: "WEB_HOOK_VERIFY",
        url,
        body: Buffer.from(WEB_HOOK_VERIFY_BODY, "utf8"),
      };
      return track(send(event, 0, "verify"));
    },
    log: () => attempts.map((attempt) => ({ ...attempt })),
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async close() {
      shutdown.abort();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await dispatcher.destroy();
    },
  };
}

function describeError(error: unknown, timeout: AbortSignal): string {
  if (timeout.aborted) return "timed out";
  return error instanceof Error ? error.message : String(error);
}
