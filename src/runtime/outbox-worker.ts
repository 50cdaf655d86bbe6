import { BatonError, isBatonError, isPermanentError } from "../errors/index.ts";
import type { ClaimedOutboxItem, JsonObject, OutboxItem, Store } from "../store/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import { createOutageLog } from "../telemetry/outage-log.ts";

/** What a handler learns about the item it runs, besides the payload. */
export interface OutboxHandlerContext {
  readonly id: number;
  readonly kind: string;
  readonly orderingKey: string;
  /** 1 on the first try. */
  readonly attempt: number;
  readonly createdAt: Date;
  /**
   * An earlier attempt may have been carried out: its answer was lost (an ambiguous failure, see
   * isAmbiguousFailure) or the instance making it died mid-call. A handler whose call is not safe to repeat
   * looks at the remote side first and does not repeat what already happened there.
   */
  readonly checkFirst: boolean;
}

/**
 * Performs one outbox item (an outbound call). Resolve when it is done; throw to have it retried. A BatonError
 * with `details.retryAfterMs` is retried after that wait; a permanent rejection (`permanent` in the
 * error catalog, see isPermanentError) is not retried; one with `details.ambiguous: true` (the call may have
 * been carried out) is retried with `checkFirst` set.
 */
export type OutboxHandler = (payload: JsonObject, context: OutboxHandlerContext) => Promise<void>;

export interface BackoffOptions {
  /** The first retry's delay ceiling; doubles per attempt. Default 500 ms. */
  readonly initialMs?: number;
  /**
   * The ceiling's cap. Default 30 s: the retry budget is time-based, so a short cap costs nothing but a few
   * cheap attempts and brings a conversation back within seconds of the end of an outage.
   */
  readonly maxMs?: number;
  /** Default Math.random. */
  readonly random?: () => number;
}

/**
 * The work a worker does: one handler per item kind (an item of a kind without a handler fails with
 * BATON_ERR_RUNTIME_HANDLER_MISSING), and who is told when an item ends without success.
 */
export interface OutboxWork {
  readonly handlers: Readonly<Record<string, OutboxHandler>>;
  /**
   * Told when an item ends without success: rejected for good (`failed`) or out of attempts (`dead`). This is
   * how the caller learns that a send never happened (say, to move a handover to `error`).
   */
  readonly onFailed?: (item: OutboxItem, error: unknown) => void | Promise<void>;
}

/**
 * Several owners' work as one: handlers merged (kinds must not overlap), each failure told to the owner of
 * its kind.
 *
 * @example
 * worker.start(combineOutboxWork(handovers.outbox, webhook.outbox));
 */
export function combineOutboxWork(...parts: readonly OutboxWork[]): OutboxWork {
  const owners = new Map<string, OutboxWork>();
  for (const part of parts) {
    for (const kind of Object.keys(part.handlers)) {
      if (owners.has(kind)) throw new Error(`two outbox handlers for the kind ${kind}`);
      owners.set(kind, part);
    }
  }
  return {
    handlers: Object.assign({}, ...parts.map((part) => part.handlers)) as Record<string, OutboxHandler>,
    onFailed: (item, error) => owners.get(item.kind)?.onFailed?.(item, error),
  };
}

export interface OutboxWorkerOptions extends Partial<OutboxWork> {
  readonly store: Pick<Store, "outbox">;
  readonly logger: Logger;
  /** Epoch milliseconds; default Date.now. Claims, leases and retry times use it. */
  readonly clock?: () => number;
  /** How often the store is asked for due items (retries, other instances' enqueues). Default 200 ms. */
  readonly pollIntervalMs?: number;
  /**
   * How long an item keeps being retried after it was enqueued before it goes dead. Default 2 hours: longer
   * than an hour's outage of the remote side, so a passing outage never loses a message.
   */
  readonly retryForMs?: number;
  /** Attempts before an item goes dead, besides `retryForMs`. Default: no count limit. */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
  /**
   * Items running at once, across keys (one key never runs two). Default 32: handlers wait on the network,
   * and a conversation whose calls wait out an in-process retry must not hold back the others.
   */
  readonly concurrency?: number;
  /** How long a claim holds an item; a handler must finish well within it. Default 60 s. */
  readonly leaseMs?: number;
  /** This instance (src/runtime/instance.ts): recorded on each claim as its holder. */
  readonly instanceId?: string;
  /**
   * With `instanceId`: an item another instance holds is taken over, lease or not, once that instance is gone
   * or silent this long, so a restart after a crash resumes within seconds. The lease stays the backstop.
   */
  readonly staleAfterMs?: number;
  /** How long `stop()` waits for running handlers. Default 5 s. */
  readonly drainTimeoutMs?: number;
  /** Decides which errors are permanent; default: isPermanentError (the catalog's `permanent`). */
  readonly isPermanent?: (error: unknown) => boolean;
}

