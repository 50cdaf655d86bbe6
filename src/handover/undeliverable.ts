/**
 * An agent's message the store refuses for good must not vanish: the agent is told (a notice through the
 * handover's outbox, behind everything already queued for it) and the event still fails, so the receiver
 * keeps it as failed for an operator. Input hygiene (src/utils/text-hygiene.ts) removes the known causes;
 * this is the path for whatever is left.
 */
import { translate } from "../i18n/catalog.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { StoredHandover } from "../store/types.ts";
import { handoverOutboxItem } from "./outbox-items.ts";
import type { SessionGate } from "./ports.ts";

/**
 * Whether the error says the content itself cannot be stored, so retrying the same event fails the same
 * way: a PostgreSQL data exception (SQLSTATE class 22, e.g. 22P05 "unsupported Unicode escape sequence",
 * 22021 "invalid byte sequence") or a stack overflow while serialising. An outage is not one: retrying helps.
 */
export function isContentRejection(error: unknown): boolean {
  if (error instanceof RangeError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code);
}

/** How many events are remembered as already notified (the receiver retries one event a few times). */
const rememberedEvents = 1000;

export function createUndeliverableNotices(deps: {
  readonly sessions: SessionGate;
  readonly logger: Logger;
}) {
  const notified = new Set<string>();

  return {
    /** Tells the agent of `handover` once per event that their message was not shown; never throws. */
    async agentMessageNotStored(handover: StoredHandover, eventId: string, error: unknown): Promise<void> {
      const key = `${handover.providerId}:${eventId}`;
      if (notified.has(key)) return;
      deps.logger.error(
        { err: error, handoverId: handover.id, provider: handover.providerId, eventId },
        "agent message could not be stored; telling the agent",
      );
      try {
        await deps.sessions.withSession(handover.sessionId, async (turn) => {
          await turn.transaction((tx) =>
            tx.outbox.enqueue([
              handoverOutboxItem("handover.notifyAgent", {
                handoverId: handover.id,
                text: translate(turn.locale, "agent.messageNotShown"),
              }),
            ]),
          );
          turn.kickOutbox();
        });
        notified.add(key);
        if (notified.size > rememberedEvents) notified.delete(notified.values().next().value ?? key);
      } catch (noticeError) {
        deps.logger.error({ err: noticeError, handoverId: handover.id, eventId }, "agent notice not queued");
      }
    },
  };
}
