import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { BatonError, isBatonError, type ErrorCode } from "../../errors/index.ts";
import type { EventLogSink } from "../../eventlog/recorder.ts";
import type { Bus } from "../../bus/types.ts";
import type { BacklogEvent, StoredWebhookEvent, WebhookEventRepository } from "../../store/index.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { ProviderMetrics } from "../../telemetry/metrics.ts";
import { createKeyedReorderQueue, type SetTimer } from "../../utils/keyed-reorder-queue.ts";
import type {
  ProviderEvent,
  ProviderEventHandler,
  ProviderGap,
  WebhookReplayRequest,
  WebhookReplayResult,
  WebhookRequest,
  WebhookResponse,
} from "../port.ts";
import { inboundEntry, type InboundOutcome, type ReceivedFacts } from "./event-log.ts";
import { createJwkCache, type FetchJwk } from "./jwk-cache.ts";
import { createWebhookVerifier, webhookHeaders, type VerifiedDelivery } from "./signature.ts";
import {
  eventTypeLabel,
  isVerifyEvent,
  mapWebhookEvent,
  parseWebhookEnvelope,
  replayEventId,
  type WebhookEnvelope,
  type WebhookEventDisposition,
} from "./webhook-events.ts";

/** How a failing `onEvent` is retried before the event is marked failed. */
export interface HandlerRetryOptions {
  /** Total attempts, the first included; default 4. */
  readonly attempts?: number;
  /** Delay before the second attempt; doubles each time. Default 200 ms. */
  readonly initialDelayMs?: number;
  /** Cap on one delay; default 5 000 ms. */
  readonly maxDelayMs?: number;
}

export interface WebhookReceiverOptions {
  /** The configured provider id (`providers.<id>`); the de-duplication key is (providerId, x-8x8-event-id). */
  readonly providerId: string;
  /** Fetches the public JWK for a kid (wired to the Chat Gateway client); must reject on failure. */
  readonly fetchJwk: FetchJwk;
  /** When set, deliveries whose x-8x8-tenant-id differs are refused (401). */
  readonly expectedTenantId?: string;
  /** When set, deliveries whose x-8x8-customer-id differs are refused (401). */
  readonly expectedCustomerId?: string;
  /** Largest accepted |now − x-8x8-transmission-time| in seconds; default 300. */
  readonly maxSkewSeconds?: number;
  /** Minimum time between two refetches of a cached kid after failed checks; default 30 000 ms. */
  readonly keyRefetchIntervalMs?: number;
  /** How long a kid the key endpoint does not know is refused without a fetch; default 30 000 ms. */
  readonly unknownKidTtlMs?: number;
  /** Key fetches (all kids together) allowed per `keyFetchWindowMs`; default 10. */
  readonly maxKeyFetchesPerWindow?: number;
  /** The sliding window of `maxKeyFetchesPerWindow`; default 60 000 ms. */
  readonly keyFetchWindowMs?: number;
  readonly events: WebhookEventRepository;
  /**
   * The lock every instance takes before handing on a conversation's events (the gateway's bus), so that
   * they are handed on in payload order whichever instance each one reached.
   */
  readonly bus: Pick<Bus, "withLock">;
  /**
   * Events still pending this long after they arrived (their instance died before handing them on and no
   * later event of the conversation came to pick them up) are handed on by this instance; checked as often.
   * Default 30 000 ms.
   */
  readonly recoverAfterMs?: number;
  /** Receives domain events one at a time per conversation, in payload-timestamp order. */
  readonly onEvent: ProviderEventHandler;
  readonly logger: Logger;
  readonly metrics: ProviderMetrics;
  /**
   * How long each event is held so that a swapped delivery can be put back in order, measured from when it
   * was stored (by the store's clock); default 250 ms.
   */
  readonly reorderWindowMs?: number;
  /** Epoch ms, used for the transmission-time skew and the key refetch rate limit. */
  readonly clock?: () => number;
  readonly handlerRetry?: HandlerRetryOptions;
  /** How long `stop()` waits for handlers before leaving the rest pending for the next start; default 10 s. */
  readonly stopTimeoutMs?: number;
  /** Injectable timers for the reorder window (tests). */
  readonly setTimer?: SetTimer;
  /** Told of every request's outcome (the operator's event log); never waits. */
  readonly eventLog?: EventLogSink;
  /**
   * Told when events may have been lost: a genuine-looking delivery answered with a failure 8x8 may give up
   * on (store or key endpoint down, a fault of ours), or an event whose handler failed for good. The gateway
   * catches the conversation up from 8x8's REST API.
   */
  readonly onGap?: (gap: ProviderGap) => void;
}

