/**
 * What the handover service needs from the conversation layer around it, as ports: a turn (one session's
 * unit of work under its lock) and a way to open one for events that arrive on their own (provider events,
 * timers, outbox answers). The conversation layer implements them; service tests may too.
 */
import type { SessionStreamEvent } from "../conversation/session-stream.ts";
import type { EndpointRuntime, SessionEvent } from "../conversation/types.ts";
import type { FlowTrigger } from "../flow/types.ts";
import type { Locale } from "../i18n/catalog.ts";
import type { ConversationMessage } from "../protocol/messages.ts";
import type { NewMessage, StoreRepositories, StoredHandover, StoredSession } from "../store/types.ts";

/** A message to show the user: what is stored, without the direction (always outgoing). */
export type ShownMessage = Omit<NewMessage, "direction">;

/**
 * One session's unit of work, under the session's lock: what it stores is written in the caller's
 * transaction, what it shows is published after the commit (`flush`), in order.
 */
export interface HandoverTurn {
  readonly session: StoredSession;
  readonly endpoint: EndpointRuntime;
  /** The session's language for Baton's own texts. */
  readonly locale: Locale;
  /** Stores a message for the user in `tx`; it is published at the next `flush`. */
  show(tx: StoreRepositories, message: ShownMessage): Promise<ConversationMessage>;
  /** A live-only event (the banner, the agent typing), published at the next `flush`. */
  stream(event: SessionStreamEvent): void;
  /** Hands a session event to the endpoint's channel (webhook deliveries) inside `tx`. */
  stage(tx: StoreRepositories, event: SessionEvent): Promise<void>;
  /** Asks for the outbox to be looked at after the commit (something was enqueued). */
  kickOutbox(): void;
  /**
   * Runs `fn` in one store transaction. When it throws (and rolls back), whatever `fn` showed, streamed or
   * asked to kick is dropped from the turn too, so nothing is published that was not stored.
   */
  transaction<T>(fn: (tx: StoreRepositories) => Promise<T>): Promise<T>;
  /** Publishes what the turn showed and kicks the outbox; call after each commit. */
  flush(): Promise<void>;
  /** Runs the endpoint's flow with this trigger, inside this turn (flow events and resumes). */
  runFlow(trigger: FlowTrigger): Promise<void>;
}

/** Opens turns for work that does not come from the session itself. */
export interface SessionGate {
  /**
   * Runs `fn` under the session's lock with a fresh turn and flushes it; resolves `undefined` without
   * running `fn` when the session does not exist (any more).
   */
  withSession<T>(sessionKey: string, fn: (turn: HandoverTurn) => Promise<T>): Promise<T | undefined>;
}

/**
 * Told after commit of what changed, under the session's lock. Implementations only queue work (the Copilot
 * runner): they return at once and never throw.
 */
export interface HandoverObserver {
  onHandoverStarted(session: StoredSession, handover: StoredHandover): void;
  /** Every committed change of state, queue or agent, including the end. */
  onHandoverChanged(session: StoredSession, handover: StoredHandover): void;
}
