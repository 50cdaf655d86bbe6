import { randomUUID } from "node:crypto";
import { BatonError, isBatonError, isPermanentError } from "../errors/index.ts";
import type { FlowHandoverRequest } from "../flow/types.ts";
import type { HandoverProvider, ProviderEvent } from "../providers/port.ts";
import type { HandoverBanner } from "../protocol/messages.ts";
import type {
  NewProviderMessage,
  ProviderMessageSource,
  Store,
  StoreRepositories,
  StoredHandover,
} from "../store/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import { stageEffect, type AfterCommitEffect, type StagedEffects } from "./effects.ts";
import {
  bannerOf,
  handoverTimers,
  initialState,
  transition,
  unsupportedState,
  type HandoverEffect,
  type HandoverEvent,
  type HandoverTimer,
  type HandoverTransition,
} from "./machine/index.ts";
import { handoverOutboxItem } from "./outbox-items.ts";
import { createHandoverOutbox } from "./outbox.ts";
import type { HandoverObserver, HandoverTurn, SessionGate } from "./ports.ts";
import { toHandoverEvent } from "./provider-events.ts";
import { providerMessageKey } from "./provider-message-key.ts";
import { createHandoverReconciler } from "./reconcile.ts";
import type { HandoverRequest } from "./types.ts";
import { createUndeliverableNotices, isContentRejection } from "./undeliverable.ts";

export interface HandoverServiceDeps {
  readonly store: Store;
  readonly providers: ReadonlyMap<string, HandoverProvider>;
  readonly sessions: SessionGate;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** Told after commit of every start and change (the Copilot workspace follows the lifecycle). */
  readonly observer?: HandoverObserver;
}

/**
 * How often an event is decided again when another writer changed the handover between our read and our
 * write. The session lock makes a conflict rare (a stalled instance that lost its lock); a handover that keeps
 * changing under us means something is wrong, and the event is refused rather than retried forever.
 */
const maxConflictRetries = 5;

/**
 * The handover service: one place that runs handovers. It starts them, feeds every event (user, bot,
 * provider, timer, outbox outcome) to the pure state machine, and executes what the machine decides: the new
 * state and every write it causes are committed together, provider calls go through the durable outbox,
 * and the flow runs after the commit.
 *
 * Everything that changes a handover happens inside a turn of its session (under the session's lock): the
 * caller passes the turn, or the service opens one through `sessions` for events that arrive on their own.
 *
 * @example
 * const handovers = createHandoverService({ store, providers, sessions, logger });
 * await handovers.start(turn, request);                      // a handoverToAgent node
 * await handovers.applyToOpen(turn, { type: "user.cancel", at: Date.now() });
 * provider.start({ onEvent: (event) => handovers.onProviderEvent(event) });
 */
