/**
 * Catch-up: brings open handovers back in line with what the provider holds, for when its webhooks could not
 * deliver (the gateway was down longer than the provider retries, a delivery was answered with a failure).
 * For one handover it reads the provider's conversation (`HandoverOperations.reconcile`) and applies what it
 * finds the way the webhook events it stands for would have been applied: each missed message through the
 * same path as a webhook's (same machine event, same de-duplication key, so a message arriving both ways is
 * shown once), then the assignment and the end the provider reports. All of it under the session's lock, so
 * no webhook event of the conversation is applied in between.
 *
 * A sweep reconciles every open handover with bounded concurrency, one handover per lock and transaction
 * each (never one giant transaction); a handover that fails is reported, never blocks the others.
 */
import { BatonError, isBatonError } from "../errors/index.ts";
import type {
  HandoverProvider,
  ProviderEvent,
  ProviderMessageEvent,
  ReconciledConversation,
} from "../providers/port.ts";
import type { ProviderMessageSource, Store, StoredHandover } from "../store/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { HandoverEvent, HandoverMachineState } from "./machine/types.ts";
import type { HandoverTurn, SessionGate } from "./ports.ts";
import { toHandoverEvent } from "./provider-events.ts";
import { providerMessageKey } from "./provider-message-key.ts";
import { isContentRejection } from "./undeliverable.ts";
import { handoverOutboxItem } from "./outbox-items.ts";
import { translate } from "../i18n/catalog.ts";

/**
 * How far before the last catch-up's newest message the next one reads again. Re-reading is harmless (the
 * keys de-duplicate) and covers a message the provider lists a little after a newer one (clock skew
 * between its nodes).
 */
export const catchUpLookbackMs = 60_000;

/** What catching up one handover did. */
export type ReconcileOutcome =
  | {
      readonly handoverId: string;
      readonly status: "caught-up";
      /** Messages shown now that no webhook had delivered. */
      readonly applied: number;
      /** Agent messages read and not shown now: applied before (by webhook or an earlier catch-up), or
       *  refused by the store for good (the agent is told). */
      readonly alreadyApplied: number;
      /** The handover's state afterwards. */
      readonly state: string;
    }
  | {
      readonly handoverId: string;
      /** ended: nothing to catch up; pending: the provider conversation does not exist yet; unsupported: the
       *  provider cannot be asked. */
      readonly status: "ended" | "pending" | "unsupported";
    };

/** What a sweep over the open handovers did. */
export interface ReconcileSweep {
  readonly outcomes: readonly ReconcileOutcome[];
  /** Handovers whose catch-up failed (logged); the caller retries them later. */
  readonly failed: readonly { readonly handoverId: string; readonly error: unknown }[];
}

export interface HandoverReconcilerDeps {
  readonly store: Store;
  readonly providers: ReadonlyMap<string, HandoverProvider>;
  readonly sessions: SessionGate;
  readonly logger: Logger;
  readonly clock: () => number;
  /** The service's path for a provider event (webhook or catch-up); false when its message was known. */
  applyProviderEvent(
    turn: HandoverTurn,
    handover: StoredHandover,
    event: ProviderEvent,
    source: ProviderMessageSource,
  ): Promise<boolean>;
  /** The service's apply, for the assignment and end the provider reports. */
  apply(turn: HandoverTurn, handover: StoredHandover, event: HandoverEvent): Promise<void>;
  /** Told after a handover was caught up and is still open. */
  caughtUp?(handoverId: string): void;
}

/** Catch-ups of different handovers run at most this many at a time unless told otherwise. */
export const defaultReconcileConcurrency = 4;

