import type { Logger } from "../telemetry/logger.ts";
import type { OutageLog } from "../telemetry/outage-log.ts";

/**
 * One socket's live frames and catch-ups, one at a time in arrival order. The bus may lose a publish (Redis
 * pub/sub while a subscriber reconnects), so a socket that must not miss anything repairs itself from the
 * store: when a frame shows that something is missing, or when the bus says something may be. That repair
 * is asynchronous; queueing it with the frames keeps what follows a gap behind the gap's repair.
 */
export interface LiveQueue {
  /** Runs `task` after every task queued before it. A throw is logged; the queue goes on. */
  push(task: () => Promise<void> | void): void;
  /**
   * Queues a catch-up (one already queued and not started yet covers this call too). A catch-up that fails
   * (the store is away) is tried again later, backing off, until one works or the queue is closed.
   */
  catchUp(): void;
  /** Drops what is queued and stops retrying (the socket closed). */
  close(): void;
}

export interface LiveQueueOptions {
  /** Reads what may have been missed from the store and sends it. */
  readonly catchUp: () => Promise<void>;
  /** Where failed catch-ups go: one per channel, so an outage is one line for all its sockets. */
  readonly outage: OutageLog;
  /** Logged with every failure (the session). */
  readonly facts: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
  /** The wait before the first retry of a failed catch-up, doubling up to `maxRetryDelayMs`. Default 250 ms. */
  readonly firstRetryDelayMs?: number;
  /** Default 5 s. */
  readonly maxRetryDelayMs?: number;
}

/**
 * @example
 * const live = createLiveQueue({ catchUp: () => sendStoredAfter(sentUpTo), outage, facts, logger });
 * await bus.subscribe(topic, (m) => live.push(() => deliver(m)), { onMissed: () => live.catchUp() });
 */
export function createLiveQueue(options: LiveQueueOptions): LiveQueue {
  const firstRetryDelayMs = options.firstRetryDelayMs ?? 250;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
  let tail: Promise<void> = Promise.resolve();
  let closed = false;
  let catchUpQueued = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelayMs = firstRetryDelayMs;

  function push(task: () => Promise<void> | void): void {
    if (closed) return;
    tail = tail
      .then(() => (closed ? undefined : task()))
      .catch((error: unknown) => {
        options.logger.error({ ...options.facts, err: error }, "live frame could not be delivered");
      });
  }

  function catchUp(): void {
    if (closed || catchUpQueued) return;
    catchUpQueued = true;
    push(async () => {
      catchUpQueued = false;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      try {
        await options.catchUp();
      } catch (error) {
        options.outage.failed(error, options.facts);
        retryLater();
        return;
      }
      options.outage.succeeded();
      retryDelayMs = firstRetryDelayMs;
    });
  }

  function retryLater(): void {
    if (closed || retryTimer !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      catchUp();
    }, retryDelayMs);
    retryTimer.unref();
    retryDelayMs = Math.min(retryDelayMs * 2, maxRetryDelayMs);
  }

  return {
    push,
    catchUp,
    close() {
      closed = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
    },
  };
}