export function createHandoverService(deps: HandoverServiceDeps) {
  const { store, logger, sessions } = deps;
  const clock = deps.clock ?? Date.now;
  /**
   * Open handovers whose provider conversation this process knows to be in step: it created them, or caught
   * them up. A provider event of any other open handover (one open before a restart, or after a gap) waits
   * for its catch-up, so messages 8x8 gave up delivering are shown before the ones written after them.
   * Forgotten when the handover ends (memory stays proportional to the open handovers).
   */
  const inStep = new Set<string>();

  /** Starts a handover in the turn's session. Resolves undefined when the session already has one open. */
  async function start(
    turn: HandoverTurn,
    flowRequest: HandoverRequest | FlowHandoverRequest,
  ): Promise<StoredHandover | undefined> {
    const providerId = flowRequest.providerId ?? turn.endpoint.providerId;
    const request: HandoverRequest = { ...flowRequest, providerId: providerId ?? "" };
    const handoverId = randomUUID();
    const provider = providerId === undefined ? undefined : deps.providers.get(providerId);
    const started: HandoverTransition =
      provider === undefined
        ? unsupportedState(request, clock(), handoverId, unsupportedReason(providerId))
        : initialState(request, clock(), handoverId, {
            agentLeftGraceSeconds: provider.capabilities.agentLeftGraceSeconds,
          });
    const staged = emptyStaged();
    const created = await turn.transaction(async (tx) => {
      const result = await tx.handovers.create({
        id: handoverId,
        sessionId: turn.session.id,
        endpointId: turn.endpoint.id,
        providerId: request.providerId,
        state: started.state.state,
        machine: started.state,
        request,
      });
      if (result.ok) await stageAll(tx, turn, result.handover, started.effects, staged);
      return result;
    });
    if (!created.ok) {
      logger.warn(
        { sessionKey: turn.session.id, open: created.open.id },
        "handover requested while one is open",
      );
      return undefined;
    }
    if (created.handover.endedAt === null) inStep.add(handoverId);
    logger.info(
      { sessionKey: turn.session.id, handoverId, provider: request.providerId, state: started.state.state },
      "handover requested",
    );
    await turn.flush();
    deps.observer?.onHandoverStarted(turn.session, created.handover);
    await runAfterCommit(turn, created.handover, staged.afterCommit);
    return created.handover;
  }

  /**
   * Feeds one event to the machine for `handover` and executes what it decides, in the turn's session. A
   * version conflict (someone wrote in between) decides again on the fresh state, a bounded number of times.
   *
   * With `message` (a provider message, by webhook or catch-up) the message's key is recorded in the same
   * transaction, and an event whose key is already recorded changes nothing: that is what delivers each
   * provider message once across webhooks and catch-up.
   *
   * With `alongside`, a write of the caller's commits in the same transaction as the handover's change (a
   * user message and the outbox item that relays it): both land or neither does. It answers false to
   * withdraw (say, the message was stored before): then nothing of the event is written and apply answers
   * false.
   */
  async function apply(
    turn: HandoverTurn,
    handover: StoredHandover,
    event: HandoverEvent,
    message?: Omit<NewProviderMessage, "handoverId">,
    alongside?: (tx: StoreRepositories) => Promise<boolean>,
  ): Promise<boolean> {
    let current = handover;
    for (let attempt = 0; attempt <= maxConflictRetries; attempt++) {
      const result = transition(current.machine, event);
      const staged = emptyStaged();
      let updated;
      try {
        updated = await turn.transaction(async (tx) => {
          const written = await tx.handovers.update(
            current.id,
            {
              state: result.state.state,
              machine: result.state,
              ...(result.state.providerConversationId !== undefined
                ? { providerConversationId: result.state.providerConversationId }
                : {}),
            },
            current.version,
          );
          if (!written.ok) return written;
          // After the update, so a version conflict writes nothing; a known key rolls the update back.
          if (
            message !== undefined &&
            !(await tx.providerMessages.recordIfNew({ ...message, handoverId: current.id }))
          )
            throw new MessageAlreadyApplied();
          if (alongside !== undefined && !(await alongside(tx))) throw new AlongsideWithdrawn();
          await stageAll(tx, turn, written.handover, result.effects, staged);
          return written;
        });
      } catch (error) {
        if (error instanceof AlongsideWithdrawn) return false;
        if (!(error instanceof MessageAlreadyApplied)) throw error;
        logger.debug(
          { handoverId: current.id, eventId: message?.eventId, source: message?.source },
          "provider message already applied; not shown again",
        );
        return false;
      }
      if (updated.ok) {
        if (updated.handover.endedAt !== null) inStep.delete(updated.handover.id);
        await turn.flush();
        if (changedFor(result.effects)) deps.observer?.onHandoverChanged(turn.session, updated.handover);
        await runAfterCommit(turn, updated.handover, staged.afterCommit);
        return true;
      }
      if (updated.reason === "not_found") return false;
      current = updated.current;
    }
    throw new BatonError("BATON_ERR_HANDOVER_CONFLICT", { handoverId: handover.id, event: event.type });
  }

  /** Applies the event to the session's open handover; false when there is none (nothing happens). */
  async function applyToOpen(turn: HandoverTurn, event: HandoverEvent): Promise<boolean> {
    const open = await store.handovers.findOpenBySession(turn.session.id);
    if (open === undefined) return false;
    await apply(turn, open, event);
    return true;
  }

  /** Opens the handover's session and applies the event to the handover's current state there. */
  async function applyInSession(
    handover: StoredHandover,
    event: () => HandoverEvent,
    message?: Omit<NewProviderMessage, "handoverId">,
  ): Promise<void> {
    await sessions.withSession(handover.sessionId, async (turn) => {
      const current = await store.handovers.get(handover.id);
      if (current !== undefined) await apply(turn, current, event(), message);
    });
  }

  /**
   * A provider event as the machine event it means, with the key of the message it carries (if any): the
   * one path for webhook events and catch-up alike. False when its message had been applied already.
   */
  async function applyProviderEvent(
    turn: HandoverTurn,
    handover: StoredHandover,
    event: ProviderEvent,
    source: ProviderMessageSource,
  ): Promise<boolean> {
    const handoverEvent = toHandoverEvent(event);
    if (handoverEvent === undefined) return false;
    return apply(turn, handover, handoverEvent, providerMessageRecord(event, source));
  }

  async function stageAll(
    tx: StoreRepositories,
    turn: HandoverTurn,
    handover: StoredHandover,
    effects: readonly HandoverEffect[],
    staged: StagedEffects,
  ): Promise<void> {
    for (const effect of effects) await stageEffect(tx, turn, handover, effect, staged, logger);
    if (staged.outbox.length > 0) {
      await tx.outbox.enqueue(staged.outbox);
      turn.kickOutbox();
    }
  }

  async function runAfterCommit(
    turn: HandoverTurn,
    handover: StoredHandover,
    effects: readonly AfterCommitEffect[],
  ): Promise<void> {
    for (const effect of effects) {
      switch (effect.type) {
        case "provider.typing":
          await sendTyping(turn, handover);
          break;
        case "flow.event":
          await turn.runFlow({ kind: "handover", handover: effect.input });
          break;
        case "flow.resume":
          // "current": the flow itself closed the handover and is still running below that node.
          if (effect.resumeAt === "current") break;
          // With trigger "nextUserMessage" the engine only moves the position and keeps the outcome for the
          // next input (a completion without sendResolveEvent); "now" runs the flow at once.
          await turn.runFlow({
            kind: "handover",
            handover: effect.input,
            resumeAt: effect.resumeAt,
            run: effect.trigger,
          });
          break;
      }
      await turn.flush();
    }
  }

  /** Typing is a hint: losing one is harmless, so it is sent at once, not through the outbox. */
  async function sendTyping(turn: HandoverTurn, handover: StoredHandover): Promise<void> {
    const provider = deps.providers.get(handover.providerId);
    if (provider === undefined || handover.providerConversationId === null) return;
    try {
      await provider.handover.userTyping(handover.providerConversationId);
    } catch (error) {
      if (isPermanentError(error)) {
        // A refusal for good (the conversation is gone) ends the handover now rather than at the next message.
        const current = await store.handovers.get(handover.id);
        if (current !== undefined) await apply(turn, current, rejected("typing", error));
        return;
      }
      logger.debug({ handoverId: handover.id, err: error }, "typing not delivered");
    }
  }

  function rejected(operation: string, error: unknown): HandoverEvent {
    return { type: "provider.rejected", operation, message: describeError(error), at: clock() };
  }

  const undeliverable = createUndeliverableNotices({ sessions, logger });

  const outbox = createHandoverOutbox({
    store,
    providers: deps.providers,
    logger,
    async created(handover, providerConversationId) {
      await sessions.withSession(handover.sessionId, async (turn) => {
        const current = await store.handovers.get(handover.id);
        if (current === undefined) return;
        if (current.endedAt !== null) {
          await leaveLateConversation(turn, current, providerConversationId);
          return;
        }
        await apply(turn, current, { type: "request.created", providerConversationId, at: clock() });
      });
    },
    async createFailed(handover, error) {
      logger.error(
        {
          handoverId: handover.id,
          provider: handover.providerId,
          code: isBatonError(error) ? error.code : undefined,
          details: isBatonError(error) ? error.details : undefined,
        },
        "handover request failed",
      );
      const unsupported = isBatonError(error) && error.code === "BATON_ERR_HANDOVER_UNSUPPORTED";
      await applyInSession(handover, () => ({
        type: "request.failed",
        reason: unsupported ? "unsupported" : "error",
        message: isBatonError(error) ? error.message : "the provider call failed",
        at: clock(),
      }));
    },
    async callRejected(handover, operation, error) {
      logger.error(
        {
          handoverId: handover.id,
          provider: handover.providerId,
          operation,
          code: isBatonError(error) ? error.code : undefined,
          details: isBatonError(error) ? error.details : undefined,
        },
        "the contact center refused a call for good; ending the handover",
      );
      await applyInSession(handover, () => rejected(operation, error));
    },
  });

  /**
   * The handover ended (the user cancelled, maxQueueWait, closeHandover) while the provider was still
   * creating its conversation. Its `userLeaves` found no conversation then; without this the new one would
   * wait in the queue with nobody behind it. Records the id (so the conversation's events are recognised and
   * ignored) and makes the user leave it.
   */
  async function leaveLateConversation(
    turn: HandoverTurn,
    ended: StoredHandover,
    providerConversationId: string,
  ): Promise<void> {
    logger.info(
      { handoverId: ended.id, provider: ended.providerId, providerConversationId, state: ended.state },
      "provider conversation created after the handover ended; leaving it",
    );
    await turn.transaction(async (tx) => {
      const updated = await tx.handovers.update(
        ended.id,
        { state: ended.state, machine: { ...ended.machine, providerConversationId }, providerConversationId },
        ended.version,
      );
      if (!updated.ok) return;
      await tx.outbox.enqueue([handoverOutboxItem("handover.userLeaves", { handoverId: ended.id })]);
      turn.kickOutbox();
    });
  }

  /** Whether some handover of this provider still waits for its create call's answer. */
  async function createInFlight(providerId: string): Promise<boolean> {
    const open = await store.handovers.listOpen();
    return open.some((h) => h.providerId === providerId && h.providerConversationId === null);
  }

  const reconciler = createHandoverReconciler({
    store,
    providers: deps.providers,
    sessions,
    logger,
    clock,
    applyProviderEvent,
    apply: async (turn, handover, event) => void (await apply(turn, handover, event)),
    caughtUp: (handoverId) => inStep.add(handoverId),
  });

  /**
   * Before the first provider event of a handover this process is not in step with, the handover is caught
   * up (which takes the session's lock itself). A failed catch-up fails the event, so the receiver hands it
   * on again later, still in order, instead of showing it ahead of older messages still missing.
   */
  async function stepIn(handover: StoredHandover): Promise<void> {
    if (handover.endedAt !== null || handover.providerConversationId === null || inStep.has(handover.id))
      return;
    const outcome = await reconciler.reconcileHandover(handover.id);
    // A provider that cannot be asked has nothing to catch up: its events apply as they come.
    if (outcome.status === "unsupported") inStep.add(handover.id);
  }

  /**
   * A provider's report that events may have been lost: its handovers are caught up before their next event.
   * Never rejects (a failed lookup is logged; the scheduled catch-up still runs).
   */
  async function outOfStep(providerId: string, conversationId?: string): Promise<void> {
    if (conversationId === undefined) {
      inStep.clear();
      return;
    }
    try {
      const handover = await store.handovers.findByProviderConversation(providerId, conversationId);
      if (handover !== undefined) inStep.delete(handover.id);
    } catch (error) {
      logger.warn({ err: error, providerId, conversationId }, "gap not recorded");
    }
  }

  return {
    start,
    apply,
    applyToOpen,

    /**
     * Catch-up (handover/reconcile.ts): `handover(id)` for one handover (on demand), `conversation(...)`
     * for the handover of a provider conversation, `open()` for every open handover, bounded.
     */
    reconcile: {
      handover: reconciler.reconcileHandover,
      conversation: reconciler.reconcileConversation,
      open: reconciler.reconcileOpen,
      /** A provider reported a possible gap: the conversation's handover (or every one) steps in again. */
      outOfStep,
    },

    /** The session's open handover, if any. */
    openFor(sessionKey: string): Promise<StoredHandover | undefined> {
      return store.handovers.findOpenBySession(sessionKey);
    },

    /** The current banner of a session (for `ready` frames after a reconnect). */
    async bannerFor(sessionKey: string): Promise<HandoverBanner> {
      const open = await store.handovers.findOpenBySession(sessionKey);
      return open === undefined ? { state: "none" } : bannerOf(open.machine);
    },

    /**
     * Queues a text for the agent of an open handover inside `tx` (a flow output meant for the agent), after
     * everything queued for it before.
     */
    async sayToAgent(tx: StoreRepositories, turn: HandoverTurn, handoverId: string, text: string) {
      await tx.outbox.enqueue([handoverOutboxItem("handover.botToAgent", { handoverId, text })]);
      turn.kickOutbox();
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
        // Either the create call's answer has not been stored yet (a provider's first events can overtake
        // it): then the receiver retries shortly, in order. Or the conversation is not one of ours.
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
      try {
        await stepIn(found);
        await applyInSession(found, () => handoverEvent, providerMessageRecord(event, "webhook"));
      } catch (error) {
        // The agent must learn that the user never saw it; rethrown so the receiver keeps the event failed.
        if (event.kind === "message.received" && isContentRejection(error))
          await undeliverable.agentMessageNotStored(found, event.eventId, error);
        throw error;
      }
    },

    /** A handover timer came due (durable; fired once). */
    async onTimer(payload: Readonly<Record<string, unknown>>): Promise<void> {
      const timer = handoverTimers.find((name) => name === payload.timer);
      if (typeof payload.handoverId !== "string" || timer === undefined) {
        logger.error({ payload: Object.keys(payload) }, "handover timer with an unreadable payload; ignored");
        return;
      }
      const handover = await store.handovers.get(payload.handoverId);
      if (handover === undefined) return;
      const dueAt = typeof payload.dueAt === "number" ? payload.dueAt : clock();
      await applyInSession(handover, () => timerFired(timer, dueAt));
    },

    /** The outbox handlers of handover items, and what to do when one fails for good. */
    outbox,
  };
}

