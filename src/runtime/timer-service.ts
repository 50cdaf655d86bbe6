import { BatonError, isBatonError } from "../errors/index.ts";
import type { JsonObject, Store, StoredTimer } from "../store/types.ts";
import { createSilentLogger, type Logger } from "../telemetry/logger.ts";
import { createOutageLog } from "../telemetry/outage-log.ts";

/** What a timer handler learns besides the payload. */
export interface TimerContext {
  readonly id: string;
  readonly kind: string;
  readonly dueAt: Date;
  /** 1 on the first try of this arming. */
  readonly attempt: number;
}

/** Runs a due timer. Throw to have it tried again after a delay (up to `maxAttempts`). */
export type TimerHandler = (payload: JsonObject, context: TimerContext) => Promise<void>;

export interface TimerServiceOptions {
  readonly store: Pick<Store, "timers">;
  /** One handler per timer kind. */
  readonly handlers: Readonly<Record<string, TimerHandler>>;
  readonly logger?: Logger;
  /** Epoch milliseconds; default Date.now. Due times are compared with it. */
  readonly clock?: () => number;
  /** How often the store is asked for due timers (timers armed by other instances). Default 250 ms. */
  readonly pollIntervalMs?: number;
  /** How long a claim holds a timer while its handler runs. Default 30 s. */
  readonly leaseMs?: number;
  /** Tries per arming before a failing timer is given up (marked fired and logged). Default 5. */
  readonly maxAttempts?: number;
  /** Delay before the first retry of a failed handler; doubles per try. Default 1 s. */
  readonly retryDelayMs?: number;
}

export interface TimerService {
  /** Arms (or re-arms, replacing) timer `id` to fire at `dueAt`. */
  schedule(id: string, kind: string, dueAt: Date, payload: JsonObject): Promise<void>;
  /** @returns whether a scheduled timer was cancelled. */
  cancel(id: string): Promise<boolean>;
  start(): void;
  /** Stops waking up and waits for timers being fired right now. */
  stop(): Promise<void>;
  /** Fires every timer due now (what the wake-up and the poll do); resolves when they ran. */
  fireDue(): Promise<void>;
}

/** setTimeout's ceiling is 2^31-1 ms; a wake-up further out is re-armed by the poll long before. */
const maxWakeDelayMs = 2_147_483_647;
/** Never wake again sooner than this after a round, so a timer another claimer holds cannot spin us. */
const minWakeDelayMs = 5;
const batchSize = 50;

/**
 * Durable timers with seconds precision (the handover's inactivity and queue-wait limits). Timers live in the
 * store, so they survive restarts and any instance can fire them; a claim (lease) makes each arming fire once.
 * Besides polling, the service arms one in-process setTimeout for the nearest due timer, so a timer fires on
 * time rather than up to a poll interval late. A crash after a handler ran but before the timer was marked
 * fired runs it again when the lease ends (at least once), so handlers check the state they act on.
 *
 * @example
 * const timers = createTimerService({
 *   store,
 *   handlers: { "handover.inactivity": async ({ handoverId }) => handovers.inactivity(String(handoverId)) },
 * });
 * timers.start();
 * await timers.schedule(`handover:${id}:inactivity`, "handover.inactivity", new Date(Date.now() + 120_000), {
 *   handoverId: id,
 * });
 */
