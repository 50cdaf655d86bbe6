import { isBatonError } from "../errors/index.ts";
import type { ReconcileOutcome, ReconcileSweep } from "../handover/reconcile.ts";
import type { ProviderGap } from "../providers/port.ts";
import { createSilentLogger, type Logger } from "../telemetry/logger.ts";

/** What the scheduler drives: the handover service's catch-up (handover/reconcile.ts). */
export interface ReconcileTarget {
  handover(handoverId: string): Promise<ReconcileOutcome>;
  conversation(providerId: string, conversationId: string): Promise<ReconcileOutcome | undefined>;
  open(options?: {
    readonly concurrency?: number;
    readonly shouldContinue?: () => boolean;
  }): Promise<ReconcileSweep>;
}

/** A dependency whose outage may have cost events (the store, the bus): a sweep follows its recovery. */
export interface ReconcileHealthCheck {
  readonly name: string;
  /** Rejects while the dependency is unreachable. */
  check(): Promise<void>;
}

export interface ReconcileSchedulerOptions {
  readonly reconcile: ReconcileTarget;
  readonly logger?: Logger;
  /** A sweep of every open handover this often; 0 turns the periodic sweep off. Default 300 000 ms. */
  readonly intervalMs?: number;
  /** Catch-ups run at once at most; default 4. */
  readonly concurrency?: number;
  /** How often the health checks are run; default 5 000 ms. */
  readonly healthCheckMs?: number;
  readonly health?: readonly ReconcileHealthCheck[];
  /**
   * How long after a gap its catch-up waits: the failure that caused it (a store outage) has a moment to
   * pass, and gaps arriving together make one catch-up. Default 2 000 ms.
   */
  readonly gapDelayMs?: number;
  /** Back-off of a handover whose catch-up failed: first retry after this, doubling. Default 5 000 ms. */
  readonly retryInitialMs?: number;
  /** Cap of that back-off; default 60 000 ms (a missed message must not wait minutes once 8x8 answers). */
  readonly retryMaxMs?: number;
}

export interface ReconcileScheduler {
  /** Sweeps once now (and then every `intervalMs`), and starts watching the health checks. */
  start(): void;
  /**
   * Catches up every open handover now; resolves with what it did. A sweep already running is followed by
   * one more rather than a second at the same time. Failed handovers are retried later with back-off.
   */
  sweep(reason?: string): Promise<ReconcileSweep>;
  /** Catches one handover up now (on demand, e.g. an operator); throws what the catch-up throws. */
  handover(handoverId: string): Promise<ReconcileOutcome>;
  /** A provider reported a possible gap: the conversation (or every one) is caught up shortly. */
  gap(providerId: string, gap: ProviderGap): void;
  /** Resolves when no catch-up is running (ones scheduled for later, after a gap or a failure, do not count). */
  idle(): Promise<void>;
  /** Stops the timers and waits for the catch-ups that are running. */
  stop(): Promise<void>;
}

/**
 * When catch-up runs: once at start (webhooks that 8x8 gave up on while the gateway was down), after a
 * provider reports a gap (a delivery answered with a failure, a handler that failed), after the store or the
 * bus comes back from an outage (its health check fails, then passes), on demand, and as a slow periodic
 * sweep for losses nothing noticed. Failed catch-ups of single handovers are retried with back-off; none
 * blocks another. Nothing here is durable: a restart sweeps anyway.
 *
 * @example
 * const scheduler = createReconcileScheduler({ reconcile: handovers.reconcile, health: [{ name: "store", check: () => store.ping() }] });
 * scheduler.start();
 * provider.start({ onEvent, onGap: (gap) => scheduler.gap(provider.id, gap) });
 */
