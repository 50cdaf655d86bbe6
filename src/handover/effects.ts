/**
 * Executing what the machine decided. Effects that are writes (messages, banners, timers, outbox items) are
 * staged inside the transaction that stores the machine's new state, so a crash can lose neither one without
 * the other; what must wait for the commit (running the flow, typing calls, typing shown live) is returned and
 * done afterwards, in order.
 */
import { fromProviderAttachment } from "../conversation/types.ts";
import { translate, type MessageKey } from "../i18n/catalog.ts";
import type { NewOutboxItem, StoreRepositories, StoredHandover } from "../store/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { HandoverAgentNoticeKey, HandoverEffect } from "./machine/types.ts";
import { handoverOutboxItem } from "./outbox-items.ts";
import type { HandoverTurn } from "./ports.ts";

/** The durable timers of handovers, by kind; the payload names the handover and the timer. */
export const handoverTimerKind = "handover.timer";

/** Effects that run after the commit. */
export type AfterCommitEffect = Extract<
  HandoverEffect,
  { readonly type: "flow.event" | "flow.resume" | "provider.typing" }
>;

/** What one transition staged: outbox items to enqueue with it, work for after the commit. */
export interface StagedEffects {
  readonly outbox: NewOutboxItem[];
  readonly afterCommit: AfterCommitEffect[];
}

export function handoverTimerId(handoverId: string, timer: string): string {
  return `handover:${handoverId}:${timer}`;
}

/**
 * Stages one effect in `tx`. Effects are staged in the order the machine gave them, which is the order the
 * user sees them.
 */
export async function stageEffect(
  tx: StoreRepositories,
  turn: HandoverTurn,
  handover: StoredHandover,
  effect: HandoverEffect,
  staged: StagedEffects,
  logger: Logger,
): Promise<void> {
  const handoverId = handover.id;
  switch (effect.type) {
    case "provider.create":
      staged.outbox.push(handoverOutboxItem("handover.create", { handoverId }));
      return;
    case "provider.sendUserMessage":
      staged.outbox.push(
        handoverOutboxItem("handover.send", {
          handoverId,
          ...(effect.text !== undefined ? { text: effect.text } : {}),
          attachments: (effect.attachments ?? []).map((a) => ({
            name: a.name,
            url: a.url,
            contentType: a.contentType ?? "application/octet-stream",
          })),
        }),
      );
      return;
    case "provider.notifyAgent":
      staged.outbox.push(
        handoverOutboxItem("handover.notifyAgent", {
          handoverId,
          text: translate(turn.locale, agentNoticeKeys[effect.messageKey]),
        }),
      );
      return;
    case "provider.userLeaves":
      staged.outbox.push(handoverOutboxItem("handover.userLeaves", { handoverId }));
      return;
    case "flow.event":
    case "flow.resume":
      // An endpoint driven by an external bot gets what a flow would read as `input.handover`.
      await turn.stage(tx, { type: "handover", handover: effect.input });
      staged.afterCommit.push(effect);
      return;
    case "provider.typing":
      staged.afterCommit.push(effect);
      return;
    case "user.typing":
      turn.stream({
        type: "typing",
        source: "agent",
        active: effect.active,
        ...(effect.agentName !== undefined ? { agentName: effect.agentName } : {}),
      });
      return;
    case "user.say":
      await turn.show(tx, {
        source: "system",
        text: translate(turn.locale, `handover.${effect.messageKey}`, effect.params),
      });
      return;
    case "user.sayText":
      await turn.show(tx, {
        source: "bot",
        text: effect.text,
        ...(effect.quickReplies !== undefined && effect.quickReplies.length > 0
          ? { quickReplies: effect.quickReplies }
          : {}),
      });
      return;
    case "user.relayAgentMessage":
      await turn.show(tx, {
        source: "agent",
        providerId: handover.providerId,
        text: effect.text,
        ...(effect.agentName !== undefined ? { agentName: effect.agentName } : {}),
        ...(effect.attachments.length > 0
          ? { attachments: effect.attachments.map(fromProviderAttachment) }
          : {}),
        ...(effect.cards[0] !== undefined && isCardObject(effect.cards[0].content)
          ? { card: effect.cards[0].content }
          : {}),
      });
      return;
    case "user.banner":
      turn.stream({ type: "banner", banner: effect.banner });
      await turn.stage(tx, { type: "banner", banner: effect.banner });
      return;
    case "timer.set":
      await tx.timers.schedule(
        handoverTimerId(handoverId, effect.timer),
        handoverTimerKind,
        new Date(effect.dueAt),
        { handoverId, timer: effect.timer, dueAt: effect.dueAt },
      );
      return;
    case "timer.cancel":
      await tx.timers.cancel(handoverTimerId(handoverId, effect.timer));
      return;
    case "log":
      logger.info(
        {
          sessionKey: turn.session.id,
          handoverId,
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

const agentNoticeKeys: { readonly [K in HandoverAgentNoticeKey]: MessageKey } = {
  userLeft: "agent.userLeft",
  userReturned: "agent.userReturned",
};

/** An adaptive card is a JSON object; anything else a provider calls a card is not shown as one. */
function isCardObject(content: unknown): content is Record<string, unknown> {
  return typeof content === "object" && content !== null && !Array.isArray(content);
}
