import type { EventLogRepository, NewEventLogEntry } from "../store/types.ts";
import type { Logger } from "../telemetry/logger.ts";

/**
 * Where the providers report what came in and went out. `record` only appends to an in-memory buffer: it
 * never waits and never throws, so recording cannot slow or break a webhook answer or an 8x8 call.
 */
export interface EventLogSink {
  record(entry: NewEventLogEntry): void;
  /** Largest inbound body kept, in bytes (longer ones are cut and marked `bodyTruncated`). */
  readonly maxBodyBytes: number;
}

export interface EventLogRecorderOptions {
  readonly repository: EventLogRepository;
  readonly logger: Logger;
  /** False: nothing is recorded (the admin API then lists what is left from before). Default true. */
  readonly enabled?: boolean;
  /** Entries kept in memory before they are written; when full, new ones are dropped and counted. Default 10 000. */
  readonly bufferSize?: number;
  /** How often the buffer is written (a full batch is written at once). Default 1 000 ms. */
  readonly flushIntervalMs?: number;
  /** Entries per insert. Default 500. */
  readonly batchSize?: number;
  /** Entries older than this are deleted. Default 72. */
  readonly retentionHours?: number;
  /** How often old entries are pruned (once soon after start, then at this interval). Default 10 minutes. */
  readonly pruneIntervalMs?: number;
  /** Rows deleted per statement while pruning. Default 1 000. */
  readonly pruneBatchSize?: number;
  /** Default 65 536. */
  readonly maxBodyBytes?: number;
  readonly clock?: () => number;
}

export interface EventLogStats {
  readonly buffered: number;
  readonly written: number;
  /** Entries lost because the buffer was full or their batch could not be written. */
  readonly dropped: number;
}

export interface EventLogRecorder extends EventLogSink {
  /** Starts the periodic flush and prune. */
  start(): void;
  /** Writes everything buffered so far (one writer at a time). */
  flush(): Promise<void>;
  /** Deletes the entries past retention, in batches; returns how many. */
  prune(): Promise<number>;
  stats(): EventLogStats;
  /** Stops the timers and writes what is buffered; later entries are ignored. Idempotent. */
  close(): Promise<void>;
}

/** One warn line per kind of trouble at most this often: a store outage must not flood the log. */
const warnEveryMs = 60_000;
/** A prune run stops after this many batches; the next run continues. */
const maxPruneBatchesPerRun = 100;

/**
 * The event log's writer: a bounded buffer written in batches off the request path, and a periodic prune.
 * It is observability, not a delivery guarantee: when the buffer is full or the store refuses a batch, the
 * entries are dropped, counted and logged, and delivery goes on untouched.
 *
 * @example
 * const eventLog = createEventLogRecorder({ repository: store.eventLog, logger, retentionHours: 72 });
 * eventLog.start();
 * eventLog.record(entry); // from the webhook receiver and the 8x8 transport
 * await eventLog.close(); // before the store closes
 */
