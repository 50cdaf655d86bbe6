import type { Bus } from "../../bus/types.ts";
import type { StoredSession } from "../../store/types.ts";
import type { Logger } from "../../telemetry/logger.ts";

/** Presence decisions of one session are taken one at a time across instances (see `report`). */
function presenceLock(sessionKey: string): string {
  return `presence-lock:${sessionKey}`;
}

/**
 * Reports when the user is gone and when they return, counting their web chat sockets on every instance
 * (the bus's presence). "Left": the last socket anywhere closed and none came back within `graceMs` (so a
 * page reload, also one that lands on another instance, is not "the user left"); "back": a socket opened
 * after "left" was reported, on whichever instance it opens.
 *
 * Each instance times only its own sockets' grace. When it runs out, the instance asks the bus whether any
 * instance still counts a socket and marks the user away in the same step; the instance the user comes back
 * to finds and clears that mark. Both reports run under a per-session bus lock, so when a "left" and a
 * "back" race (a return just as the grace ran out) they reach the conversation in that order, never the
 * other way round.
 */
export function createPresence(options: {
  readonly bus: Bus;
  readonly logger: Logger;
  /** How long the user may be away before the agent is told; null: this session's endpoint never tells. */
  graceMsFor: (session: StoredSession) => number | null;
  /** Applies the change; awaited under the presence lock. It should handle (log) its own failures. */
  onChange: (session: StoredSession, connected: boolean) => Promise<void>;
}) {
  const { bus, logger } = options;
  const presence = bus.presence;
  /** This instance's sockets per session (the bus counts them too; this decides when our grace starts). */
  const sockets = new Map<string, number>();
  const pendingLeave = new Map<string, NodeJS.Timeout>();
  let closed = false;

  function report(session: StoredSession, decide: () => Promise<boolean>, connected: boolean) {
    return bus.withLock(presenceLock(session.id), async () => {
      if (await decide()) await options.onChange(session, connected);
    });
  }

  function failed(session: StoredSession, what: string) {
    return (error: unknown) => logger.warn({ err: error, sessionKey: session.id }, `presence ${what} failed`);
  }

  function clearPending(sessionKey: string): void {
    const timer = pendingLeave.get(sessionKey);
    if (timer === undefined) return;
    clearTimeout(timer);
    pendingLeave.delete(sessionKey);
  }

  /**
   * The grace ran out: report "left" unless a socket is counted anywhere. A socket counted on another
   * instance may be a dead instance's that has not expired yet; one more look once such an entry must have
   * expired catches that (a live instance reports its own sockets' leaving itself).
   */
  function arm(session: StoredSession, delayMs: number, lookAgain: boolean): void {
    clearPending(session.id);
    const timer = setTimeout(() => {
      pendingLeave.delete(session.id);
      let stillCounted = false;
      report(
        session,
        async () => {
          if (await presence.markAwayIfAbsent(session.id)) return true;
          const connections = await presence.count(session.id);
          stillCounted = connections > 0;
          logger.debug(
            { sessionKey: session.id, connections },
            stillCounted
              ? "grace over; the user is still connected"
              : "grace over; the user was reported away already",
          );
          return false;
        },
        false,
      ).then(
        () => {
          if (lookAgain && stillCounted && !closed && presence.staleAfterMs > 0 && !sockets.has(session.id))
            arm(session, presence.staleAfterMs, false);
        },
        failed(session, "leave report"),
      );
    }, delayMs);
    timer.unref();
    pendingLeave.set(session.id, timer);
  }

  return {
    /** A socket of the session is ready (after its hello). */
    join(session: StoredSession): void {
      sockets.set(session.id, (sockets.get(session.id) ?? 0) + 1);
      clearPending(session.id);
      // Counted at once; "back" is reported only when the user had been reported gone.
      presence
        .join(session.id)
        .then(
          async ({ wasAway }) => {
            if (wasAway) await report(session, () => Promise.resolve(true), true);
          },
          failed(session, "join"),
        )
        .catch(failed(session, "back report"));
    },
    /** A socket that had joined closed. */
    leave(session: StoredSession): void {
      const left = (sockets.get(session.id) ?? 1) - 1;
      if (left > 0) sockets.set(session.id, left);
      else sockets.delete(session.id);
      presence.leave(session.id).catch(failed(session, "leave"));
      if (left > 0 || closed) return;
      const graceMs = options.graceMsFor(session);
      if (graceMs !== null) arm(session, graceMs, true);
    },
    /** Stops the grace timers (the gateway closes; sockets closing now start none). */
    close(): void {
      closed = true;
      for (const timer of pendingLeave.values()) clearTimeout(timer);
      pendingLeave.clear();
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