export function createReconcileScheduler(options: ReconcileSchedulerOptions): ReconcileScheduler {
  const { reconcile } = options;
  const logger = (options.logger ?? createSilentLogger()).child({ component: "catch-up" });
  const intervalMs = options.intervalMs ?? 300_000;
  const concurrency = options.concurrency ?? 4;
  const healthCheckMs = options.healthCheckMs ?? 5_000;
  const gapDelayMs = options.gapDelayMs ?? 2_000;
  const retryInitialMs = options.retryInitialMs ?? 5_000;
  const retryMaxMs = options.retryMaxMs ?? 60_000;

  let stopped = false;
  let started = false;
  const timers = new Set<NodeJS.Timeout>();
  /** Work in flight (sweeps, single catch-ups); `idle` and `stop` wait for it. */
  const running = new Set<Promise<unknown>>();
  let sweeping: Promise<ReconcileSweep> | undefined;
  let sweepAgain: { reason: string; promise: Promise<ReconcileSweep> } | undefined;
  /** Conversations (provider id + conversation id) with a catch-up scheduled; a second gap joins it. */
  const pendingGaps = new Set<string>();
  let pendingFullSweep = false;
  /** Retry state of handovers whose catch-up failed. */
  const retries = new Map<string, { attempts: number; timer: NodeJS.Timeout }>();
  const unhealthy = new Set<string>();

  function later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) fn();
    }, ms);
    timer.unref();
    timers.add(timer);
    return timer;
  }

  function track<T>(work: Promise<T>): Promise<T> {
    running.add(work);
    void work.finally(() => running.delete(work)).catch(() => undefined);
    return work;
  }

  function sweep(reason = "on demand"): Promise<ReconcileSweep> {
    if (sweeping === undefined) {
      sweeping = track(runSweep(reason)).finally(() => {
        sweeping = undefined;
      });
      return sweeping;
    }
    // One more sweep after the running one: it may have listed the handovers before this reason arose.
    sweepAgain ??= {
      reason,
      promise: sweeping.then(
        () => next(),
        () => next(),
      ),
    };
    return sweepAgain.promise;
    function next(): Promise<ReconcileSweep> {
      const queued = sweepAgain!;
      sweepAgain = undefined;
      return sweep(queued.reason);
    }
  }

  async function runSweep(reason: string): Promise<ReconcileSweep> {
    // A sweep of many handovers can take a while; shutting down must not wait for all of it (a restart
    // sweeps again anyway).
    if (stopped) return { outcomes: [], failed: [] };
    const result = await reconcile.open({ concurrency, shouldContinue: () => !stopped });
    for (const outcome of result.outcomes) succeeded(outcome.handoverId);
    for (const { handoverId } of result.failed) retryLater(handoverId);
    const caughtUp = result.outcomes.filter((o) => o.status === "caught-up" && o.applied > 0).length;
    logger[caughtUp > 0 || result.failed.length > 0 ? "info" : "debug"](
      {
        reason,
        handovers: result.outcomes.length + result.failed.length,
        caughtUp,
        failed: result.failed.length,
      },
      "catch-up sweep done",
    );
    return result;
  }

  async function one(handoverId: string): Promise<ReconcileOutcome> {
    try {
      const outcome = await track(reconcile.handover(handoverId));
      succeeded(handoverId);
      return outcome;
    } catch (error) {
      // An id no handover has will not get one by waiting.
      if (!(isBatonError(error) && error.code === "BATON_ERR_HANDOVER_UNKNOWN")) retryLater(handoverId);
      throw error;
    }
  }

  function succeeded(handoverId: string): void {
    const retry = retries.get(handoverId);
    if (retry === undefined) return;
    clearTimeout(retry.timer);
    timers.delete(retry.timer);
    retries.delete(handoverId);
  }

  function retryLater(handoverId: string): void {
    if (stopped) return;
    const previous = retries.get(handoverId);
    if (previous !== undefined) {
      clearTimeout(previous.timer);
      timers.delete(previous.timer);
    }
    const attempts = (previous?.attempts ?? 0) + 1;
    const delayMs = Math.min(retryInitialMs * 2 ** (attempts - 1), retryMaxMs);
    const timer = later(delayMs, () => {
      one(handoverId).catch((error: unknown) =>
        logger.warn({ err: error, handoverId, attempts }, "handover catch-up failed again; retrying later"),
      );
    });
    retries.set(handoverId, { attempts, timer });
  }

  function gap(providerId: string, reported: ProviderGap): void {
    if (stopped) return;
    if (reported.conversationId === undefined) {
      if (pendingFullSweep) return;
      pendingFullSweep = true;
      logger.info(
        { provider: providerId, reason: reported.reason },
        "possible gap in provider events; sweeping",
      );
      later(gapDelayMs, () => {
        pendingFullSweep = false;
        sweep(`gap: ${reported.reason}`).catch((error: unknown) =>
          logger.warn({ err: error }, "catch-up sweep failed; the next one retries"),
        );
      });
      return;
    }
    const conversationId = reported.conversationId;
    const key = `${providerId}\u0000${conversationId}`;
    if (pendingGaps.has(key)) return;
    pendingGaps.add(key);
    logger.info(
      { provider: providerId, conversationId, reason: reported.reason },
      "possible gap in a conversation's provider events; catching it up",
    );
    later(gapDelayMs, () => {
      pendingGaps.delete(key);
      track(catchUpConversation(providerId, conversationId)).catch(() => undefined);
    });
  }

  async function catchUpConversation(providerId: string, conversationId: string): Promise<void> {
    try {
      const outcome = await reconcile.conversation(providerId, conversationId);
      if (outcome !== undefined) succeeded(outcome.handoverId);
    } catch (error) {
      logger.warn(
        { err: error, provider: providerId, conversationId },
        "conversation catch-up failed; retrying with the next sweep",
      );
      // Its handover id is not known here without another read that may fail too: a sweep covers it.
      later(retryInitialMs, () => {
        sweep(`retry after a failed catch-up of ${conversationId}`).catch(() => undefined);
      });
    }
  }

  async function checkHealth(): Promise<void> {
    const recovered: string[] = [];
    for (const dependency of options.health ?? []) {
      try {
        await dependency.check();
        if (unhealthy.delete(dependency.name)) recovered.push(dependency.name);
      } catch {
        unhealthy.add(dependency.name);
      }
    }
    if (recovered.length > 0) {
      logger.info({ recovered }, "back from an outage; catching up open handovers");
      await sweep(`recovered: ${recovered.join(", ")}`);
    }
  }

  function watchHealth(): void {
    later(healthCheckMs, () => {
      track(checkHealth())
        .catch((error: unknown) => logger.warn({ err: error }, "catch-up after an outage failed"))
        .finally(() => {
          if (!stopped) watchHealth();
        });
    });
  }

  function sweepPeriodically(): void {
    later(intervalMs, () => {
      sweep("periodic")
        .catch((error: unknown) => logger.warn({ err: error }, "periodic catch-up sweep failed"))
        .finally(() => {
          if (!stopped) sweepPeriodically();
        });
    });
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      sweep("start").catch((error: unknown) =>
        logger.warn({ err: error }, "catch-up at start failed; retried after the next outage or sweep"),
      );
      if (intervalMs > 0) sweepPeriodically();
      if ((options.health ?? []).length > 0) watchHealth();
    },
    sweep,
    handover: one,
    gap,
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      retries.clear();
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
