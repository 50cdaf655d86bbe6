/**
 * A per-key ordered work queue with a reorder window.
 *
 * Items of one key are handled strictly one at a time, in order; different keys run concurrently. Senders
 * such as 8x8's webhook delivery do not promise ordering (8x8 retries failed deliveries and says nothing
 * about order; the payload timestamp is what orders events), so each item is held for `reorderWindowMs` after
 * it arrives and released in (timestamp, seq) order among the items of its key still held. Each item waits at
 * most the window, so a steady stream on one key cannot starve it.
 *
 * An item whose timestamp is older than one already released for its key is handled anyway — never dropped —
 * and reported through `onLate`.
 */

/** Sort key of an item: its own timestamp first, then a monotonic arrival number that breaks ties. */
export interface ReorderPosition {
  readonly timestamp: number;
  readonly seq: number;
}

/** Starts a timer and returns the function that cancels it. */
export type SetTimer = (callback: () => void, ms: number) => () => void;

export interface KeyedReorderQueueOptions<T> {
  /**
   * Handles one item. Never called concurrently for one key. It should deal with its own failures; a throw
   * is passed to `onHandlerError` and the queue moves on to the key's next item.
   */
  readonly handler: (item: T, key: string) => Promise<void>;
  /** Called when `handler` throws (or rejects); required so that no failure is silently dropped. */
  readonly onHandlerError: (error: unknown, item: T, key: string) => void;
  /** How long each item is held for reordering; 0 releases every item in arrival order at once. */
  readonly reorderWindowMs: number;
  /** An item is released after a later-timestamped item of the same key; it is handled all the same. */
  readonly onLate?: (item: T, key: string, latestReleasedTimestamp: number) => void;
  /** Injectable timers for tests; default `setTimeout` / `clearTimeout`. */
  readonly setTimer?: SetTimer;
  /** How many keys' latest released timestamps are remembered for late detection; default 10 000. */
  readonly rememberedKeys?: number;
}

export interface KeyedReorderQueue<T> {
  /** Adds an item; it is released after the window (or at once when the window is 0). */
  push(key: string, item: T, position: ReorderPosition): void;
  /** Releases every held item now, in order per key (used on shutdown). */
  flush(): void;
  /** Resolves once nothing is held, queued or running. Does not release held items by itself. */
  idle(): Promise<void>;
  /** Items pushed and not yet finished (held, queued or running). */
  readonly size: number;
}

interface Entry<T> {
  readonly item: T;
  readonly position: ReorderPosition;
  cancelTimer: (() => void) | undefined;
}

interface Lane<T> {
  /** Items still in their window, sorted by position. */
  readonly held: Entry<T>[];
  /** Released items waiting for the handler, in release order. */
  readonly ready: Entry<T>[];
  running: boolean;
}

const defaultSetTimer: SetTimer = (callback, ms) => {
  const timer = setTimeout(callback, ms);
  return () => clearTimeout(timer);
};

/**
 * @example
 * const queue = createKeyedReorderQueue<MyEvent>({
 *   reorderWindowMs: 250,
 *   handler: async (event) => apply(event),
 *   onHandlerError: (error, event) => logger.error({ err: error, id: event.id }, "handler failed"),
 * });
 * queue.push(event.conversationId, event, { timestamp: event.timestamp, seq: nextSeq++ });
 */
export function createKeyedReorderQueue<T>(options: KeyedReorderQueueOptions<T>): KeyedReorderQueue<T> {
  const setTimer = options.setTimer ?? defaultSetTimer;
  const rememberedKeys = options.rememberedKeys ?? 10_000;
  const lanes = new Map<string, Lane<T>>();
  // Kept apart from the lanes (which are deleted when empty) so that an item arriving after its key went
  // quiet is still recognised as late. Bounded: Map iteration order makes it a simple LRU.
  const latestReleased = new Map<string, number>();
  let outstanding = 0;
  let idleWaiters: (() => void)[] = [];

  function laneFor(key: string): Lane<T> {
    let lane = lanes.get(key);
    if (!lane) {
      lane = { held: [], ready: [], running: false };
      lanes.set(key, lane);
    }
    return lane;
  }

  function push(key: string, item: T, position: ReorderPosition): void {
    outstanding += 1;
    const lane = laneFor(key);
    const entry: Entry<T> = { item, position, cancelTimer: undefined };
    if (options.reorderWindowMs <= 0) {
      release(key, lane, [entry]);
      return;
    }
    insertSorted(lane.held, entry);
    entry.cancelTimer = setTimer(() => expire(key, entry), options.reorderWindowMs);
  }

  /** The entry's window is over: it goes now, and every held entry that sorts before it goes first. */
  function expire(key: string, entry: Entry<T>): void {
    const lane = lanes.get(key);
    if (!lane) return;
    const index = lane.held.indexOf(entry);
    if (index < 0) return;
    release(key, lane, lane.held.splice(0, index + 1));
  }

  function release(key: string, lane: Lane<T>, entries: readonly Entry<T>[]): void {
    for (const entry of entries) {
      entry.cancelTimer?.();
      entry.cancelTimer = undefined;
      noteRelease(key, entry);
      lane.ready.push(entry);
    }
    // run() hands every handler failure to onHandlerError and has nothing else that can reject, so there
    // is no error here to lose.
    if (!lane.running) run(key, lane).catch(() => {});
  }

  function noteRelease(key: string, entry: Entry<T>): void {
    const latest = latestReleased.get(key);
    if (latest !== undefined && entry.position.timestamp < latest) options.onLate?.(entry.item, key, latest);
    latestReleased.delete(key);
    latestReleased.set(key, Math.max(latest ?? entry.position.timestamp, entry.position.timestamp));
    if (latestReleased.size > rememberedKeys) {
      const oldest = latestReleased.keys().next();
      if (!oldest.done) latestReleased.delete(oldest.value);
    }
  }

  /** The key's single worker: drains `ready` one item at a time. Never rejects. */
  async function run(key: string, lane: Lane<T>): Promise<void> {
    lane.running = true;
    for (let entry = lane.ready.shift(); entry; entry = lane.ready.shift()) {
      try {
        await options.handler(entry.item, key);
      } catch (error) {
        reportHandlerError(error, entry.item, key);
      }
      finishOne();
    }
    lane.running = false;
    if (lane.held.length === 0 && lanes.get(key) === lane) lanes.delete(key);
    notifyIfIdle();
  }

  function reportHandlerError(error: unknown, item: T, key: string): void {
    try {
      options.onHandlerError(error, item, key);
    } catch {
      // A throwing error reporter must not stop the lane; there is nowhere left to report to.
    }
  }

  function finishOne(): void {
    outstanding -= 1;
    notifyIfIdle();
  }

  function notifyIfIdle(): void {
    if (outstanding !== 0 || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function flush(): void {
    for (const [key, lane] of lanes) {
      if (lane.held.length > 0) release(key, lane, lane.held.splice(0));
    }
  }

  function idle(): Promise<void> {
    if (outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  return {
    push,
    flush,
    idle,
    get size() {
      return outstanding;
    },
  };
}

function comparePositions(a: ReorderPosition, b: ReorderPosition): number {
  return a.timestamp - b.timestamp || a.seq - b.seq;
}

/** Insertion from the back: items nearly always arrive in order, so this is O(1) in the common case. */
function insertSorted<T>(held: Entry<T>[], entry: Entry<T>): void {
  let index = held.length;
  while (index > 0) {
    const previous = held[index - 1];
    if (previous === undefined || comparePositions(previous.position, entry.position) <= 0) break;
    index -= 1;
  }
  held.splice(index, 0, entry);
}
