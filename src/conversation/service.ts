import type { Bus } from "../bus/types.ts";
import { BatonError, isBatonError } from "../errors/index.ts";
import type { FlowHandoverRequest, FlowPorts } from "../flow/types.ts";
import type { HandoverObserver, SessionGate } from "../handover/ports.ts";
import { createHandoverService, type HandoverService } from "../handover/service.ts";
import { resolveLocale } from "../i18n/catalog.ts";
import type { HandoverProvider } from "../providers/port.ts";
import type { ConversationMessage, HandoverBanner, MessageAttachment } from "../protocol/messages.ts";
import type { Store, StoreRepositories, StoredSession } from "../store/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import { createFlowDriver } from "./flow-driver.ts";
import { sessionLock } from "./session-stream.ts";
import { Turn, type TurnHost } from "./turn.ts";
import {
  isBotApiEndpoint,
  toDataUrlAttachment,
  type EndpointRuntime,
  type SessionEventSink,
  type UserInput,
  type UserInputResult,
} from "./types.ts";

export interface ConversationServiceDeps {
  readonly store: Store;
  readonly bus: Bus;
  readonly endpoints: ReadonlyMap<string, EndpointRuntime>;
  readonly providers: ReadonlyMap<string, HandoverProvider>;
  readonly http: FlowPorts["http"];
  readonly logger: Logger;
  /** Asks the outbox worker to look now (called after enqueueing, so sends are not delayed by a poll). */
  readonly kickOutbox: () => void;
  readonly clock?: () => number;
  /**
   * Told, inside the storing transaction, of every message shown to a user, banner change, and (on endpoints
   * without a flow) of user messages and handover events meant for the external bot (the webhook channel).
   */
  readonly sessionEvents?: SessionEventSink;
  /** The agent's Copilot workspace: told after commit of handover changes and every message shown. */
  readonly copilot?: CopilotTriggers;
}

/**
 * What the Copilot runner follows. Called after the change committed, under the session lock; the calls only
 * queue work (a slow model must never hold up the conversation), so they return at once and never throw.
 */
export interface CopilotTriggers extends HandoverObserver {
  /** Every message of the session as shown (user, bot, agent, system). */
  onMessage(session: StoredSession, message: ConversationMessage): void;
}

/** How often a turn refused before it stored anything is run again under a fresh lock. */
const maxRunsAgainAfterLockLost = 2;

/** How the bot API names a session: the endpoint plus the ids the bot's users have. */
export type BotSessionKey = Pick<UserInput, "endpointId" | "userId" | "sessionId">;

/**
 * The conversation service: sessions, turns and routing. A user's input runs the flow or, while a handover is
 * open, goes to the handover service; inject, notify, greetings, typing and presence come in here too. The
 * handover service (src/handover/) runs the handovers themselves.
 *
 * Everything that changes one session happens in a turn under that session's bus lock, so one instance acts
 * on a conversation at a time and in order; the turn's writes carry the lock's fencing token, so an
 * instance that lost the lock (a stall past its TTL) cannot write over the one that took it.
 *
 * @example
 * const conversations = createConversationService({ store, bus, endpoints, providers, http, logger, kickOutbox });
 * await conversations.userInput({ endpointId: "web", userId: "u1", sessionId: "s1", text: "hi" });
 * await provider.start({ onEvent: (event) => conversations.handovers.onProviderEvent(event) });
 */
