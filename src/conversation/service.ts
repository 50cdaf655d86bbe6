import { randomUUID } from "node:crypto";
import type { Bus } from "../bus/types.ts";
import { BatonError, isBatonError } from "../errors/index.ts";
import { runFlow } from "../flow/engine.ts";
import type {
  FlowHandoverRequest,
  FlowOutput,
  FlowPorts,
  FlowRunResult,
  FlowState,
  FlowTrigger,
} from "../flow/types.ts";
import { initialState, transition, unsupportedState } from "../handover/machine/index.ts";
import type {
  HandoverEffect,
  HandoverEvent,
  HandoverMachineState,
  HandoverTransition,
} from "../handover/machine/types.ts";
import { toHandoverEvent } from "../handover/provider-events.ts";
import type { FlowHandoverInput, HandoverRequest } from "../handover/types.ts";
import { resolveLocale, translate, type Locale, type MessageKey } from "../i18n/catalog.ts";
import type { HandoverProvider, ProviderEvent } from "../providers/port.ts";
import type { ConversationMessage, HandoverBanner, MessageAttachment } from "../protocol/messages.ts";
import type { WebchatServerFrame } from "../protocol/webchat.ts";
import type {
  JsonObject,
  NewMessage,
  NewOutboxItem,
  Store,
  StoreRepositories,
  StoredHandover,
  StoredSession,
} from "../store/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import { bannerOf } from "../handover/machine/index.ts";
import { publishToSession, sessionLock } from "./session-topic.ts";
import {
  isBotApiEndpoint,
  fromProviderAttachment,
  toDataUrlAttachment,
  type EndpointRuntime,
  type SessionEvent,
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
   * Told, inside the storing transaction, of every message shown to a user, banner change, and — on endpoints
   * without a flow — of user messages and handover events meant for the external bot (the webhook channel).
   */
  readonly sessionEvents?: SessionEventSink;
  /** The agent's Copilot workspace, told after commit of handover starts and every message shown. */
  readonly copilot?: CopilotTriggers;
}

/**
 * What the Copilot runner follows. Called after the change committed, under the session lock; the calls only
 * queue work (a slow model must never hold up the conversation), so they return at once and never throw.
 */
export interface CopilotTriggers {
  onHandoverStarted(session: StoredSession, handover: StoredHandover): void;
  /** Every message of the session as shown (user, bot, agent, system). */
  onMessage(session: StoredSession, message: ConversationMessage): void;
}

/** Outbox item kinds this service enqueues and handles. */
export const outboxKinds = {
  create: "handover.create",
  send: "handover.send",
  notifyAgent: "handover.notifyAgent",
  botToAgent: "handover.botToAgent",
  userLeaves: "handover.userLeaves",
} as const;

export const handoverTimerKind = "handover.timer";

/** Flow runs one turn may cause (a flow that starts a handover that fails, that resumes the flow, …). */
const maxFlowRunsPerTurn = 8;

/**
 * The conversation service: one place that decides what happens to a session. User input runs the flow or,
 * while a handover is open, goes to the handover state machine; provider events and timers go to the machine;
 * every effect is executed here — messages stored and published, provider calls queued in the outbox.
 *
 * Everything that changes one session happens under that session's bus lock, so one instance acts on a
 * conversation at a time and in order.
 */