export interface OutboxWorker {
  /**
   * Starts polling (and processes what is due at once). `work` replaces the handlers given at construction:
   * the composition root creates the worker first (every service may then kick it) and binds the services'
   * handlers here.
   */
  start(work?: OutboxWork): void;
  /**
   * Stops claiming and waits up to `drainTimeoutMs` for running handlers. An item still running after that
   * keeps its lease and is retried (here after a restart, or by another instance) once the lease ends.
   */
  stop(): Promise<void>;
  /** Claims now instead of at the next poll: call it right after enqueueing so sends are immediate. */
  kick(): void;
  /** Resolves once nothing runs and the last claim found nothing more to do now (for tests and drains). */
  idle(): Promise<void>;
  /** How many handlers are running now (after `stop()`: the ones that outlived the drain). */
  running(): number;
}

/**
 * Runs the durable outbox: claims due items from the store (per-key order is the store's guarantee: only the
 * head of each key is ever claimable), runs their handlers with bounded concurrency, and records the outcome.
 * Delivery is at least once: a crash between a handler's success and `complete` runs the item again (after its
 * lease, or within seconds when the crashed instance is known to be gone), with `checkFirst` set so a handler
 * whose call is not idempotent can look before it repeats it.
 *
 * @example
 * const worker = createOutboxWorker({
 *   store,
 *   logger,
 *   handlers: { "8x8.sendMessage": async (payload) => provider.sendMessage(parseSend(payload)) },
 *   onFailed: (item, error) => handoverService.outboundFailed(item, error),
 * });
 * worker.start();
 * await store.outbox.enqueue([{ orderingKey: `handover:${id}`, kind: "8x8.sendMessage", payload }]);
 * worker.kick();
 */