export function createConversationService(deps: ConversationServiceDeps) {
  const { store, bus } = deps;
  const clock = deps.clock ?? Date.now;

  const host: TurnHost = {
    store,
    bus,
    clock,
    kickOutbox: deps.kickOutbox,
    runFlow: (turn, trigger) => flows.run(turn, trigger),
    ...(deps.sessionEvents !== undefined ? { sessionEvents: deps.sessionEvents } : {}),
    ...(deps.copilot !== undefined
      ? { onMessage: (session, message) => deps.copilot?.onMessage(session, message) }
      : {}),
  };

  const gate: SessionGate = {
    async withSession(sessionKey, fn) {
      const session = await store.sessions.get(sessionKey);
      return session === undefined ? undefined : withSession(session, fn);
    },
  };

  const handovers: HandoverService = createHandoverService({
    store,
    providers: deps.providers,
    sessions: gate,
    logger: deps.logger,
    clock,
    ...(deps.copilot !== undefined ? { observer: deps.copilot } : {}),
  });

  const flows = createFlowDriver({ store, handovers, http: deps.http, logger: deps.logger, clock });

  function endpointOf(session: StoredSession): EndpointRuntime {
    const endpoint = deps.endpoints.get(session.endpointId);
    if (endpoint === undefined)
      throw new BatonError("BATON_ERR_ENDPOINT_UNKNOWN", { endpointId: session.endpointId });
    return endpoint;
  }

  async function withSession<T>(session: StoredSession, fn: (turn: Turn) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      let turn: Turn | undefined;
      try {
        return await bus.withLock(sessionLock(session.id), async (lock) => {
          const endpoint = endpointOf(session);
          const locale = resolveLocale(session.locale ?? endpoint.locale);
          turn = new Turn(session, endpoint, locale, host, lock.token);
          const result = await fn(turn);
          await turn.flush();
          return result;
        });
      } catch (error) {
        if (!canRunAgain(error, turn, attempt)) throw error;
        deps.logger.warn(
          { sessionKey: session.id, attempt },
          "another instance took this session's lock over before the turn stored anything; running it again",
        );
      }
    }
  }

  /**
   * A turn refused by its first write (BATON_ERR_LOCK_LOST: our lock expired and another holder wrote) has
   * changed nothing, so it is simply run again under a fresh lock, whose token is newer. Not once it stored
   * something (running it again would repeat that) or ran a flow (whose HTTP calls would be made again):
   * then the error goes to the caller, whose own retry (webhook receiver, outbox, timers) decides.
   */
  function canRunAgain(error: unknown, turn: Turn | undefined, attempt: number): boolean {
    return (
      isBatonError(error) &&
      error.code === "BATON_ERR_LOCK_LOST" &&
      turn !== undefined &&
      turn.committed === 0 &&
      turn.flowRuns === 0 &&
      attempt <= maxRunsAgainAfterLockLost
    );
  }

  async function openSession(
    input: Pick<UserInput, "endpointId" | "userId" | "sessionId" | "locale">,
  ): Promise<StoredSession> {
    if (!deps.endpoints.has(input.endpointId)) {
      throw new BatonError("BATON_ERR_ENDPOINT_UNKNOWN", { endpointId: input.endpointId });
    }
    const { session } = await store.sessions.getOrCreate({
      endpointId: input.endpointId,
      userId: input.userId,
      sessionId: input.sessionId,
      ...(input.locale !== undefined ? { locale: resolveLocale(input.locale) } : {}),
    });
    return session;
  }

  /**
   * An endpoint without a flow is driven by an external bot: a user message outside a handover goes to it.
   * Staged in its own transaction right after the message was stored (a crash in between loses the delivery,
   * as it would lose the flow run of a flow endpoint).
   */
  async function forwardToBot(turn: Turn, message: ConversationMessage): Promise<void> {
    if (!isBotApiEndpoint(turn.endpoint)) return;
    await turn.transaction((tx) => turn.stage(tx, { type: "userMessage", message }));
  }

  /** The session an external bot names; never created by a close or an inactivity call. */
  async function existingSession(key: BotSessionKey): Promise<StoredSession> {
    const session = await store.sessions.find(key);
    if (session === undefined) throw new BatonError("BATON_ERR_HANDOVER_NOT_OPEN", { field: "sessionId" });
    return session;
  }

  /** The bot API's calls that act on the open handover: refused (nothing changes) when there is none. */
  async function onOpenHandover(
    key: BotSessionKey,
    event: Parameters<HandoverService["apply"]>[2],
  ): Promise<{ handoverId: string }> {
    const session = await existingSession(key);
    return withSession(session, async (turn) => {
      const open = await handovers.openFor(session.id);
      if (open === undefined) throw new BatonError("BATON_ERR_HANDOVER_NOT_OPEN", { field: "sessionId" });
      await handovers.apply(turn, open, event);
      return { handoverId: open.id };
    });
  }

  return {
    openSession,
    /** The handover service, for provider events, timers and the outbox. */
    handovers,

    /** One user message, whatever the channel. Idempotent on `clientMessageId`. */
    async userInput(input: UserInput): Promise<UserInputResult> {
      const session = await openSession(input);
      return withSession(session, async (turn) => {
        const attachments: MessageAttachment[] = (input.attachments ?? []).map(toDataUrlAttachment);
        const appendMessage = async (tx: StoreRepositories) => {
          const appended = await tx.messages.append(session.id, {
            direction: "in",
            source: "user",
            ...(input.text !== undefined ? { text: input.text } : {}),
            ...(input.data !== undefined ? { data: input.data } : {}),
            ...(attachments.length > 0 ? { attachments } : {}),
            ...(input.clientMessageId !== undefined ? { clientMessageId: input.clientMessageId } : {}),
          });
          // Published after the commit (a rolled-back transaction drops it with everything else).
          if (appended.inserted) turn.stream({ type: "message", message: shownMessage(appended.seq) });
          return appended;
        };
        const shownMessage = (seq: number): ConversationMessage => ({
          seq,
          source: "user",
          createdAt: new Date(clock()).toISOString(),
          ...(input.text !== undefined ? { text: input.text } : {}),
          ...(attachments.length > 0 ? { attachments } : {}),
          ...(input.clientMessageId !== undefined ? { clientMessageId: input.clientMessageId } : {}),
        });
        // During a handover the message and the outbox item that relays it commit together: stored apart, a
        // crash or a refused write between them would leave a message that was acknowledged and never reached
        // the agent, and the client's resend would then be answered as a duplicate.
        const open = await handovers.openFor(session.id);
        const withRelay: { appended?: Awaited<ReturnType<typeof appendMessage>> } = {};
        const relayed =
          open !== undefined &&
          (await handovers.apply(
            turn,
            open,
            {
              type: "user.message",
              ...(input.text !== undefined ? { text: input.text } : {}),
              ...(input.data !== undefined ? { data: input.data } : {}),
              ...(attachments.length > 0 ? { attachments } : {}),
              at: clock(),
            },
            undefined,
            async (tx) => (withRelay.appended = await appendMessage(tx)).inserted,
          ));
        // No handover (or it was gone by the time it was written): the message is stored on its own.
        const stored = withRelay.appended ?? (await turn.transaction(appendMessage));
        if (!stored.inserted)
          return { sessionKey: session.id, seq: stored.seq, duplicate: true, outputs: [] };
        if (!relayed) {
          await forwardToBot(turn, {
            ...shownMessage(stored.seq),
            ...(input.data !== undefined ? { data: input.data } : {}),
          });
          await turn.runFlow({
            kind: "input",
            ...(input.text !== undefined ? { text: input.text } : {}),
            ...(input.data !== undefined ? { data: input.data } : {}),
          });
        }
        return { sessionKey: session.id, seq: stored.seq, duplicate: false, outputs: turn.outputs };
      });
    },

    /**
     * Injects text or data into a session's flow (`POST /inject/{urlToken}`), as if the user had written it,
     * but without showing it as a user message. Runs even while a handover is open (at the flow's current
     * entrypoint, below the handover node): that is how a backend or an agent's tool moves the flow.
     */
    async inject(input: UserInput): Promise<readonly ConversationMessage[]> {
      const session = await openSession(input);
      return withSession(session, async (turn) => {
        await turn.runFlow({
          kind: "inject",
          ...(input.text !== undefined ? { text: input.text } : {}),
          ...(input.data !== undefined ? { data: input.data } : {}),
        });
        return turn.outputs;
      });
    },

    /** Shows a bot message to the user directly, skipping the flow (`POST /notify/{urlToken}`). */
    async notify(
      input: Pick<UserInput, "endpointId" | "userId" | "sessionId" | "text" | "data"> & {
        quickReplies?: readonly { title: string; payload: string }[];
      },
    ): Promise<ConversationMessage> {
      const session = await openSession(input);
      return withSession(session, (turn) =>
        turn.transaction((tx) =>
          turn.show(tx, {
            source: "bot",
            ...(input.text !== undefined ? { text: input.text } : {}),
            ...(input.data !== undefined ? { data: input.data } : {}),
            ...(input.quickReplies !== undefined && input.quickReplies.length > 0
              ? { quickReplies: input.quickReplies }
              : {}),
          }),
        ),
      );
    },

    /** Runs the flow from its start for a new session (the web chat's greeting). */
    async greet(session: StoredSession): Promise<void> {
      await withSession(session, async (turn) => {
        if (session.flowState !== null) return;
        await turn.runFlow({ kind: "start" });
      });
    },

    async userTyping(session: StoredSession, active: boolean): Promise<void> {
      await withSession(session, (turn) =>
        handovers.applyToOpen(turn, { type: "user.typing", active, at: clock() }),
      );
    },

    async userConnection(session: StoredSession, connected: boolean): Promise<void> {
      await withSession(session, (turn) =>
        handovers.applyToOpen(turn, { type: "user.connection", connected, at: clock() }),
      );
    },

    async cancelHandover(session: StoredSession): Promise<void> {
      await withSession(session, async (turn) => {
        if (!(await handovers.applyToOpen(turn, { type: "user.cancel", at: clock() })))
          deps.logger.info({ sessionKey: session.id }, "cancel without an open handover; nothing to do");
      });
    },

    /** The current banner of a session (for `ready` frames after a reconnect). */
    bannerFor(sessionKey: string): Promise<HandoverBanner> {
      return handovers.bannerFor(sessionKey);
    },

    /**
     * The bot API's `POST /endpoints/{urlToken}/handover`: starts a handover as a handoverToAgent node would.
     * Throws BATON_ERR_HANDOVER_ALREADY_OPEN (nothing changed) when the session has an open one.
     */
    async botStartHandover(
      key: BotSessionKey,
      request: FlowHandoverRequest,
    ): Promise<{ handoverId: string }> {
      const session = await openSession(key);
      return withSession(session, async (turn) => {
        const open = await handovers.openFor(session.id);
        if (open !== undefined) {
          throw new BatonError("BATON_ERR_HANDOVER_ALREADY_OPEN", {
            field: "sessionId",
            handoverId: open.id,
          });
        }
        const started = await handovers.start(turn, request);
        if (started === undefined)
          throw new BatonError("BATON_ERR_HANDOVER_ALREADY_OPEN", { field: "sessionId" });
        return { handoverId: started.id };
      });
    },

    /** The bot API's `DELETE /endpoints/{urlToken}/handover` (a closeHandover node). */
    botCloseHandover(key: BotSessionKey): Promise<{ handoverId: string }> {
      return onOpenHandover(key, { type: "bot.close", at: clock() });
    },

    /** The bot API's `POST /endpoints/{urlToken}/handover/inactivity` (a setHandoverInactivity node). */
    botSetHandoverInactivity(key: BotSessionKey, seconds: number): Promise<{ handoverId: string }> {
      return onOpenHandover(key, { type: "bot.setInactivity", seconds, at: clock() });
    },
  };
}

export type ConversationService = ReturnType<typeof createConversationService>;