export function createConversationService(deps: ConversationServiceDeps) {
  const { store, bus, logger } = deps;
  const clock = deps.clock ?? Date.now;

  /** What one turn (one input, event or timer) produced: messages shown, frames to publish after commit. */
  class Turn {
    readonly outputs: ConversationMessage[] = [];
    readonly frames: WebchatServerFrame[] = [];
    flowRuns = 0;
    kick = false;
    constructor(readonly session: StoredSession) {}

    async flush(): Promise<void> {
      for (const frame of this.frames.splice(0)) {
        await publishToSession(bus, this.session.id, frame);
        if (frame.type === "message") deps.copilot?.onMessage(this.session, frame.message);
      }
      if (this.kick) deps.kickOutbox();
      this.kick = false;
    }
  }

  function endpointOf(session: StoredSession): EndpointRuntime {
    const endpoint = deps.endpoints.get(session.endpointId);
    if (endpoint === undefined)
      throw new BatonError("BATON_ERR_ENDPOINT_UNKNOWN", { endpointId: session.endpointId });
    return endpoint;
  }

  function localeOf(session: StoredSession): Locale {
    return resolveLocale(session.locale ?? endpointOf(session).locale);
  }

  // ------------------------------------------------------------------------------------------ messages

  async function appendOut(
    repos: StoreRepositories,
    turn: Turn,
    message: Omit<NewMessage, "direction">,
  ): Promise<ConversationMessage> {
    const { seq } = await repos.messages.append(turn.session.id, { ...message, direction: "out" });
    const shown: ConversationMessage = {
      seq,
      source: message.source,
      createdAt: new Date(clock()).toISOString(),
      ...(message.text !== undefined ? { text: message.text } : {}),
      ...(message.quickReplies !== undefined ? { quickReplies: message.quickReplies } : {}),
      ...(message.card !== undefined ? { card: message.card } : {}),
      ...(message.attachments !== undefined ? { attachments: message.attachments } : {}),
      ...(message.agentName !== undefined ? { agentName: message.agentName } : {}),
      ...(message.data !== undefined ? { data: message.data } : {}),
    };
    turn.outputs.push(shown);
    turn.frames.push({ type: "message", message: shown });
    await stageSessionEvent(repos, turn, { type: "message", message: shown });
    return shown;
  }

  /** Hands a session event to the channel sink, in the caller's transaction (see SessionEventSink). */
  async function stageSessionEvent(repos: StoreRepositories, turn: Turn, event: SessionEvent): Promise<void> {
    if (deps.sessionEvents === undefined) return;
    if (await deps.sessionEvents.stage(repos, turn.session, endpointOf(turn.session), event))
      turn.kick = true;
  }

  /** On an endpoint driven by an external bot, what a flow would get as `input.handover` goes to the bot. */
  async function stageBotHandoverEvent(
    repos: StoreRepositories,
    turn: Turn,
    input: FlowHandoverInput,
  ): Promise<void> {
    if (isBotApiEndpoint(endpointOf(turn.session)))
      await stageSessionEvent(repos, turn, { type: "handover", handover: input });
  }

  function systemText(
    turn: Turn,
    key: MessageKey,
    params?: Readonly<Record<string, string | undefined>>,
  ): string {
    return translate(localeOf(turn.session), key, params);
  }

  // ------------------------------------------------------------------------------------------ flow

  async function runFlowTurn(turn: Turn, trigger: FlowTrigger): Promise<void> {
    const endpoint = endpointOf(turn.session);
    if (endpoint.flow === undefined) return;
    turn.flowRuns += 1;
    if (turn.flowRuns > maxFlowRunsPerTurn) {
      logger.error({ sessionKey: turn.session.id }, "flow runs per turn exceeded; stopping this turn");
      return;
    }
    const fresh = (await store.sessions.get(turn.session.id)) ?? turn.session;
    const state = toFlowState(fresh);
    const result: FlowRunResult = await runFlow(endpoint.flow, state, trigger, {
      http: deps.http,
      now: clock,
      session: {
        endpointId: fresh.endpointId,
        userId: fresh.userId,
        sessionId: fresh.sessionId,
        locale: localeOf(fresh),
      },
    });
    for (const error of result.errors) {
      logger.warn({ sessionKey: fresh.id, code: error.code, details: error.details }, "flow problem");
    }
    await store.sessions.updateFlow(fresh.id, {
      context: result.state.context,
      flowState: { ...result.state, context: {} },
    });
    // Outputs and actions in the order the flow produced them (an action knows how many outputs preceded it).
    let next = 0;
    for (const action of result.actions) {
      await deliverFlowOutputs(turn, result.outputs.slice(next, action.outputsBefore));
      next = action.outputsBefore;
      switch (action.type) {
        case "handover.start":
          await startHandover(turn, action.request);
          break;
        case "handover.close":
          await applyToOpenHandover(turn, { type: "bot.close", at: clock() });
          break;
        case "handover.setInactivity":
          await applyToOpenHandover(turn, {
            type: "bot.setInactivity",
            seconds: action.seconds,
            at: clock(),
          });
          break;
        case "end":
          break;
        // Copilot actions come from copilot flows only (a main flow with a tile node does not load).
        case "copilot.grid":
        case "copilot.tile":
        case "copilot.sendData":
          break;
      }
    }
    await deliverFlowOutputs(turn, result.outputs.slice(next));
  }

  async function deliverFlowOutputs(turn: Turn, outputs: readonly FlowOutput[]): Promise<void> {
    if (outputs.length === 0) return;
    const open = await store.handovers.findOpenBySession(turn.session.id);
    await store.transaction(async (tx) => {
      for (const output of outputs) {
        if (output.destination !== "agent") {
          await appendOut(tx, turn, {
            source: "bot",
            ...(output.text !== undefined ? { text: output.text } : {}),
            ...(output.quickReplies !== undefined && output.quickReplies.length > 0
              ? { quickReplies: output.quickReplies }
              : {}),
            ...(output.card !== undefined ? { card: output.card } : {}),
          });
        }
        // What a flow says to the agent reaches the agent only while a handover is open (reference H20).
        if (output.destination !== "user" && open !== undefined && output.text !== undefined) {
          await tx.outbox.enqueue([
            {
              orderingKey: handoverKey(open.id),
              kind: outboxKinds.botToAgent,
              payload: { handoverId: open.id, text: output.text },
            },
          ]);
          turn.kick = true;
        }
      }
    });
  }

  // ------------------------------------------------------------------------------------------ handover

  /** @returns the new handover's id, or undefined when the session already had an open one. */
  async function startHandover(
    turn: Turn,
    flowRequest: HandoverRequest | (Omit<HandoverRequest, "providerId"> & { providerId: string | undefined }),
  ): Promise<string | undefined> {
    const endpoint = endpointOf(turn.session);
    const providerId = flowRequest.providerId ?? endpoint.providerId;
    const request: HandoverRequest = { ...flowRequest, providerId: providerId ?? "" };
    const handoverId = randomUUID();
    const unsupported = unsupportedReason(endpoint, providerId);
    const started: HandoverTransition =
      unsupported === undefined
        ? initialState(request, clock(), handoverId)
        : unsupportedState(request, clock(), handoverId, unsupported);
    const created = await store.handovers.create({
      id: handoverId,
      sessionId: turn.session.id,
      endpointId: endpoint.id,
      providerId: request.providerId,
      state: started.state.state,
      machine: started.state as unknown as JsonObject,
      request,
    });
    if (!created.ok) {
      logger.warn(
        { sessionKey: turn.session.id, open: created.open.id },
        "handover requested while one is open",
      );
      return undefined;
    }
    logger.info(
      { sessionKey: turn.session.id, handoverId, provider: request.providerId, state: started.state.state },
      "handover requested",
    );
    await executeEffects(turn, created.handover, started.effects);
    deps.copilot?.onHandoverStarted(turn.session, created.handover);
    return handoverId;
  }

  function unsupportedReason(endpoint: EndpointRuntime, providerId: string | undefined): string | undefined {
    if (providerId === undefined) return "no handover provider is configured for this endpoint";
    if (!deps.providers.has(providerId)) return `provider "${providerId}" is not configured`;
    return undefined;
  }

  async function applyToOpenHandover(turn: Turn, event: HandoverEvent): Promise<void> {
    const open = await store.handovers.findOpenBySession(turn.session.id);
    if (open === undefined) {
      logger.info({ sessionKey: turn.session.id, event: event.type }, "no open handover; event ignored");
      return;
    }
    await applyHandoverEvent(turn, open, event);
  }

  /** Feeds one event to the machine and executes what it decides. Must run under the session lock. */
  async function applyHandoverEvent(
    turn: Turn,
    handover: StoredHandover,
    event: HandoverEvent,
  ): Promise<void> {
    const result = transition(handover.machine as unknown as HandoverMachineState, event);
    const updated = await store.handovers.update(
      handover.id,
      {
        state: result.state.state,
        machine: result.state as unknown as JsonObject,
        ...(result.state.providerConversationId !== undefined
          ? { providerConversationId: result.state.providerConversationId }
          : {}),
      },
      handover.version,
    );
    if (!updated.ok) {
      if (updated.reason === "not_found") return;
      // Another instance changed it between our read and write (the lock makes this rare): decide again.
      await applyHandoverEvent(turn, updated.current, event);
      return;
    }
    await executeEffects(turn, updated.handover, result.effects);
  }

  async function executeEffects(
    turn: Turn,
    handover: StoredHandover,
    effects: readonly HandoverEffect[],
  ): Promise<void> {
    const afterCommit: HandoverEffect[] = [];
    await store.transaction(async (tx) => {
      const outbox: NewOutboxItem[] = [];
      for (const effect of effects) {
        await stageEffect(tx, turn, handover, effect, outbox, afterCommit);
      }
      if (outbox.length > 0) {
        await tx.outbox.enqueue(outbox);
        turn.kick = true;
      }
    });
    await turn.flush();
    for (const effect of afterCommit) await runAfterCommit(turn, handover, effect);
  }

  /** Effects that are writes happen inside the transaction; provider calls become outbox items. */
  async function stageEffect(
    tx: StoreRepositories,
    turn: Turn,
    handover: StoredHandover,
    effect: HandoverEffect,
    outbox: NewOutboxItem[],
    afterCommit: HandoverEffect[],
  ): Promise<void> {
    const key = handoverKey(handover.id);
    switch (effect.type) {
      case "provider.create":
        outbox.push({ orderingKey: key, kind: outboxKinds.create, payload: { handoverId: handover.id } });
        return;
      case "provider.sendUserMessage":
        outbox.push({
          orderingKey: key,
          kind: outboxKinds.send,
          payload: {
            handoverId: handover.id,
            ...(effect.text !== undefined ? { text: effect.text } : {}),
            attachments: (effect.attachments ?? []).map((a) => ({
              name: a.name,
              url: a.url,
              contentType: a.contentType ?? "application/octet-stream",
            })),
          },
        });
        return;
      case "provider.notifyAgent":
        outbox.push({
          orderingKey: key,
          kind: outboxKinds.notifyAgent,
          payload: {
            handoverId: handover.id,
            text: systemText(
              turn,
              effect.messageKey === "userLeft" ? "agent.userLeft" : "agent.userReturned",
            ),
          },
        });
        return;
      case "provider.userLeaves":
        outbox.push({ orderingKey: key, kind: outboxKinds.userLeaves, payload: { handoverId: handover.id } });
        return;
      case "flow.event":
      case "flow.resume":
        await stageBotHandoverEvent(tx, turn, effect.input);
        afterCommit.push(effect);
        return;
      case "provider.typing":
      case "user.typing":
        afterCommit.push(effect);
        return;
      case "user.say":
        await appendOut(tx, turn, {
          source: "system",
          text: systemText(turn, `handover.${effect.messageKey}`, effect.params),
        });
        return;
      case "user.sayText":
        await appendOut(tx, turn, {
          source: "bot",
          text: effect.text,
          ...(effect.quickReplies !== undefined && effect.quickReplies.length > 0
            ? { quickReplies: effect.quickReplies }
            : {}),
        });
        return;
      case "user.relayAgentMessage":
        await appendOut(tx, turn, {
          source: "agent",
          providerId: handover.providerId,
          text: effect.text,
          ...(effect.agentName !== undefined ? { agentName: effect.agentName } : {}),
          ...(effect.attachments.length > 0
            ? {
                attachments: effect.attachments.map(fromProviderAttachment),
              }
            : {}),
          ...(effect.cards.length > 0 ? { card: effect.cards[0]!.content as Record<string, unknown> } : {}),
        });
        return;
      case "user.banner":
        turn.frames.push({ type: "handover", banner: effect.banner });
        await stageSessionEvent(tx, turn, { type: "banner", banner: effect.banner });
        return;
      case "timer.set":
        await tx.timers.schedule(
          timerId(handover.id, effect.timer),
          handoverTimerKind,
          new Date(effect.dueAt),
          {
            handoverId: handover.id,
            timer: effect.timer,
            dueAt: effect.dueAt,
          },
        );
        return;
      case "timer.cancel":
        await tx.timers.cancel(timerId(handover.id, effect.timer));
        return;
      case "log":
        logger.info(
          {
            sessionKey: turn.session.id,
            handoverId: handover.id,
            provider: handover.providerId,
            providerConversationId: handover.providerConversationId,
            from: effect.from,
            to: effect.to,
            event: effect.event,
            ignored: effect.ignored,
            note: effect.note,
          },
          effect.ignored ? "handover event ignored" : "handover transition",
        );
        return;
    }
  }

  async function runAfterCommit(turn: Turn, handover: StoredHandover, effect: HandoverEffect): Promise<void> {
    switch (effect.type) {
      case "provider.typing":
        await sendTypingToProvider(handover);
        return;
      case "user.typing":
        await publishToSession(bus, turn.session.id, {
          type: "typing",
          source: "agent",
          active: effect.active,
          ...(effect.agentName !== undefined ? { agentName: effect.agentName } : {}),
        });
        return;
      case "flow.event":
        await runFlowTurn(turn, { kind: "handover", handover: effect.input });
        await turn.flush();
        return;
      case "flow.resume":
        await resumeFlow(turn, effect);
        await turn.flush();
        return;
      default:
        return;
    }
  }

  async function resumeFlow(
    turn: Turn,
    effect: Extract<HandoverEffect, { type: "flow.resume" }>,
  ): Promise<void> {
    // "current": the flow itself closed the handover and is still running below that node.
    if (effect.resumeAt === "current") return;
    // With trigger "nextUserMessage" the engine only moves the position and keeps the outcome for the next
    // input (a completion without sendResolveEvent); "now" runs the flow at once.
    await runFlowTurn(turn, {
      kind: "handover",
      handover: effect.input,
      resumeAt: effect.resumeAt,
      run: effect.trigger,
    });
  }

  async function sendTypingToProvider(handover: StoredHandover): Promise<void> {
    const provider = deps.providers.get(handover.providerId);
    if (provider === undefined || handover.providerConversationId === null) return;
    try {
      await provider.handover.userTyping(handover.providerConversationId);
    } catch (error) {
      // Typing is a hint: losing one is harmless, so it is not worth an outbox item.
      logger.debug({ handoverId: handover.id, err: error }, "typing not delivered");
    }
  }

  // ------------------------------------------------------------------------------------------ bot API

  /**
   * An endpoint without a flow is driven by an external bot: a user message outside a handover goes to it.
   * Staged in its own transaction right after the message was stored (a crash in between loses the delivery,
   * as it would lose the flow run of a flow endpoint).
   */
  async function forwardToBot(
    turn: Turn,
    seq: number,
    input: UserInput,
    attachments: readonly MessageAttachment[],
  ): Promise<void> {
    if (!isBotApiEndpoint(endpointOf(turn.session))) return;
    const message: ConversationMessage = {
      seq,
      source: "user",
      createdAt: new Date(clock()).toISOString(),
      ...(input.text !== undefined ? { text: input.text } : {}),
      ...(input.data !== undefined ? { data: input.data } : {}),
      ...(attachments.length > 0 ? { attachments } : {}),
      ...(input.clientMessageId !== undefined ? { clientMessageId: input.clientMessageId } : {}),
    };
    await store.transaction((tx) => stageSessionEvent(tx, turn, { type: "userMessage", message }));
  }

  /** The session an external bot names; never created by a close or an inactivity call. */
  async function existingSession(key: BotSessionKey): Promise<StoredSession> {
    const session = await store.sessions.find(key);
    if (session === undefined) throw new BatonError("BATON_ERR_HANDOVER_NOT_OPEN", { field: "sessionId" });
    return session;
  }

  async function requireOpenHandover(turn: Turn): Promise<StoredHandover> {
    const open = await store.handovers.findOpenBySession(turn.session.id);
    if (open === undefined) throw new BatonError("BATON_ERR_HANDOVER_NOT_OPEN", { field: "sessionId" });
    return open;
  }

  // ------------------------------------------------------------------------------------------ entry points

  async function withSession<T>(session: StoredSession, fn: (turn: Turn) => Promise<T>): Promise<T> {
    return bus.withLock(sessionLock(session.id), async () => {
      const turn = new Turn(session);
      const result = await fn(turn);
      await turn.flush();
      return result;
    });
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

  return {
    openSession,

    /** One user message, whatever the channel. Idempotent on `clientMessageId`. */
    async userInput(input: UserInput): Promise<UserInputResult> {
      const session = await openSession(input);
      return withSession(session, async (turn) => {
        const attachments = (input.attachments ?? []).map(toDataUrlAttachment);
        const appended = await store.messages.append(session.id, {
          direction: "in",
          source: "user",
          ...(input.text !== undefined ? { text: input.text } : {}),
          ...(input.data !== undefined ? { data: input.data } : {}),
          ...(attachments.length > 0 ? { attachments } : {}),
          ...(input.clientMessageId !== undefined ? { clientMessageId: input.clientMessageId } : {}),
        });
        if (!appended.inserted)
          return { sessionKey: session.id, seq: appended.seq, duplicate: true, outputs: [] };
        turn.frames.push({
          type: "message",
          message: {
            seq: appended.seq,
            source: "user",
            createdAt: new Date(clock()).toISOString(),
            ...(input.text !== undefined ? { text: input.text } : {}),
            ...(attachments.length > 0 ? { attachments } : {}),
            ...(input.clientMessageId !== undefined ? { clientMessageId: input.clientMessageId } : {}),
          },
        });
        const open = await store.handovers.findOpenBySession(session.id);
        if (open !== undefined) {
          await applyHandoverEvent(turn, open, {
            type: "user.message",
            ...(input.text !== undefined ? { text: input.text } : {}),
            ...(input.data !== undefined ? { data: input.data } : {}),
            ...(attachments.length > 0 ? { attachments } : {}),
            at: clock(),
          });
        } else {
          await forwardToBot(turn, appended.seq, input, attachments);
          await runFlowTurn(turn, {
            kind: "input",
            ...(input.text !== undefined ? { text: input.text } : {}),
            ...(input.data !== undefined ? { data: input.data } : {}),
          });
        }
        return { sessionKey: session.id, seq: appended.seq, duplicate: false, outputs: turn.outputs };
      });
    },

    /**
     * Injects text or data into a session's flow (`POST /inject/{urlToken}`), as if the user had written it,
     * but without showing it as a user message. Runs even while a handover is open: that is how a backend
     * (or an agent tool) moves the flow.
     */
    async inject(input: UserInput): Promise<readonly ConversationMessage[]> {
      const session = await openSession(input);
      return withSession(session, async (turn) => {
        await runFlowTurn(turn, {
          kind: "input",
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
        store.transaction((tx) =>
          appendOut(tx, turn, {
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
        if (toFlowState(session) !== undefined) return;
        await runFlowTurn(turn, { kind: "start" });
      });
    },

    async userTyping(session: StoredSession, active: boolean): Promise<void> {
      await withSession(session, (turn) =>
        applyToOpenHandoverQuietly(turn, { type: "user.typing", active, at: clock() }),
      );
    },

    async userConnection(session: StoredSession, connected: boolean): Promise<void> {
      await withSession(session, (turn) =>
        applyToOpenHandoverQuietly(turn, { type: "user.connection", connected, at: clock() }),
      );
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
        const open = await store.handovers.findOpenBySession(session.id);
        if (open !== undefined) {
          throw new BatonError("BATON_ERR_HANDOVER_ALREADY_OPEN", {
            field: "sessionId",
            handoverId: open.id,
          });
        }
        const handoverId = await startHandover(turn, request);
        if (handoverId === undefined)
          throw new BatonError("BATON_ERR_HANDOVER_ALREADY_OPEN", { field: "sessionId" });
        return { handoverId };
      });
    },

    /** The bot API's `DELETE /endpoints/{urlToken}/handover` (a closeHandover node). */
    async botCloseHandover(key: BotSessionKey): Promise<{ handoverId: string }> {
      const session = await existingSession(key);
      return withSession(session, async (turn) => {
        const open = await requireOpenHandover(turn);
        await applyHandoverEvent(turn, open, { type: "bot.close", at: clock() });
        return { handoverId: open.id };
      });
    },

    /** The bot API's `POST /endpoints/{urlToken}/handover/inactivity` (a setHandoverInactivity node). */
    async botSetHandoverInactivity(key: BotSessionKey, seconds: number): Promise<{ handoverId: string }> {
      const session = await existingSession(key);
      return withSession(session, async (turn) => {
        const open = await requireOpenHandover(turn);
        await applyHandoverEvent(turn, open, { type: "bot.setInactivity", seconds, at: clock() });
        return { handoverId: open.id };
      });
    },

    async cancelHandover(session: StoredSession): Promise<void> {
      await withSession(session, (turn) => applyToOpenHandover(turn, { type: "user.cancel", at: clock() }));
    },

    /** The current banner of a session (for `ready` frames after a reconnect). */
    async bannerFor(sessionKey: string): Promise<HandoverBanner> {
      const open = await store.handovers.findOpenBySession(sessionKey);
      return open === undefined
        ? { state: "none" }
        : bannerOf(open.machine as unknown as HandoverMachineState);
    },

    /**
     * A verified, de-duplicated, ordered provider event. Throws BATON_ERR_HANDOVER_NOT_FOUND while the
     * provider's conversation id is not yet known (its events can overtake the create call's answer), so the
     * webhook receiver retries it shortly, in order.
     */
    async onProviderEvent(event: ProviderEvent): Promise<void> {
      const handoverEvent = toHandoverEvent(event);
      if (handoverEvent === undefined) return;
      const found = await store.handovers.findByProviderConversation(event.providerId, event.conversationId);
      if (found === undefined) {
        // Either the create call's answer has not been stored yet (8x8's first events can overtake it) —
        // then the receiver retries shortly, in order — or the conversation is not one of ours.
        if (await createInFlight(event.providerId)) {
          throw new BatonError("BATON_ERR_HANDOVER_NOT_FOUND", {
            provider: event.providerId,
            conversationId: event.conversationId,
          });
        }
        logger.info(
          { provider: event.providerId, conversationId: event.conversationId, kind: event.kind },
          "event for a conversation no handover of this gateway created; ignored",
        );
        return;
      }
      const session = await store.sessions.get(found.sessionId);
      if (session === undefined) return;
      await withSession(session, async (turn) => {
        const current = await store.handovers.get(found.id);
        if (current !== undefined) await applyHandoverEvent(turn, current, handoverEvent);
      });
    },

    /** A handover timer came due (durable; fired once). */
    async onTimer(payload: JsonObject): Promise<void> {
      const handover = await store.handovers.get(String(payload.handoverId));
      if (handover === undefined) return;
      const session = await store.sessions.get(handover.sessionId);
      if (session === undefined) return;
      const timer = payload.timer as "inactivity" | "queueWait" | "agentLeftGrace";
      await withSession(session, async (turn) => {
        const current = await store.handovers.get(handover.id);
        if (current !== undefined) {
          await applyHandoverEvent(turn, current, {
            type: "timer.fired",
            timer,
            at: Number(payload.dueAt ?? clock()),
          });
        }
      });
    },

    /** Outbox handlers for the provider calls this service queues. */
    outboxHandlers: {
      [outboxKinds.create]: async (payload: JsonObject, context: { attempt: number }) => {
        const handover = await store.handovers.get(String(payload.handoverId));
        if (handover === undefined || handover.endedAt !== null || handover.providerConversationId !== null)
          return;
        const provider = requireProvider(handover.providerId);
        const session = await store.sessions.get(handover.sessionId);
        if (session === undefined) return;
        let providerConversationId: string;
        try {
          ({ providerConversationId } = await provider.handover.createConversation({
            handoverId: handover.id,
            user: { id: session.userId, ...userProfile(session) },
            routing: {
              ...(handover.request.provider.channelId !== undefined
                ? { channelId: handover.request.provider.channelId }
                : {}),
              ...(handover.request.provider.queueId !== undefined
                ? { queueId: handover.request.provider.queueId }
                : {}),
              ...(handover.request.provider.jsonProperties !== undefined
                ? { properties: handover.request.provider.jsonProperties }
                : {}),
            },
            transcript: await transcriptFor(session, handover.request),
          }));
        } catch (error) {
          // A user waits for this one: after a few quick attempts the handover fails visibly instead of
          // retrying for minutes (the flow can offer something else).
          if (isBatonError(error) && !isPermanent(error) && context.attempt < createAttempts) throw error;
          await failCreate(handover, error);
          return;
        }
        await withSession(session, async (turn) => {
          const current = await store.handovers.get(handover.id);
          if (current === undefined) return;
          if (current.endedAt !== null) {
            await leaveLateConversation(turn, current, providerConversationId);
            return;
          }
          await applyHandoverEvent(turn, current, {
            type: "request.created",
            providerConversationId,
            at: clock(),
          });
        });
      },
      [outboxKinds.send]: async (payload: JsonObject) => {
        const target = await providerTarget(payload);
        if (target === undefined) return;
        const attachments = (
          (payload.attachments ?? []) as { name: string; url: string; contentType: string }[]
        ).map(fromDataUrl);
        await target.provider.handover.sendUserMessage(target.conversationId, {
          ...(typeof payload.text === "string" ? { text: payload.text } : {}),
          attachments,
        });
      },
      [outboxKinds.notifyAgent]: async (payload: JsonObject) => {
        const target = await providerTarget(payload);
        if (target !== undefined)
          await target.provider.handover.notifyAgent(target.conversationId, String(payload.text));
      },
      [outboxKinds.botToAgent]: async (payload: JsonObject) => {
        const target = await providerTarget(payload);
        if (target !== undefined)
          await target.provider.handover.notifyAgent(target.conversationId, String(payload.text));
      },
      [outboxKinds.userLeaves]: async (payload: JsonObject) => {
        const target = await providerTarget(payload, { evenIfEnded: true });
        if (target !== undefined) await target.provider.handover.userLeaves(target.conversationId);
      },
    },

    /** Told by the outbox worker when an item failed for good. */
    async onOutboxFailed(item: { kind: string; payload: JsonObject }, error: unknown): Promise<void> {
      const handover = await store.handovers.get(String(item.payload.handoverId));
      if (handover === undefined) return;
      if (item.kind === outboxKinds.create) {
        await failCreate(handover, error);
        return;
      }
      logger.error(
        { handoverId: handover.id, kind: item.kind, code: isBatonError(error) ? error.code : undefined },
        "a message could not be delivered to the contact center",
      );
    },
  };

  /** Whether some handover of this provider still waits for its create call's answer. */
  async function createInFlight(providerId: string): Promise<boolean> {
    const open = await store.handovers.listOpen();
    return open.some((h) => h.providerId === providerId && h.providerConversationId === null);
  }

  async function applyToOpenHandoverQuietly(turn: Turn, event: HandoverEvent): Promise<void> {
    const open = await store.handovers.findOpenBySession(turn.session.id);
    if (open !== undefined) await applyHandoverEvent(turn, open, event);
  }

  /**
   * The handover ended (the user cancelled, maxQueueWait, closeHandover) while the provider was still
   * creating its conversation. Its `provider.userLeaves` found no conversation then; without this the new
   * one would wait in the queue with nobody behind it. Records the id (so the conversation's events are
   * recognised and ignored) and makes the user leave it.
   */
  async function leaveLateConversation(
    turn: Turn,
    ended: StoredHandover,
    providerConversationId: string,
  ): Promise<void> {
    logger.info(
      { handoverId: ended.id, provider: ended.providerId, providerConversationId, state: ended.state },
      "provider conversation created after the handover ended; leaving it",
    );
    await store.transaction(async (tx) => {
      const updated = await tx.handovers.update(
        ended.id,
        {
          state: ended.state,
          machine: { ...ended.machine, providerConversationId },
          providerConversationId,
        },
        ended.version,
      );
      if (!updated.ok) return;
      await tx.outbox.enqueue([
        {
          orderingKey: handoverKey(ended.id),
          kind: outboxKinds.userLeaves,
          payload: { handoverId: ended.id },
        },
      ]);
      turn.kick = true;
    });
  }

  async function failCreate(handover: StoredHandover, error: unknown): Promise<void> {
    const session = await store.sessions.get(handover.sessionId);
    if (session === undefined) return;
    const unsupported = isBatonError(error) && error.code === "BATON_ERR_HANDOVER_UNSUPPORTED";
    logger.error(
      {
        handoverId: handover.id,
        provider: handover.providerId,
        code: isBatonError(error) ? error.code : undefined,
        details: isBatonError(error) ? error.details : undefined,
      },
      "handover request failed",
    );
    await withSession(session, async (turn) => {
      const current = await store.handovers.get(handover.id);
      if (current === undefined) return;
      await applyHandoverEvent(turn, current, {
        type: "request.failed",
        reason: unsupported ? "unsupported" : "error",
        message: isBatonError(error) ? error.message : "the provider call failed",
        at: clock(),
      });
    });
  }

  async function providerTarget(payload: JsonObject, options: { evenIfEnded?: boolean } = {}) {
    const handover = await store.handovers.get(String(payload.handoverId));
    if (handover === undefined || handover.providerConversationId === null) {
      logger.info(
        { handoverId: payload.handoverId },
        "no provider conversation (the request failed); nothing sent",
      );
      return undefined;
    }
    if (handover.endedAt !== null && options.evenIfEnded !== true) return undefined;
    return {
      provider: requireProvider(handover.providerId),
      conversationId: handover.providerConversationId,
    };
  }

  function requireProvider(providerId: string): HandoverProvider {
    const provider = deps.providers.get(providerId);
    if (provider === undefined) throw new BatonError("BATON_ERR_PROVIDER_UNKNOWN", { providerId });
    return provider;
  }

  async function transcriptFor(session: StoredSession, request: HandoverRequest) {
    if (request.transcript.mode === "none") return [];
    const messages = await store.messages.listTranscript(session.id, {
      ...(request.transcript.mode === "last" ? { lastN: request.transcript.count } : {}),
      sources: ["user", "bot", "system"],
    });
    return messages
      .filter((m) => (m.text !== undefined && m.text !== "") || (m.attachments?.length ?? 0) > 0)
      .map((m) => ({
        source: m.source,
        text: m.text ?? "",
        at: m.createdAt,
        ...((m.attachments?.length ?? 0) > 0 ? { attachments: m.attachments!.map((a) => a.name) } : {}),
      }));
  }
}

export type ConversationService = ReturnType<typeof createConversationService>;

/** How the bot API names a session: the endpoint plus the ids the bot's users have. */
export type BotSessionKey = Pick<UserInput, "endpointId" | "userId" | "sessionId">;

/** Tries before a failing create turns the handover to `error` (the user is waiting). */
const createAttempts = 3;

function isPermanent(error: BatonError): boolean {
  return (
    error.code === "BATON_ERR_8X8_REQUEST_REJECTED" ||
    error.code === "BATON_ERR_8X8_INPUT_INVALID" ||
    error.code === "BATON_ERR_HANDOVER_UNSUPPORTED"
  );
}

function handoverKey(handoverId: string): string {
  return `handover:${handoverId}`;
}

function timerId(handoverId: string, timer: string): string {
  return `handover:${handoverId}:${timer}`;
}

function toFlowState(session: StoredSession): FlowState | undefined {
  if (session.flowState === null) return undefined;
  const { pendingHandover: _pending, ...rest } = session.flowState as unknown as FlowState & {
    pendingHandover?: unknown;
  };
  return { ...rest, context: session.context };
}

/** What the session's context knows about the user, for the agent (name, email, …). */
function userProfile(session: StoredSession) {
  const profile = (session.context.user ?? {}) as Record<string, unknown>;
  const pick = (key: string) => (typeof profile[key] === "string" ? { [key]: profile[key] } : {});
  return {
    ...pick("name"),
    ...pick("email"),
    ...pick("phone"),
    ...pick("company"),
    ...pick("caseId"),
    ...(session.locale !== null ? { language: session.locale } : {}),
  };
}

function fromDataUrl(file: { name: string; url: string; contentType: string }) {
  const comma = file.url.indexOf(",");
  const base64 = file.url.startsWith("data:") && comma > 0 ? file.url.slice(comma + 1) : "";
  return { name: file.name, contentType: file.contentType, bytes: Buffer.from(base64, "base64") };
}