export function createHandoverReconciler(deps: HandoverReconcilerDeps) {
  const { store, logger } = deps;

  /**
   * Catches one handover up. Throws BATON_ERR_HANDOVER_UNKNOWN for an id no handover has, and whatever the
   * provider's read or the store throws (the caller retries later).
   */
  async function reconcileHandover(handoverId: string): Promise<ReconcileOutcome> {
    const handover = await store.handovers.get(handoverId);
    if (handover === undefined) throw new BatonError("BATON_ERR_HANDOVER_UNKNOWN", { field: "handoverId" });
    const skipped = skipReason(handover);
    if (skipped !== undefined) return { handoverId, status: skipped };
    const provider = deps.providers.get(handover.providerId)!;
    const outcome = await deps.sessions.withSession(handover.sessionId, (turn) =>
      catchUp(turn, handoverId, provider),
    );
    return outcome ?? { handoverId, status: "ended" };
  }

  function skipReason(handover: StoredHandover): "ended" | "pending" | "unsupported" | undefined {
    if (handover.endedAt !== null) return "ended";
    if (handover.providerConversationId === null) return "pending";
    if (deps.providers.get(handover.providerId)?.handover.reconcile === undefined) return "unsupported";
    return undefined;
  }

  async function catchUp(
    turn: HandoverTurn,
    handoverId: string,
    provider: HandoverProvider,
  ): Promise<ReconcileOutcome> {
    // Read again under the lock: a webhook event may have changed (or ended) it since.
    const handover = await store.handovers.get(handoverId);
    if (handover === undefined || skipReason(handover) !== undefined)
      return { handoverId, status: handover === undefined ? "ended" : skipReason(handover)! };
    const mark = await store.providerMessages.getCatchUpMark(handoverId);
    const since = Math.max(0, (mark?.caughtUpThrough ?? 0) - catchUpLookbackMs);
    const read = await provider.handover.reconcile!(handover.providerConversationId!, since);
    // Messages first: an end applied before them would make the machine ignore them.
    const { applied, alreadyApplied } = await applyMessages(turn, handoverId, read.messages);
    await applyStanding(turn, handoverId, read);
    const newest = Math.max(mark?.caughtUpThrough ?? 0, ...read.messages.map((m) => m.occurredAt));
    await store.providerMessages.setCatchUpMark(handoverId, newest);
    const after = await store.handovers.get(handoverId);
    if (after !== undefined && after.endedAt === null) deps.caughtUp?.(handoverId);
    const outcome = {
      handoverId,
      status: "caught-up" as const,
      applied,
      alreadyApplied,
      state: after?.state ?? "unknown",
    };
    if (applied > 0 || after?.state !== handover.state) {
      logger.info(
        { ...outcome, provider: handover.providerId, from: handover.state, since },
        "handover caught up with the provider",
      );
    }
    return outcome;
  }

  async function applyMessages(
    turn: HandoverTurn,
    handoverId: string,
    messages: readonly ProviderMessageEvent[],
  ): Promise<{ applied: number; alreadyApplied: number }> {
    let applied = 0;
    let alreadyApplied = 0;
    for (const message of messages) {
      // Contact-center notices are listed too, and mean nothing to the user (as by webhook).
      if (toHandoverEvent(message) === undefined) continue;
      const current = await store.handovers.get(handoverId);
      if (current === undefined) break;
      if (await applyMessage(turn, current, message)) applied += 1;
      else alreadyApplied += 1;
    }
    return { applied, alreadyApplied };
  }

  /** The assignment and the end the provider reports, as the events they stand for, each on fresh state. */
  async function applyStanding(turn: HandoverTurn, handoverId: string, read: ReconciledConversation) {
    const current = await store.handovers.get(handoverId);
    for (const event of providerStateEvents(current?.machine, read, deps.clock())) {
      const fresh = await store.handovers.get(handoverId);
      if (fresh === undefined) return;
      await deps.apply(turn, fresh, event);
    }
  }

  /**
   * One missed message through the webhook's path. A message the store refuses for good (its content) is
   * recorded as applied and the agent told, in one transaction, so it does not fail every later catch-up;
   * anything else throws.
   */
  async function applyMessage(
    turn: HandoverTurn,
    handover: StoredHandover,
    message: ProviderMessageEvent,
  ): Promise<boolean> {
    try {
      return await deps.applyProviderEvent(turn, handover, message, "catch-up");
    } catch (error) {
      if (!isContentRejection(error)) throw error;
      logger.error(
        { err: error, handoverId: handover.id, provider: handover.providerId, eventId: message.eventId },
        "caught-up agent message could not be stored; telling the agent",
      );
      await turn.transaction(async (tx) => {
        const recorded = await tx.providerMessages.recordIfNew({
          handoverId: handover.id,
          messageKey: providerMessageKey(message),
          senderId: message.sender.id,
          occurredAt: message.occurredAt,
          source: "catch-up",
          eventId: message.eventId,
        });
        if (!recorded) return;
        await tx.outbox.enqueue([
          handoverOutboxItem("handover.notifyAgent", {
            handoverId: handover.id,
            text: translate(turn.locale, "agent.messageNotShown"),
          }),
        ]);
        turn.kickOutbox();
      });
      return false;
    }
  }

  /** Catches up the handover of a provider conversation, if one of this gateway's is open for it. */
  async function reconcileConversation(
    providerId: string,
    conversationId: string,
  ): Promise<ReconcileOutcome | undefined> {
    const handover = await store.handovers.findByProviderConversation(providerId, conversationId);
    if (handover === undefined || handover.endedAt !== null) return undefined;
    return reconcileHandover(handover.id);
  }

  /**
   * Catches up every open handover (of one provider, when given) that can be, `concurrency` at a time. A
   * failure is logged and reported in `failed`; the others go on.
   */
  async function reconcileOpen(
    options: {
      readonly concurrency?: number;
      readonly providerId?: string;
      /** Asked before each handover: false ends the sweep early (the gateway is shutting down). */
      readonly shouldContinue?: () => boolean;
    } = {},
  ): Promise<ReconcileSweep> {
    const open = (await store.handovers.listOpen()).filter(
      (handover) =>
        (options.providerId === undefined || handover.providerId === options.providerId) &&
        skipReason(handover) === undefined,
    );
    const outcomes: ReconcileOutcome[] = [];
    const failed: { handoverId: string; error: unknown }[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < open.length && (options.shouldContinue?.() ?? true)) {
        const handover = open[next++]!;
        try {
          outcomes.push(await reconcileHandover(handover.id));
        } catch (error) {
          failed.push({ handoverId: handover.id, error });
          logger.warn(
            {
              handoverId: handover.id,
              provider: handover.providerId,
              err: error,
              code: isBatonError(error) ? error.code : undefined,
            },
            "handover catch-up failed; it is tried again later",
          );
        }
      }
    };
    const workers = Math.max(1, Math.min(options.concurrency ?? defaultReconcileConcurrency, open.length));
    await Promise.all(Array.from({ length: workers }, worker));
    return { outcomes, failed };
  }

  return { reconcileHandover, reconcileConversation, reconcileOpen };
}

