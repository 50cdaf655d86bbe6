import type { StoredSession } from "../../store/types.ts";

/**
 * Counts a session's open sockets on this instance and reports when the user is gone (the last socket closed
 * and none came back within `graceMs`, so a page reload is not "the user left") and when they return.
 */
export function createPresence(options: {
  /** How long the user may be away before the agent is told; null: this session's endpoint never tells. */
  graceMsFor: (session: StoredSession) => number | null;
  /** Called from a timer, where nothing awaits it: it must handle (log) its own failures. */
  onChange: (session: StoredSession, connected: boolean) => void;
}) {
  const sockets = new Map<string, number>();
  const pendingLeave = new Map<string, NodeJS.Timeout>();
  const reportedAway = new Set<string>();

  return {
    join(session: StoredSession): void {
      sockets.set(session.id, (sockets.get(session.id) ?? 0) + 1);
      const timer = pendingLeave.get(session.id);
      if (timer !== undefined) {
        clearTimeout(timer);
        pendingLeave.delete(session.id);
      }
      if (reportedAway.delete(session.id)) options.onChange(session, true);
    },
    leave(session: StoredSession): void {
      const left = (sockets.get(session.id) ?? 1) - 1;
      if (left > 0) {
        sockets.set(session.id, left);
        return;
      }
      sockets.delete(session.id);
      const graceMs = options.graceMsFor(session);
      if (graceMs === null) return;
      pendingLeave.set(
        session.id,
        setTimeout(() => {
          pendingLeave.delete(session.id);
          reportedAway.add(session.id);
          options.onChange(session, false);
        }, graceMs),
      );
    },
    close(): void {
      for (const timer of pendingLeave.values()) clearTimeout(timer);
      pendingLeave.clear();
    },
  };
}