export interface WebhookReceiver {
  /**
   * Handles one POST. Resolves with the 2xx answer; throws a BatonError for the server to map (401 for a
   * bad signature, 503 when the key cannot be fetched or the store is down, 400 for a body that is no event).
   */
  handle(request: WebhookRequest): Promise<WebhookResponse>;
  /**
   * Feeds a body that was verified before (the event log keeps it) through the processing of a new delivery,
   * without the signature and transmission-time checks. De-duplicated like any delivery, unless `force`.
   */
  replay(request: WebhookReplayRequest): Promise<WebhookReplayResult>;
  /** Hands on, in order, every event still pending in the store (crash recovery). Call once at boot. */
  start(): Promise<void>;
  /** Releases held events, waits (bounded) for running handlers; later requests get 503. */
  stop(): Promise<void>;
  /** Resolves when every scheduled event has been handed on (held ones wait out their window). */
  idle(): Promise<void>;
}

interface ScheduledEvent {
  readonly event: ProviderEvent;
}

type HandOnResult = "processed" | "failed" | "abandoned";

/** Error codes → the `outcome` label of `baton_webhook_events_total`. */
const rejectionOutcomes: Partial<Record<ErrorCode, string>> = {
  BATON_ERR_WEBHOOK_SIGNATURE_MISSING: "rejected_signature",
  BATON_ERR_WEBHOOK_SIGNATURE_MALFORMED: "rejected_signature",
  BATON_ERR_WEBHOOK_SIGNATURE_ALG: "rejected_signature",
  BATON_ERR_WEBHOOK_SIGNATURE_INVALID: "rejected_signature",
  BATON_ERR_WEBHOOK_STALE: "rejected_stale",
  BATON_ERR_WEBHOOK_KEY_UNAVAILABLE: "key_unavailable",
  BATON_ERR_WEBHOOK_BODY_INVALID: "rejected_body",
  BATON_ERR_SERVER_SHUTTING_DOWN: "rejected_shutdown",
  BATON_ERR_STORE_UNAVAILABLE: "store_unavailable",
};

/** Refusals of the request itself (and of an unreachable key endpoint), logged as one warn line each. */
const rejectionCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "BATON_ERR_WEBHOOK_SIGNATURE_MISSING",
  "BATON_ERR_WEBHOOK_SIGNATURE_MALFORMED",
  "BATON_ERR_WEBHOOK_SIGNATURE_ALG",
  "BATON_ERR_WEBHOOK_SIGNATURE_INVALID",
  "BATON_ERR_WEBHOOK_STALE",
  "BATON_ERR_WEBHOOK_KEY_UNAVAILABLE",
  "BATON_ERR_WEBHOOK_BODY_INVALID",
  "BATON_ERR_SERVER_SHUTTING_DOWN",
]);

const maxStoredErrorChars = 1000;

/**
 * The 8x8 webhook receiving side: verify, de-duplicate durably, answer fast, hand on in per-conversation
 * order.
 *
 * Guarantees: an event is stored (keyed on x-8x8-event-id) before it is answered 2xx, so an answered event
 * is never lost; 8x8's retries of one event are handed on once; events of one conversation reach `onEvent`
 * one at a time, sorted by payload timestamp within `reorderWindowMs`, also when a load balancer spreads
 * them over several instances: the window works from the store, under a lock on the conversation that all
 * instances share (`bus`). Across a crash the guarantee is at-least-once: an event whose handler ran but
 * whose "processed" mark was not written is handed on again by the next `start()` (or, when its instance
 * does not come back, by another instance's recovery sweep after `recoverAfterMs`).
 *
 * @example
 * const receiver = createWebhookReceiver({
 *   providerId: "eight",
 *   fetchJwk: (kid) => client.getJwk(kid),
 *   events: store.webhookEvents,
 *   bus,
 *   onEvent: (event) => handover.apply(event),
 *   logger,
 *   metrics,
 * });
 * await receiver.start();
 * // in the route: const answer = await receiver.handle({ rawBody, headers }); reply.code(answer.status)
 * await receiver.stop();
 */
