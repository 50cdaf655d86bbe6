/**
 * Provider-neutral events (providers/port.ts) → handover machine events. Pure and total: an event that means
 * nothing to a handover maps to `undefined`, and the service records it without feeding the machine.
 *
 * The 8x8 specifics (webhook shapes, echoes, user- and bot-authored MESSAGEs) are settled before this in
 * providers/8x8/; what arrives here is already "something the provider says happened".
 */
import type { ProviderEvent } from "../providers/port.ts";
import type { HandoverEvent } from "./machine/types.ts";

/**
 * @example
 *   const event = toHandoverEvent(providerEvent);
 *   if (event !== undefined) ({ state, effects } = transition(state, event));
 */
export function toHandoverEvent(event: ProviderEvent): HandoverEvent | undefined {
  const at = event.occurredAt;
  switch (event.kind) {
    case "conversation.state":
      return {
        type: "provider.conversationState",
        state: event.state,
        ...(event.assignment !== undefined
          ? { assignment: { type: event.assignment.type.toLowerCase(), id: event.assignment.id } }
          : {}),
        at,
      };
    case "conversation.queued":
      return {
        type: "provider.queued",
        queueId: event.queueId,
        ...(event.queueName !== undefined ? { queueName: event.queueName } : {}),
        at,
      };
    case "participant.joined":
      // A user `joined` is the user's own (re)entry on the provider side; Baton tracks the user's presence
      // through its own channels (user.connection), so only agents matter here.
      return event.role === "agent"
        ? { type: "provider.agentJoined", agentId: event.participantId, at }
        : undefined;
    case "participant.left":
      return event.role === "agent"
        ? { type: "provider.agentLeft", agentId: event.participantId, at }
        : { type: "provider.userLeft", at };
    case "conversation.transferred":
      return { type: "provider.transferred", at };
    case "message.received":
      // Only agent messages are relayed. `system` messages (contact-center notices) and anything a user or bot
      // authored never reach the user from here: the user's and the bot's own text would come back twice.
      return event.sender.role === "agent"
        ? {
            type: "provider.agentMessage",
            agentId: event.sender.id,
            text: event.text,
            attachments: event.attachments,
            cards: event.cards,
            at,
          }
        : undefined;
    case "typing":
      // 8x8 lists who is typing now; an empty list (or one without agents) means the agent stopped.
      return {
        type: "provider.agentTyping",
        active: event.typists.some((typist) => typist.role === "agent"),
        at,
      };
    case "card.action":
      return {
        type: "provider.cardAction",
        cardKind: event.cardKind,
        actionType: event.actionType,
        data: event.data,
        at,
      };
    case "read.receipt":
      // Defined by 8x8 but, per its docs, sent by no channel yet; nothing in the lifecycle depends on it.
      return undefined;
  }
}