export type HandoverReconciler = ReturnType<typeof createHandoverReconciler>;

/**
 * The machine events that stand for what the provider reports about its conversation now, given what the
 * handover knows: only those that would change something, in the order the provider would have sent them.
 *
 * - ended: the conversation went idle (the machine completes an active handover, or cancels a waiting one).
 * - an agent holds it who is not the handover's agent: that agent joined.
 * - the handover's agent left and it waits in a queue again: a transfer (announced first, as a provider
 *   announcing transfers would, so no agent-left grace is needed to tell it from the end).
 * - the request waits in a queue the handover has not heard of: it was queued.
 */
export function providerStateEvents(
  state: HandoverMachineState | undefined,
  read: ReconciledConversation,
  at: number,
): HandoverEvent[] {
  if (state === undefined) return [];
  if (read.ended) return [{ type: "provider.conversationState", state: "idle", at }];
  const known = state.agent;
  if (read.agent !== undefined) {
    const settled =
      state.state === "active" && known?.id === read.agent.id && state.agentLeftPendingSince === undefined;
    return settled ? [] : [{ type: "provider.agentJoined", agentId: read.agent.id, at }];
  }
  if (read.queueId === undefined) return [];
  if (state.state === "requested") return [{ type: "provider.queued", queueId: read.queueId, at }];
  if (state.state === "active" && known !== undefined && read.agentsLeft.includes(known.id)) {
    return [
      { type: "provider.transferred", at },
      { type: "provider.agentLeft", agentId: known.id, at },
      { type: "provider.queued", queueId: read.queueId, at },
    ];
  }
  return [];
}
