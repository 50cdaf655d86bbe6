import { messageText, type SentMessage } from "./delivery-ledger.ts";

/** Where the traffic holds until the suite lets it go on (so a disruption always has traffic around it). */
export interface Gate {
  /** The message index (0-based, across both directions' shared schedule) the traffic stops before. */
  readonly at: number;
}

export interface TrafficOptions {
  readonly messages: number;
  readonly conversations: number;
  readonly ratePerSecond: number;
  /** Indexes the traffic stops before until `release(at)`. */
  readonly gates: readonly number[];
  /** The part of the run a message is written in (recorded with it). */
  phase(): string;
  /** A user writes message `text` in conversation `conversation`. */
  userWrites(conversation: number, text: string): void;
  /** The agent of `conversation` sends `text`; rejects when the simulator refuses it. */
  agentSends(conversation: number, text: string): Promise<void>;
}

export interface Traffic {
  readonly userToAgent: readonly SentMessage[];
  readonly agentToUser: readonly SentMessage[];
  /** Agent messages the simulator refused (they count as sent and are never delivered). */
  readonly agentRefusals: readonly { conversation: number; seq: number; error: string }[];
  /** Messages written so far per direction (both directions follow one schedule). */
  written(): number;
  /** Resolves when the traffic is held at the gate `at`. */
  heldAt(at: number): Promise<void>;
  release(at: number): void;
  /** Resolves when every message was written and every agent send has returned. */
  readonly done: Promise<void>;
  stop(): void;
}

/**
 * Both directions on one schedule: message `g` (0-based) is due `g / rate` seconds after the previous one
 * was, goes to conversation `g mod conversations` and is that conversation's message number
 * `floor(g / conversations) + 1`; a user writes it and that conversation's agent sends its counterpart.
 * Users write whatever the gateway's state (their client queues while it is down); one conversation's
 * agent sends one at a time, in order, as a person at the console does, while conversations go in
 * parallel. The traffic stops at each gate until it is released and then carries on at the same rate.
 */
export function startTraffic(options: TrafficOptions): Traffic {
  const userToAgent: SentMessage[] = [];
  const agentToUser: SentMessage[] = [];
  const agentRefusals: { conversation: number; seq: number; error: string }[] = [];
  const agentQueues = Array.from({ length: options.conversations }, () => Promise.resolve());
  const intervalMs = 1000 / options.ratePerSecond;
  const holds = new Map(options.gates.map((at) => [at, deferred()]));
  const released = new Set<number>();
  let next = 0;
  let nextDueAt = Date.now();
  let stopped = false;
  let held = false;
  let finish!: () => void;
  const allWritten = new Promise<void>((resolve) => (finish = resolve));

  function write(index: number): void {
    const conversation = index % options.conversations;
    const seq = Math.floor(index / options.conversations) + 1;
    const phase = options.phase();
    userToAgent.push({ conversation, seq, sentAt: Date.now(), phase });
    options.userWrites(conversation, messageText("userToAgent", conversation, seq));
    agentQueues[conversation] = agentQueues[conversation]!.then(async () => {
      // Recorded when the agent really sends (a busy console may lag behind the schedule).
      agentToUser.push({ conversation, seq, sentAt: Date.now(), phase: options.phase() });
      try {
        await options.agentSends(conversation, messageText("agentToUser", conversation, seq));
      } catch (error) {
        agentRefusals.push({ conversation, seq, error: String(error) });
      }
    });
  }

  function tick(): void {
    if (stopped) return;
    const now = Date.now();
    while (next < options.messages && nextDueAt <= now) {
      const hold = holds.get(next);
      if (hold !== undefined && !released.has(next)) {
        // Nothing more until release() calls tick again.
        held = true;
        hold.resolve();
        return;
      }
      write(next);
      next += 1;
      nextDueAt += intervalMs;
    }
    if (next >= options.messages) {
      finish();
      return;
    }
    setTimeout(tick, Math.max(1, Math.min(20, nextDueAt - Date.now())));
  }
  tick();

  return {
    userToAgent,
    agentToUser,
    agentRefusals,
    written: () => next,
    heldAt: (at) => holds.get(at)?.promise ?? Promise.reject(new Error(`no gate at ${at}`)),
    release(at) {
      if (released.has(at)) return;
      released.add(at);
      // Carry on at the same rate from now, not with a burst for the time spent at the gate.
      nextDueAt = Math.max(nextDueAt, Date.now());
      if (held && next === at) {
        held = false;
        tick();
      }
    },
    done: allWritten.then(() => Promise.all(agentQueues)).then(() => undefined),
    stop: () => void (stopped = true),
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
