import { isBatonError } from "../errors/index.ts";
import type { Logger } from "./logger.ts";

/**
 * How one retrying loop reports a dependency that is down (the store, Redis). Loops that poll or reconnect
 * every few hundred milliseconds would otherwise write the same error line several times a second for the
 * whole outage, burying everything else.
 */
export interface OutageLog {
  /**
   * One failed attempt. The first failure of an outage is logged at error level, and so is a failure whose
   * error differs from the one reported last (the outage changed: a refused connection became a timeout);
   * a repeat of the same error is logged at debug.
   */
  failed(error: unknown, facts?: Readonly<Record<string, unknown>>): void;
  /** One attempt that worked: after reported failures, the recovery is logged once at info. */
  succeeded(facts?: Readonly<Record<string, unknown>>): void;
  /** Whether failures were reported since the last success. */
  readonly failing: boolean;
}

export interface OutageLogMessages {
  /** The line of a failure (the same line at error level for news, at debug for repeats). */
  readonly failed: string;
  /** The line of the recovery, with how many attempts failed and for how long. */
  readonly restored: string;
}

/**
 * @example
 * const claims = createOutageLog(logger, {
 *   failed: "outbox claim failed; retrying at the next poll",
 *   restored: "outbox claims work again",
 * });
 * try { await claim(); claims.succeeded(); } catch (error) { claims.failed(error); }
 */
export function createOutageLog(
  logger: Logger,
  messages: OutageLogMessages,
  clock: () => number = Date.now,
): OutageLog {
  let reported: string | undefined;
  let since = 0;
  let failures = 0;
  return {
    failed(error, facts = {}) {
      const signature = signatureOf(error);
      failures += 1;
      if (signature === reported) {
        logger.debug({ ...facts, err: error, failures }, messages.failed);
        return;
      }
      if (reported === undefined) since = clock();
      reported = signature;
      logger.error({ ...facts, err: error }, messages.failed);
    },
    succeeded(facts = {}) {
      if (reported === undefined) return;
      logger.info({ ...facts, failures, failingForMs: clock() - since }, messages.restored);
      reported = undefined;
      failures = 0;
    },
    get failing() {
      return reported !== undefined;
    },
  };
}

/** What makes two failures "the same error": its catalog code or class, and its message. */
function signatureOf(error: unknown): string {
  if (isBatonError(error)) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