export function createTimerService(options: TimerServiceOptions): TimerService {
  const { store, handlers } = options;
  const logger = options.logger ?? createSilentLogger();
  const clock = options.clock ?? Date.now;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const leaseMs = options.leaseMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  // Both are asked every poll (250 ms): a store outage is logged once, not four times a second.
  const claims = createOutageLog(logger, {
    failed: "timer claim failed; retrying at the next poll",
    restored: "timer claims work again",
  });
  const nextReads = createOutageLog(logger, {
    failed: "next timer could not be read",
    restored: "next timer can be read again",
  });

  let running = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let wake: { timer: NodeJS.Timeout; at: number } | undefined;
  let round: Promise<void> | undefined;

  let followUp: Promise<void> | undefined;

  /**
   * Fires what is due now. Calls during a running round get one shared follow-up round after it, so a timer
   * that became due while the round ran is not left for the next poll.
   */
  function fireDue(): Promise<void> {
    if (round) {
      followUp ??= round.then(() => {
        followUp = undefined;
        return fireDue();
      });
      return followUp;
    }
    round = runRounds().finally(() => {
      round = undefined;
    });
    return round;
  }

  /** For timers and start(), where nothing awaits the round; runRounds() logs its own failures already. */
  function fireDueInBackground(): void {
    fireDue().catch((error: unknown) => {
      logger.error({ err: error }, "timer round failed");
    });
  }

  async function runRounds(): Promise<void> {
    try {
      for (;;) {
        const timers = await store.timers.claimDue(new Date(clock()), batchSize, leaseMs);
        claims.succeeded();
        await Promise.all(timers.map(fire));
        if (timers.length < batchSize) break;
      }
    } catch (error) {
      claims.failed(error);
    }
    if (running) await armNext();
  }

  async function fire(timer: StoredTimer): Promise<void> {
    const context: TimerContext = {
      id: timer.id,
      kind: timer.kind,
      dueAt: timer.dueAt,
      attempt: timer.attempts,
    };
    try {
      const handler = Object.hasOwn(handlers, timer.kind) ? handlers[timer.kind] : undefined;
      if (!handler) throw new BatonError("BATON_ERR_RUNTIME_HANDLER_MISSING", { kind: timer.kind });
      await handler(timer.payload, context);
    } catch (error) {
      await recordFailure(timer, error);
      return;
    }
    await store.timers.markFired(timer.id, timer.generation).catch((error: unknown) => {
      logger.error({ err: error, id: timer.id, kind: timer.kind }, "timer could not be marked fired");
    });
  }

  async function recordFailure(timer: StoredTimer, error: unknown): Promise<void> {
    const code = isBatonError(error) ? error.code : undefined;
    const summary = isBatonError(error)
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : "non-error value thrown";
    const facts = { id: timer.id, kind: timer.kind, attempt: timer.attempts, code, error: summary };
    try {
      if (timer.attempts >= maxAttempts) {
        await store.timers.markFired(timer.id, timer.generation);
        logger.error(facts, "timer handler kept failing; timer given up");
        return;
      }
      const delayMs = retryDelayMs * 2 ** (timer.attempts - 1);
      await store.timers.retryLater(timer.id, timer.generation, {
        at: new Date(clock() + delayMs),
        error: summary,
      });
      logger.warn({ ...facts, delayMs }, "timer handler failed; retrying");
    } catch (storeError) {
      logger.error(
        { err: storeError, id: timer.id, kind: timer.kind },
        "timer failure could not be recorded",
      );
    }
  }

  /** Arms the in-process wake-up for the next claimable timer (any instance's). */
  async function armNext(): Promise<void> {
    let next: Date | undefined;
    try {
      next = await store.timers.nextDueAt();
      nextReads.succeeded();
    } catch (error) {
      nextReads.failed(error);
      return;
    }
    if (next) armAt(next.getTime());
  }

  function armAt(at: number): void {
    if (!running) return;
    if (wake && wake.at <= at) return;
    if (wake) clearTimeout(wake.timer);
    const delay = Math.min(maxWakeDelayMs, Math.max(minWakeDelayMs, at - clock()));
    const timer = setTimeout(() => {
      wake = undefined;
      fireDueInBackground();
    }, delay);
    timer.unref();
    wake = { timer, at };
  }

  function schedulePoll(): void {
    pollTimer = setTimeout(() => {
      fireDueInBackground();
      if (running) schedulePoll();
    }, pollIntervalMs);
    pollTimer.unref();
  }

  return {
    async schedule(id, kind, dueAt, payload) {
      await store.timers.schedule(id, kind, dueAt, payload);
      armAt(dueAt.getTime());
    },

    cancel: (id) => store.timers.cancel(id),

    start() {
      if (running) return;
      running = true;
      schedulePoll();
      fireDueInBackground();
    },

    async stop() {
      running = false;
      clearTimeout(pollTimer);
      pollTimer = undefined;
      if (wake) clearTimeout(wake.timer);
      wake = undefined;
      await (followUp ?? round);
    },

    fireDue,
  };
}