export type HandoverService = ReturnType<typeof createHandoverService>;

/** Thrown inside apply's transaction to roll it back: the provider message was applied before. */
class MessageAlreadyApplied extends Error {}

/** Thrown inside apply's transaction to roll it back: the caller's own write withdrew. */
class AlongsideWithdrawn extends Error {}

function timerFired(timer: HandoverTimer, at: number): HandoverEvent {
  return { type: "timer.fired", timer, at };
}

/** What is recorded of a provider message when it is applied; undefined for events that carry none. */
function providerMessageRecord(
  event: ProviderEvent,
  source: ProviderMessageSource,
): Omit<NewProviderMessage, "handoverId"> | undefined {
  // An operator's forced replay (the admin API) is meant to be shown again: it is not checked against the
  // messages applied before, nor recorded as one.
  if (event.kind !== "message.received" || event.replayOf !== undefined) return undefined;
  return {
    messageKey: providerMessageKey(event),
    senderId: event.sender.id,
    occurredAt: event.occurredAt,
    source,
    eventId: event.eventId,
  };
}

function emptyStaged(): StagedEffects {
  return { outbox: [], afterCommit: [] };
}

/** A transition that was not ignored changed something the agent's side shows (state, queue, agent). */
function changedFor(effects: readonly HandoverEffect[]): boolean {
  return effects.some((effect) => effect.type === "log" && !effect.ignored);
}

function unsupportedReason(providerId: string | undefined): string {
  return providerId === undefined
    ? "no handover provider is configured for this endpoint"
    : `provider "${providerId}" is not configured`;
}

/** The error as the flow and the log may see it: its code and catalog message, never request data. */
function describeError(error: unknown): string {
  return isBatonError(error) ? `${error.code}: ${error.message}` : "the provider call failed";
}
