/**
 * Turns keystrokes into `typing` frames without flooding the socket: `active: true` at most once per
 * `refreshMs` while the person keeps typing (so the agent's indicator does not time out), and `active: false`
 * after `idleMs` without a keystroke or as soon as the message is sent.
 */
export interface TypingNotifier {
  /** The person typed (or changed the draft). */
  input(): void;
  /** The draft was sent or cleared: stop showing "typing" to the other side now. */
  stop(): void;
}

export interface TypingNotifierOptions {
  readonly send: (active: boolean) => void;
  readonly now?: () => number;
  readonly refreshMs?: number;
  readonly idleMs?: number;
}

export function createTypingNotifier(options: TypingNotifierOptions): TypingNotifier {
  const { send, now = Date.now, refreshMs = 3000, idleMs = 4000 } = options;
  let active = false;
  let lastActiveSentAt = 0;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const stop = (): void => {
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    idleTimer = undefined;
    if (active) {
      active = false;
      send(false);
    }
  };

  return {
    input() {
      const at = now();
      if (!active || at - lastActiveSentAt >= refreshMs) {
        active = true;
        lastActiveSentAt = at;
        send(true);
      }
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      idleTimer = setTimeout(stop, idleMs);
    },
    stop,
  };
}
