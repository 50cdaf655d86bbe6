import type { Redis } from "ioredis";
import type { Logger } from "../telemetry/logger.ts";

/**
 * What a notice on the bus's notice channel names: the topics that may have lost a message, or all of
 * them (more topics failed than one notice lists).
 */
export type MissedTopics = readonly string[] | "all";

export interface MissedNotices {
  /**
   * A publish to `topic` failed on this instance (Redis unreachable, or the call timed out): every instance
   * is told, once this one reaches Redis again, so their subscribers of `topic` can read what they missed.
   */
  publishFailed(topic: string): void;
  /** Stops retrying a notice that has not gone out yet. */
  close(): void;
}

export interface MissedNoticesOptions {
  /** The channel every instance of the installation subscribes to (`<prefix>bus:missed`). */
  readonly channel: string;
  readonly logger: Logger;
  /** Wait before the first attempt (failures of one outage go out together) and after each failed one, doubling. Default 100 ms. */
  readonly firstDelayMs?: number;
  /** Longest wait between two attempts. Default 5 s. */
  readonly maxDelayMs?: number;
}

/** A notice lists at most this many topics; beyond it, it says "all" (one line, whatever the outage). */
const maxTopicsPerNotice = 1_000;

/**
 * The publishing side of "you may have missed messages": Redis pub/sub drops a message whose PUBLISH fails,
 * and a subscriber on another instance whose own connection never dropped would not know. The failed topics
 * are collected and published as one notice on a channel of their own, retried with backoff until it goes
 * out (or the bus closes).
 */
export function createMissedNotices(commands: Redis, options: MissedNoticesOptions): MissedNotices {
  const firstDelayMs = options.firstDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const pending = new Set<string>();
  let everything = false;
  let timer: NodeJS.Timeout | undefined;
  let sending = false;
  let delayMs = firstDelayMs;
  let closed = false;

  function schedule(): void {
    if (closed || sending || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      send().catch((error: unknown) => {
        options.logger.error({ err: error }, "missed-message notice failed");
      });
    }, delayMs);
    timer.unref();
  }

  async function send(): Promise<void> {
    const topics: MissedTopics = everything ? "all" : [...pending];
    pending.clear();
    everything = false;
    sending = true;
    try {
      await commands.publish(options.channel, JSON.stringify(topics === "all" ? { all: true } : { topics }));
      delayMs = firstDelayMs;
    } catch (error) {
      // The outage itself is logged by the connection's watcher; this is one more symptom of it.
      options.logger.debug({ err: error }, "missed-message notice not published yet; retrying");
      if (topics === "all") everything = true;
      else for (const topic of topics) remember(topic);
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    } finally {
      sending = false;
    }
    if (everything || pending.size > 0) schedule();
  }

  function remember(topic: string): void {
    if (everything) return;
    if (pending.size >= maxTopicsPerNotice) {
      everything = true;
      pending.clear();
      return;
    }
    pending.add(topic);
  }

  return {
    publishFailed(topic) {
      remember(topic);
      schedule();
    },
    close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** The topics a notice names; undefined for anything that is not a notice (logged by the caller). */
export function parseMissedNotice(text: string): MissedTopics | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const notice = parsed as { all?: unknown; topics?: unknown };
  if (notice.all === true) return "all";
  if (Array.isArray(notice.topics) && notice.topics.every((topic) => typeof topic === "string"))
    return notice.topics;
  return undefined;
}
