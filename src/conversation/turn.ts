import type { Bus } from "../bus/types.ts";
import type { FlowTrigger } from "../flow/types.ts";
import type { HandoverTurn, ShownMessage } from "../handover/ports.ts";
import type { Locale } from "../i18n/catalog.ts";
import type { ConversationMessage } from "../protocol/messages.ts";
import type { Store, StoreRepositories, StoredSession } from "../store/types.ts";
import { publishToSession, type SessionStreamEvent } from "./session-stream.ts";
import { isBotApiEndpoint, type EndpointRuntime, type SessionEvent, type SessionEventSink } from "./types.ts";

/** What every turn of a service shares: where events go and who runs flows. */
export interface TurnHost {
  readonly store: Pick<Store, "transaction">;
  readonly bus: Bus;
  readonly clock: () => number;
  readonly sessionEvents?: SessionEventSink;
  /** Every message shown in the session, after it was published (the Copilot follows the conversation). */
  readonly onMessage?: (session: StoredSession, message: ConversationMessage) => void;
  readonly kickOutbox: () => void;
  readonly runFlow: (turn: Turn, trigger: FlowTrigger) => Promise<void>;
}

/**
 * One input, event or timer of one session, under the session's lock: what it showed (the REST channel
 * returns it), the live events to publish after the commit, whether the outbox needs a look. Its writes go
 * through `transaction`, fenced with the lock's token.
 */
export class Turn implements HandoverTurn {
  /** Everything shown to the user during this turn, in order. */
  readonly outputs: ConversationMessage[] = [];
  /** Flow runs so far in this turn (a flow that starts a handover that fails, that resumes the flow, …). */
  flowRuns = 0;
  readonly #pending: SessionStreamEvent[] = [];
  #kick = false;
  #committed = 0;

  /**
   * @param fencingToken the token of the session lock this turn runs under: every transaction of the turn
   *   claims the session with it first, so once another holder took the lock over and wrote, nothing more
   *   of this turn is stored (BATON_ERR_LOCK_LOST).
   */
  constructor(
    readonly session: StoredSession,
    readonly endpoint: EndpointRuntime,
    readonly locale: Locale,
    private readonly host: TurnHost,
    private readonly fencingToken: number,
  ) {}

  async show(tx: StoreRepositories, message: ShownMessage): Promise<ConversationMessage> {
    const { seq } = await tx.messages.append(this.session.id, { ...message, direction: "out" });
    const shown: ConversationMessage = {
      seq,
      source: message.source,
      createdAt: new Date(this.host.clock()).toISOString(),
      ...(message.text !== undefined ? { text: message.text } : {}),
      ...(message.quickReplies !== undefined ? { quickReplies: message.quickReplies } : {}),
      ...(message.card !== undefined ? { card: message.card } : {}),
      ...(message.attachments !== undefined ? { attachments: message.attachments } : {}),
      ...(message.agentName !== undefined ? { agentName: message.agentName } : {}),
      ...(message.data !== undefined ? { data: message.data } : {}),
    };
    this.outputs.push(shown);
    this.#pending.push({ type: "message", message: shown });
    await this.stage(tx, { type: "message", message: shown });
    return shown;
  }

  async transaction<T>(fn: (tx: StoreRepositories) => Promise<T>): Promise<T> {
    const mark = { outputs: this.outputs.length, pending: this.#pending.length, kick: this.#kick };
    try {
      const result = await this.host.store.transaction(async (tx) => {
        // First: a holder that lost the lock is refused before it writes anything, and the session row it
        // locks keeps any other fenced write out until this transaction ends.
        await tx.sessions.fence(this.session.id, this.fencingToken);
        return fn(tx);
      });
      this.#committed += 1;
      return result;
    } catch (error) {
      // Rolled back: what it showed was never stored, so it must not be published either.
      this.outputs.length = mark.outputs;
      this.#pending.length = mark.pending;
      this.#kick = mark.kick;
      throw error;
    }
  }

  /** Transactions of this turn that committed so far: 0 means the turn has changed nothing yet. */
  get committed(): number {
    return this.#committed;
  }

  stream(event: SessionStreamEvent): void {
    this.#pending.push(event);
  }

  async stage(tx: StoreRepositories, event: SessionEvent): Promise<void> {
    // Handover outcomes go to a channel only where an external bot stands in for the flow.
    if (event.type === "handover" && !isBotApiEndpoint(this.endpoint)) return;
    const sink = this.host.sessionEvents;
    if (sink !== undefined && (await sink.stage(tx, this.session, this.endpoint, event))) this.#kick = true;
  }

  kickOutbox(): void {
    this.#kick = true;
  }

  async flush(): Promise<void> {
    for (const event of this.#pending.splice(0)) {
      await publishToSession(this.host.bus, this.session.id, event);
      if (event.type === "message") this.host.onMessage?.(this.session, event.message);
    }
    if (this.#kick) this.host.kickOutbox();
    this.#kick = false;
  }

  runFlow(trigger: FlowTrigger): Promise<void> {
    return this.host.runFlow(this, trigger);
  }
}