export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { store, logger } = options;
  let work: OutboxWork = {
    handlers: options.handlers ?? {},
    ...(options.onFailed ? { onFailed: options.onFailed } : {}),
  };
  const clock = options.clock ?? Date.now;
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  const retryForMs = options.retryForMs ?? defaultRetryForMs;
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  const concurrency = options.concurrency ?? 32;
  const leaseMs = options.leaseMs ?? 60_000;
  const drainTimeoutMs = options.drainTimeoutMs ?? 5_000;
  const isPermanent = options.isPermanent ?? isPermanentError;
  const backoff = options.backoff ?? {};

  let running = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let claiming: Promise<void> | undefined;
  let claimAgain = false;
  const inFlight = new Set<Promise<void>>();

  function kick(): void {
    if (!running) return;
    if (claiming) {
      // A claim is on its way; make it look once more when done, so nothing enqueued meanwhile waits a poll.
      claimAgain = true;
      return;
    }
    claiming = claimRounds().finally(() => {
      claiming = undefined;
      // A kick that arrived after the last round looked must not wait for the next poll.
      if (claimAgain) kick();
    });
  }

  // The claim runs every poll (and after every item): a store outage is logged once, not several times a second.
  const claims = createOutageLog(logger, {
    failed: "outbox claim failed; retrying at the next poll",
    restored: "outbox claims work again",
  });

  async function claimRounds(): Promise<void> {
    do {
      claimAgain = false;
      const free = concurrency - inFlight.size;
      // A finishing item kicks again, so a full worker needs no further round now.
      if (free <= 0 || !running) return;
      let items: ClaimedOutboxItem[];
      try {
        items = await store.outbox.claimNext({
          now: new Date(clock()),
          limit: free,
          leaseMs,
          ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
          ...(options.staleAfterMs === undefined ? {} : { staleAfterMs: options.staleAfterMs }),
        });
        claims.succeeded();
      } catch (error) {
        claims.failed(error, { code: errorCode(error) });
        claimAgain = false;
        return;
      }
      for (const item of items) launch(item);
      if (items.length === free) claimAgain = true;
    } while (claimAgain && running);
  }

  function launch(item: ClaimedOutboxItem): void {
    if (item.resumedFrom !== undefined) logResumed(item);
    const run: Promise<void> = runItem(item)
      .catch((error: unknown) => {
        // Only the store calls recording the outcome can land here; the lease brings the item back.
        logger.error(
          { err: error, code: errorCode(error), id: item.id, kind: item.kind, orderingKey: item.orderingKey },
          "outbox item outcome could not be recorded",
        );
      })
      .finally(() => {
        inFlight.delete(run);
        kick();
      });
    inFlight.add(run);
  }

  async function runItem(item: OutboxItem): Promise<void> {
    const context: OutboxHandlerContext = {
      id: item.id,
      kind: item.kind,
      orderingKey: item.orderingKey,
      attempt: item.attempts,
      createdAt: item.createdAt,
      checkFirst: item.checkFirst,
    };
    try {
      const handler = Object.hasOwn(work.handlers, item.kind) ? work.handlers[item.kind] : undefined;
      if (!handler) throw new BatonError("BATON_ERR_RUNTIME_HANDLER_MISSING", { kind: item.kind });
      await handler(item.payload, context);
    } catch (error) {
      await recordFailure(item, error);
      return;
    }
    await store.outbox.complete(item.id);
  }

  async function recordFailure(item: OutboxItem, error: unknown): Promise<void> {
    // Never the payload: it may hold message text, tokens or personal data.
    const facts = {
      id: item.id,
      kind: item.kind,
      orderingKey: item.orderingKey,
      attempt: item.attempts,
      code: errorCode(error),
    };
    const summary = summarise(error);
    const permanent = isPermanent(error);
    const outOfBudget = clock() - item.createdAt.getTime() >= retryForMs || item.attempts >= maxAttempts;
    if (permanent || outOfBudget) {
      const status = permanent ? "failed" : "dead";
      await store.outbox.fail(item.id, summary, status);
      logger.error(
        {
          ...facts,
          status,
          error: summary,
          ...(permanent ? {} : { retriedForMs: clock() - item.createdAt.getTime() }),
        },
        permanent
          ? "outbox item rejected for good"
          : "outbox item gave up: not delivered within its retry budget",
      );
      await notifyFailed({ ...item, status, lastError: summary, lockedUntil: null }, error);
      return;
    }
    const retryAfterMs = retryAfterOf(error);
    const delayMs = retryAfterMs ?? backoffDelay(item.attempts, backoff);
    // The mark outlives this attempt: whichever attempt comes next checks before it repeats the call.
    const ambiguous = isAmbiguousFailure(error);
    await store.outbox.retryLater(item.id, {
      at: new Date(clock() + delayMs),
      error: summary,
      ...(ambiguous ? { checkFirst: true } : {}),
    });
    logger.warn(
      { ...facts, delayMs, retryAfter: retryAfterMs !== undefined, ambiguous, error: summary },
      "outbox item retry",
    );
  }

  function logResumed(item: ClaimedOutboxItem): void {
    logger.warn(
      {
        id: item.id,
        kind: item.kind,
        orderingKey: item.orderingKey,
        attempt: item.attempts,
        from: item.resumedFrom?.instanceId ?? null,
      },
      "outbox item resumed after an unfinished attempt (its instance crashed, stopped or hung mid-call); it is checked before it is sent again",
    );
  }

  async function notifyFailed(item: OutboxItem, error: unknown): Promise<void> {
    try {
      await work.onFailed?.(item, error);
    } catch (hookError) {
      logger.error(
        { err: hookError, id: item.id, kind: item.kind, orderingKey: item.orderingKey },
        "outbox onFailed hook threw",
      );
    }
  }

  function schedulePoll(): void {
    pollTimer = setTimeout(() => {
      kick();
      if (running) schedulePoll();
    }, pollIntervalMs);
    pollTimer.unref();
  }

  async function idle(): Promise<void> {
    while (claiming || inFlight.size > 0) {
      await Promise.race(claiming ? [claiming, ...inFlight] : [...inFlight]);
    }
  }

  return {
    start(bound) {
      if (running) return;
      if (bound !== undefined) work = bound;
      running = true;
      schedulePoll();
      kick();
    },

    async stop() {
      running = false;
      clearTimeout(pollTimer);
      pollTimer = undefined;
      let timeout: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, drainTimeoutMs);
        timeout.unref();
      });
      await Promise.race([idle(), timedOut]);
      clearTimeout(timeout);
      if (inFlight.size > 0) {
        logger.warn(
          { running: inFlight.size },
          "outbox worker stopped with items still running; their leases will expire",
        );
      }
    },

    kick,
    idle,
    running: () => inFlight.size,
  };
}

/**
 * "Equal jitter" exponential backoff for attempt n (1-based): the ceiling min(max, initial·2^(n-1)) doubles per
 * attempt and the delay is uniform in [ceiling/2, ceiling]. Half the ceiling is kept so the floor still grows
 * (a full-jitter retry could come back at once), the other half spreads instances apart after a shared outage.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initialMs = options.initialMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Two hours: see `OutboxWorkerOptions.retryForMs`. */
export const defaultRetryForMs = 2 * 60 * 60 * 1000;

/**
 * Whether a failed call may nevertheless have been carried out: the request reached the other side and no
 * definite answer came back (a timeout, a connection reset after the request was written, a 500/502/504).
 * Marked by the client as `details.ambiguous: true`; the next attempt then checks before it repeats it.
 */
export function isAmbiguousFailure(error: unknown): boolean {
  return isBatonError(error) && error.details["ambiguous"] === true;
}

/** The server's wait (the 8x8 client reports a Retry-After longer than it waits in-process). */
function retryAfterOf(error: unknown): number | undefined {
  if (!isBatonError(error)) return undefined;
  const value = error.details["retryAfterMs"];
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function errorCode(error: unknown): string | undefined {
  return isBatonError(error) ? error.code : undefined;
}

/** What is kept as `last_error`: the code and the catalog-style message, never request or payload data. */
function summarise(error: unknown): string {
  const text = isBatonError(error)
    ? `${error.code}: ${error.message}`
    : error instanceof Error
      ? `${error.name}: ${error.message}`
      : "non-error value thrown";
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