export function createEventLogRecorder(options: EventLogRecorderOptions): EventLogRecorder {
  const { repository } = options;
  const logger = options.logger.child({ component: "event-log" });
  const enabled = options.enabled ?? true;
  const bufferSize = options.bufferSize ?? 10_000;
  const flushIntervalMs = options.flushIntervalMs ?? 1_000;
  const batchSize = options.batchSize ?? 500;
  const retentionMs = (options.retentionHours ?? 72) * 3_600_000;
  const pruneIntervalMs = options.pruneIntervalMs ?? 600_000;
  const pruneBatchSize = options.pruneBatchSize ?? 1_000;
  const clock = options.clock ?? Date.now;

  let buffer: NewEventLogEntry[] = [];
  let written = 0;
  let dropped = 0;
  /** Dropped since the last warn line, and when that was. */
  let unreportedDrops = 0;
  let lastDropWarnAt = -Infinity;
  let lastWriteWarnAt = -Infinity;
  let writing: Promise<void> | undefined;
  let soonScheduled = false;
  let closed = false;
  const timers: NodeJS.Timeout[] = [];

  function record(entry: NewEventLogEntry): void {
    if (!enabled || closed) return;
    if (buffer.length >= bufferSize) {
      dropped += 1;
      unreportedDrops += 1;
      reportDrops();
      return;
    }
    buffer.push(entry);
    // A full batch is written right away instead of waiting for the tick, which keeps the buffer short.
    if (buffer.length >= batchSize) flushSoon();
  }

  function flushSoon(): void {
    if (soonScheduled) return;
    soonScheduled = true;
    setImmediate(() => {
      soonScheduled = false;
      flushLogged();
    });
  }

  /** A flush from a timer: its failure is already counted and logged inside. */
  function flushLogged(): void {
    flush().catch((error: unknown) => logger.error({ err: error }, "event log flush failed unexpectedly"));
  }

  function flush(): Promise<void> {
    // One writer at a time; a flush asked for while one runs starts after it and writes what came since.
    const next = (writing ?? Promise.resolve()).then(writeAll);
    // The chain itself never rejects, so a failed write cannot stop the flushes after it.
    writing = next.catch(() => undefined);
    return next;
  }

  async function writeAll(): Promise<void> {
    while (buffer.length > 0) {
      const batch = buffer.slice(0, batchSize);
      buffer = buffer.slice(batch.length);
      try {
        written += await repository.append(batch);
      } catch (error) {
        dropped += batch.length;
        warnWriteFailed(error, batch.length);
      }
    }
    reportDrops();
  }

  function warnWriteFailed(error: unknown, lost: number): void {
    const now = clock();
    if (now - lastWriteWarnAt < warnEveryMs) return;
    lastWriteWarnAt = now;
    logger.warn(
      { err: error, lost, droppedTotal: dropped },
      "event log entries could not be written and were dropped (delivery is not affected)",
    );
  }

  function reportDrops(): void {
    const now = clock();
    if (unreportedDrops === 0 || now - lastDropWarnAt < warnEveryMs) return;
    lastDropWarnAt = now;
    logger.warn(
      { dropped: unreportedDrops, droppedTotal: dropped, bufferSize },
      "event log buffer full: entries dropped (delivery is not affected)",
    );
    unreportedDrops = 0;
  }

  async function prune(): Promise<number> {
    const before = new Date(clock() - retentionMs);
    let deleted = 0;
    for (let batch = 0; batch < maxPruneBatchesPerRun; batch += 1) {
      const count = await repository.prune(before, pruneBatchSize);
      deleted += count;
      if (count < pruneBatchSize) break;
    }
    if (deleted > 0) logger.info({ deleted, before }, "event log pruned");
    return deleted;
  }

  function pruneLogged(): void {
    prune().catch((error: unknown) => logger.warn({ err: error }, "event log prune failed; retried later"));
  }

  function start(): void {
    if (!enabled || closed || timers.length > 0) return;
    timers.push(setInterval(flushLogged, flushIntervalMs));
    timers.push(setTimeout(pruneLogged, Math.min(5_000, pruneIntervalMs)));
    timers.push(setInterval(pruneLogged, pruneIntervalMs));
    for (const timer of timers) timer.unref();
  }

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      await flush();
      // The last word on drops is said at close, however recently the previous line was.
      if (unreportedDrops > 0) lastDropWarnAt = -Infinity;
      reportDrops();
    })();
    return closing;
  }

  return {
    maxBodyBytes: options.maxBodyBytes ?? 65_536,
    record,
    flush,
    prune,
    start,
    close,
    stats: () => ({ buffered: buffer.length, written, dropped }),
  };
}

/**
 * The stored form of a raw body: UTF-8 text of at most `maxBytes` bytes (cut at a character boundary), with
 * its full size and whether it was cut.
 */
export function capBody(
  raw: Buffer,
  maxBytes: number,
): { body: string; bodyBytes: number; bodyTruncated: boolean } {
  if (raw.length <= maxBytes)
    return { body: raw.toString("utf8"), bodyBytes: raw.length, bodyTruncated: false };
  let end = maxBytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is cut in half.
  while (end > 0 && ((raw[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return { body: raw.subarray(0, end).toString("utf8"), bodyBytes: raw.length, bodyTruncated: true };
}