export function createWebhookReceiver(options: WebhookReceiverOptions): WebhookReceiver {
  const { providerId, events, metrics } = options;
  const logger = options.logger.child({ component: "8x8-webhook", providerId });
  const clock = options.clock ?? Date.now;
  const verifier = createWebhookVerifier({
    keys: createJwkCache({
      fetchJwk: options.fetchJwk,
      clock,
      ...(options.keyRefetchIntervalMs !== undefined
        ? { refetchIntervalMs: options.keyRefetchIntervalMs }
        : {}),
      ...(options.unknownKidTtlMs !== undefined ? { unknownKidTtlMs: options.unknownKidTtlMs } : {}),
      ...(options.maxKeyFetchesPerWindow !== undefined
        ? { maxFetchesPerWindow: options.maxKeyFetchesPerWindow }
        : {}),
      ...(options.keyFetchWindowMs !== undefined ? { fetchWindowMs: options.keyFetchWindowMs } : {}),
    }),
    clock,
    ...(options.maxSkewSeconds !== undefined ? { maxSkewSeconds: options.maxSkewSeconds } : {}),
    ...(options.expectedTenantId !== undefined ? { expectedTenantId: options.expectedTenantId } : {}),
    ...(options.expectedCustomerId !== undefined ? { expectedCustomerId: options.expectedCustomerId } : {}),
  });
  const retry = {
    attempts: Math.max(1, options.handlerRetry?.attempts ?? 4),
    initialDelayMs: options.handlerRetry?.initialDelayMs ?? 200,
    maxDelayMs: options.handlerRetry?.maxDelayMs ?? 5_000,
  };
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;

  const reorderWindowMs = options.reorderWindowMs ?? 250;
  const recoverAfterMs = options.recoverAfterMs ?? 30_000;
  /**
   * Events handed to the queue and not yet finished, by id: keeps start() and the recovery sweep from
   * scheduling them twice, and lets this instance hand on its own events as it mapped them.
   */
  const scheduled = new Map<string, ProviderEvent>();
  let recoverTimer: NodeJS.Timeout | undefined;
  /** Aborted when stop() begins: retry back-offs end and the event is left pending instead. */
  const stopping = new AbortController();
  /** Set when stop() gave up waiting: events not yet started stay pending for the next start. */
  let halted = false;
  let started = false;
  let stopped: Promise<void> | undefined;

  // The in-process queue holds each event for the window on the instance it reached and then starts a hand-on
  // of its conversation; what is handed on, and in which order, comes from the store (see handOn).
  const queue = createKeyedReorderQueue<ScheduledEvent>({
    reorderWindowMs,
    handler: (item) => handOn(item.event),
    onHandlerError: (error, item) =>
      logger.error(
        { err: error, eventId: item.event.eventId, conversationId: item.event.conversationId },
        "could not hand on the conversation's 8x8 events now; they stay pending for the next event or the recovery sweep",
      ),
    ...(options.setTimer ? { setTimer: options.setTimer } : {}),
  });

  // ------------------------------------------------------------------------------------------ receiving

  async function handle(request: WebhookRequest): Promise<WebhookResponse> {
    const startedAt = performance.now();
    const arrivedAt = Date.now();
    const facts: ReceivedFacts = { type: "unknown" };
    const observe = (outcome: string, status: number, error?: unknown): void => {
      const seconds = (performance.now() - startedAt) / 1000;
      // The metric's label stays within the known types (bounded cardinality); the log keeps the type as sent.
      const label = facts.verified === undefined ? facts.type : eventTypeLabel(facts.type);
      metrics.webhookEvent(providerId, label, outcome, seconds);
      logEvent({ request, facts, at: arrivedAt, durationMs: seconds * 1000, status, outcome, error });
    };
    try {
      const response = await receive(request, facts);
      observe(response.metricOutcome, response.status);
      return { status: response.status, outcome: response.outcome, eventType: response.eventType };
    } catch (error) {
      observe(
        (isBatonError(error) && rejectionOutcomes[error.code]) || "error",
        isBatonError(error) ? error.status : 500,
        error,
      );
      logRejection(error, request);
      reportGap(error, facts.verified?.conversationId ?? undefined);
      throw error;
    }
  }

  /**
   * A refusal of the request itself (signature, staleness, body: 4xx) loses nothing 8x8 would not resend
   * alike, and a shutdown is followed by the catch-up at the next start; anything else answered 5xx may be
   * given up by 8x8 after its retries, so the conversation (all of them when unread) is caught up. An event
   * whose handler failed for good (`handlerFailed`) is a gap whatever the error.
   */
  function reportGap(error: unknown, conversationId: string | undefined, handlerFailed = false): void {
    if (options.onGap === undefined) return;
    const refusal =
      isBatonError(error) && (error.status < 500 || error.code === "BATON_ERR_SERVER_SHUTTING_DOWN");
    if (refusal && !handlerFailed) return;
    const reason = isBatonError(error) ? error.code : "unexpected error";
    try {
      options.onGap({ ...(conversationId !== undefined ? { conversationId } : {}), reason });
    } catch (gapError) {
      logger.warn({ err: gapError }, "could not report a gap in 8x8's events");
    }
  }

  /** The event-log entry of one request (or replay); the metrics keep the type label, the log the type. */
  function logEvent(outcome: Omit<InboundOutcome, "providerId">): void {
    if (options.eventLog === undefined) return;
    try {
      options.eventLog.record(inboundEntry({ ...outcome, providerId }, options.eventLog.maxBodyBytes));
    } catch (error) {
      logger.warn({ err: error }, "could not build an event-log entry; the request is not affected");
    }
  }

  async function receive(
    request: WebhookRequest,
    facts: ReceivedFacts,
  ): Promise<WebhookResponse & { metricOutcome: string }> {
    if (stopping.signal.aborted) throw new BatonError("BATON_ERR_SERVER_SHUTTING_DOWN");
    // WEB_HOOK_VERIFY is answered before, and without, signature verification. 8x8 does not say whether it is
    // signed; it names no conversation and changes nothing here, so verifying it could only make
    // webhook creation / "Test Connection" fail (e.g. a 503 while the key endpoint is down), and a forged one
    // gains nothing. It is neither stored nor handed on.
    if (isVerifyEvent(request.rawBody)) {
      facts.type = "WEB_HOOK_VERIFY";
      logger.info("WEB_HOOK_VERIFY answered");
      return { status: 204, outcome: "verify", eventType: "WEB_HOOK_VERIFY", metricOutcome: "verify" };
    }
    // Signature first: nothing else from an unverified body is read, stored or used as a metric label.
    const delivery = await verifier.verify(request);
    const envelope = parseWebhookEnvelope(request.rawBody);
    noteVerified(facts, envelope, request.rawBody);
    const disposition = mapWebhookEvent(envelope, { providerId, eventId: delivery.eventId });
    const recorded = await recordDurably(request.rawBody, delivery, envelope);
    const eventType = envelope.eventType;
    if (!recorded.inserted) {
      logger.debug({ eventId: delivery.eventId, retry: delivery.retry }, "duplicate 8x8 delivery dropped");
      return { status: 200, outcome: "duplicate", eventType, metricOutcome: "duplicate" };
    }
    const outcome = await dispose(delivery.eventId, eventType, disposition, recorded.seq);
    return {
      status: 200,
      outcome: outcome === "accepted" ? "accepted" : "ignored",
      eventType,
      metricOutcome: outcome,
    };
  }

  async function recordDurably(
    rawBody: Buffer,
    delivery: Pick<VerifiedDelivery, "eventId" | "retry">,
    envelope: WebhookEnvelope,
  ): Promise<{ inserted: boolean; seq: number }> {
    try {
      return await events.recordIfNew({
        providerId,
        eventId: delivery.eventId,
        eventType: envelope.eventType,
        conversationId: envelope.conversationId,
        eventTimestamp: envelope.timestamp,
        retry: delivery.retry,
        body: rawBody.toString("utf8"),
      });
    } catch (error) {
      // Not stored means not answered 2xx: 503 makes 8x8 deliver it again.
      if (isBatonError(error)) throw error;
      throw new BatonError("BATON_ERR_STORE_UNAVAILABLE", { during: "webhook record" }, { cause: error });
    }
  }

  /** What happens to a newly stored event; returns the metric outcome. */
  async function dispose(
    eventId: string,
    eventType: string,
    disposition: WebhookEventDisposition,
    seq: number,
  ): Promise<"accepted" | "ignored" | "unreadable"> {
    switch (disposition.action) {
      case "relay":
        schedule(disposition.event, seq);
        return "accepted";
      case "ignore":
        logger[disposition.level]({ eventId, eventType, reason: disposition.reason }, "8x8 event ignored");
        await markDoneQuietly(eventId, "ignored");
        return "ignored";
      case "unreadable":
        logger.warn(
          { eventId, eventType, reason: disposition.reason },
          "8x8 event does not match the documented shape; stored as failed for replay",
        );
        await markDoneQuietly(eventId, "failed", disposition.reason);
        return "unreadable";
    }
  }

  function schedule(event: ProviderEvent, seq: number): void {
    // During shutdown the event stays "pending" in the store (it is already durable) for the next start.
    if (stopping.signal.aborted || scheduled.has(event.eventId)) return;
    scheduled.set(event.eventId, event);
    queue.push(event.conversationId, { event }, { timestamp: event.occurredAt, seq });
  }

  function logRejection(error: unknown, request: WebhookRequest): void {
    // Only the event id is logged from the request: never the signature or the body.
    const eventId = request.headers["x-8x8-event-id"];
    // A rejection is about the request or about 8x8's key endpoint, not a fault of ours: one warn line,
    // with the code and the structured details (forged traffic must not page anyone). Anything else (the
    // store, a bug) is an error with its stack.
    if (isBatonError(error) && rejectionCodes.has(error.code)) {
      const cause = isBatonError(error.cause)
        ? { causeCode: error.cause.code, cause: error.cause.details }
        : {};
      logger.warn(
        { code: error.code, details: error.details, ...cause, eventId },
        "8x8 webhook request rejected",
      );
    } else {
      logger.error({ err: error, eventId }, "8x8 webhook request could not be accepted");
    }
  }

  // ------------------------------------------------------------------------------------------ replaying

  /**
   * An operator's replay of a stored body: the signature and the transmission time were checked when it first
   * came, so they are not checked again (a replay may be days later). De-duplication still applies: the
   * event's own id is recorded as for any delivery, so an event that was stored before answers `duplicate`
   * and is not handed on. `force` stores it under a new id (`<eventId>:replay:<random>`) and marks the
   * ProviderEvent `replayOf`, so it is handed on again even though it was before.
   */
  async function replay(input: WebhookReplayRequest): Promise<WebhookReplayResult> {
    const startedAt = performance.now();
    const arrivedAt = Date.now();
    const eventId =
      input.force === true ? replayEventId(input.eventId, randomUUID().slice(0, 8)) : input.eventId;
    const facts: ReceivedFacts = { type: "unknown" };
    const request: WebhookRequest = {
      rawBody: input.rawBody,
      headers: { [webhookHeaders.eventId]: eventId },
    };
    const observe = (outcome: string, status: number, error?: unknown): void =>
      logEvent({
        request,
        facts,
        at: arrivedAt,
        durationMs: performance.now() - startedAt,
        status,
        outcome,
        error,
        ...(input.replayOf !== undefined ? { replayOf: input.replayOf } : {}),
      });
    try {
      if (stopping.signal.aborted) throw new BatonError("BATON_ERR_SERVER_SHUTTING_DOWN");
      const envelope = parseWebhookEnvelope(input.rawBody);
      noteVerified(facts, envelope, input.rawBody);
      // A forced replay's id marks its ProviderEvent `replayOf` (mapWebhookEvent reads it from the id).
      const disposition = mapWebhookEvent(envelope, { providerId, eventId });
      const recorded = await recordDurably(input.rawBody, { eventId, retry: 0 }, envelope);
      const outcome = recorded.inserted
        ? await dispose(eventId, envelope.eventType, disposition, recorded.seq)
        : "duplicate";
      const answer = outcome === "accepted" || outcome === "duplicate" ? outcome : "ignored";
      observe(answer, 200);
      logger.info({ eventId, replayOf: input.eventId, outcome: answer }, "8x8 event replayed by an operator");
      return { outcome: answer, eventType: envelope.eventType, eventId };
    } catch (error) {
      observe("error", isBatonError(error) ? error.status : 500, error);
      throw error;
    }
  }

  // ------------------------------------------------------------------------------------------ handing on

  /**
   * `trigger`'s window is over on this instance. Under the conversation's lock, which every instance takes,
   * the conversation's events are handed on from the store: every pending one in payload order up to the
   * last whose window has passed (`trigger` included), whichever instance each reached. So an event held on
   * another instance is handed on here in its place if this instance comes first, and that instance then
   * finds it done; different conversations do not wait for each other.
   */
  async function handOn(trigger: ProviderEvent): Promise<void> {
    try {
      if (halted) return; // stop() gave up waiting; the event stays pending for the next start.
      await options.bus.withLock(conversationLock(trigger.conversationId), () => handOnDue(trigger));
    } finally {
      scheduled.delete(trigger.eventId);
    }
  }

  function conversationLock(conversationId: string): string {
    return `8x8-events:${providerId}:${conversationId}`;
  }

  async function handOnDue(trigger: ProviderEvent): Promise<void> {
    const backlog = await events.backlog(providerId, trigger.conversationId, reorderWindowMs);
    const due = lastIndexWhere(backlog.pending, (e) => e.windowPassed || e.eventId === trigger.eventId);
    let latest = backlog.latestHandedOn;
    for (const stored of backlog.pending.slice(0, due + 1)) {
      if (halted) return;
      if (latest !== undefined && stored.eventTimestamp < latest) logLate(stored, latest);
      // Shutting down mid-retry: this one and the rest stay pending, in order, for the next start.
      if ((await handOnStored(stored)) === "abandoned") return;
      latest = Math.max(latest ?? stored.eventTimestamp, stored.eventTimestamp);
    }
  }

  /** One stored event: as this instance mapped it when it arrived here, else mapped from its stored body. */
  async function handOnStored(stored: BacklogEvent): Promise<HandOnResult | "not relayed"> {
    let event = scheduled.get(stored.eventId);
    if (event === undefined) {
      const disposition = remap(stored.body, stored.eventId);
      if (disposition.action !== "relay") {
        await dispose(stored.eventId, stored.eventType, disposition, stored.seq);
        return "not relayed";
      }
      event = disposition.event;
    }
    const outcome = await deliverWithRetry(event);
    await recordResult(event, outcome);
    return outcome.result;
  }

  function logLate(stored: BacklogEvent, latestHandedOn: number): void {
    logger.warn(
      {
        eventId: stored.eventId,
        conversationId: stored.conversationId,
        occurredAt: stored.eventTimestamp,
        latestHandedOn,
      },
      "late 8x8 event: a later event of this conversation was already handed on; handing it on anyway",
    );
  }

  async function deliverWithRetry(event: ProviderEvent): Promise<{ result: HandOnResult; error?: unknown }> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= retry.attempts; attempt += 1) {
      try {
        await options.onEvent(event);
        return { result: "processed" };
      } catch (error) {
        lastError = error;
        if (stopping.signal.aborted) return { result: "abandoned", error };
        if (attempt === retry.attempts) break;
        const delayMs = Math.min(retry.initialDelayMs * 2 ** (attempt - 1), retry.maxDelayMs);
        logger.warn(
          { err: error, eventId: event.eventId, attempt, delayMs },
          "8x8 event handler failed; retrying",
        );
        await sleep(delayMs, stopping.signal);
        if (stopping.signal.aborted) return { result: "abandoned", error };
      }
    }
    return { result: "failed", error: lastError };
  }

  async function recordResult(
    event: ProviderEvent,
    outcome: { result: HandOnResult; error?: unknown },
  ): Promise<void> {
    const context = { eventId: event.eventId, conversationId: event.conversationId, kind: event.kind };
    try {
      switch (outcome.result) {
        case "processed":
          await events.markDone(providerId, event.eventId, "processed");
          return;
        case "failed":
          logger.error(
            { ...context, err: outcome.error, attempts: retry.attempts },
            "8x8 event handler failed; marked failed",
          );
          await events.markDone(providerId, event.eventId, "failed", errorText(outcome.error));
          reportGap(outcome.error, event.conversationId, true);
          return;
        case "abandoned":
          logger.warn(
            { ...context, err: outcome.error },
            "8x8 event handler failed during shutdown; left pending",
          );
          return;
      }
    } catch (error) {
      // The handler ran but the mark was not written: the event is still pending and the next start() hands
      // it on again (at-least-once across failures).
      logger.error({ ...context, err: error }, "could not record the 8x8 event's result; it stays pending");
    }
  }

  async function markDoneQuietly(
    eventId: string,
    status: "ignored" | "failed",
    error?: string,
  ): Promise<void> {
    try {
      await events.markDone(providerId, eventId, status, error);
    } catch (markError) {
      // Stored and answered already; start() re-maps pending events, so it is settled at the next boot.
      logger.error({ err: markError, eventId }, "could not mark an 8x8 event; it stays pending");
    }
  }

  // ------------------------------------------------------------------------------------------ lifecycle

  async function start(): Promise<void> {
    if (started) return;
    started = true;
    const pending = await events.listPending(providerId);
    const handedOn = await reschedule(pending);
    if (pending.length > 0)
      logger.info({ pending: pending.length, handedOn }, "recovered pending 8x8 events");
    recoverTimer = setInterval(() => {
      recoverStale().catch((error: unknown) =>
        logger.warn({ err: error }, "could not look for stale pending 8x8 events; trying again later"),
      );
    }, recoverAfterMs);
    recoverTimer.unref();
  }

  /**
   * Pending events nobody handed on: their instance died after answering 2xx (and is not back), and no
   * later event of their conversation came to pick them up. Handing them on again is harmless when their
   * instance is merely slow: the hand-on waits for the conversation's lock and finds them done.
   */
  async function recoverStale(): Promise<void> {
    if (stopping.signal.aborted) return;
    const cutoff = Date.now() - recoverAfterMs;
    const stale = (await events.listPending(providerId)).filter((e) => e.receivedAt.getTime() <= cutoff);
    const handedOn = await reschedule(stale);
    if (handedOn > 0) logger.warn({ handedOn }, "handing on 8x8 events that were left pending");
  }

  /** Schedules stored pending events (relayed ones; the rest are settled at once); returns how many. */
  async function reschedule(pending: readonly StoredWebhookEvent[]): Promise<number> {
    let handedOn = 0;
    for (const stored of pending) {
      if (scheduled.has(stored.eventId)) continue;
      const disposition = remap(stored.body, stored.eventId);
      if (disposition.action === "relay") {
        schedule(disposition.event, stored.seq);
        handedOn += 1;
      } else {
        await dispose(stored.eventId, stored.eventType, disposition, stored.seq);
      }
    }
    return handedOn;
  }

  function remap(body: string, eventId: string): WebhookEventDisposition {
    try {
      const disposition = mapWebhookEvent(parseWebhookEnvelope(body), { providerId, eventId });
      // A forced replay (replay()) is stored under `<original>:replay:<suffix>`; mapped again from the
      // store (another instance, a restart) it must still say what it replays.
      const original = eventId.split(":replay:")[0];
      return disposition.action === "relay" && original !== undefined && original !== eventId
        ? { action: "relay", event: { ...disposition.event, replayOf: original } }
        : disposition;
    } catch (error) {
      return { action: "unreadable", reason: errorText(error) };
    }
  }

  function stop(): Promise<void> {
    stopped ??= stopNow();
    return stopped;
  }

  async function stopNow(): Promise<void> {
    stopping.abort();
    clearInterval(recoverTimer);
    queue.flush();
    const finished = await waitAtMost(queue.idle(), stopTimeoutMs);
    if (!finished) {
      halted = true;
      logger.warn(
        { remaining: queue.size },
        "8x8 event handlers still running at shutdown; the rest stays pending",
      );
    }
  }

  return { handle, replay, start, stop, idle: () => queue.idle() };
}

/** What the event log may keep of a request once its body is verified and read. */
function noteVerified(facts: ReceivedFacts, envelope: WebhookEnvelope, rawBody: Buffer): void {
  facts.type = envelope.eventType.slice(0, 100);
  facts.verified = { conversationId: envelope.conversationId, rawBody };
}

function lastIndexWhere<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let index = items.length - 1; index >= 0; index -= 1) if (predicate(items[index]!)) return index;
  return -1;
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, maxStoredErrorChars);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
async function waitAtMost(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
