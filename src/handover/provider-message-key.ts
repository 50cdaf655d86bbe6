/**
 * The one place that decides when two provider messages are the same message: a webhook delivery and a
 * catch-up read (HandoverOperations.reconcile) of one agent message must be recognised as one, so the user
 * sees it once whichever arrives first, and however late the other comes.
 *
 * Why these parts: 8x8's MESSAGE webhook carries no message id (only `conversationId`, `timestamp` and the
 * content), while its REST listing has ids but no event ids, so no id is common to both. What both carry is
 * who wrote it, when (the webhook's `timestamp` and the message's `createdAt`, both to the millisecond) and
 * what it says. Together they single out a message: the same sender writing the same content twice within
 * one millisecond is one message for any purpose a user could tell. Catch-up therefore relies on the
 * provider reporting the same instant both ways; the simulator does (docs/guarantees.md states the limit).
 *
 * Attachments count by their ids (the webhook's pre-signed URL changes with every delivery, the id does
 * not), cards by their content type and content with object keys sorted (the two ways may order them
 * differently).
 */
import { createHash } from "node:crypto";
import type { ProviderMessageEvent } from "../providers/port.ts";

/**
 * @example
 *   providerMessageKey(event) // "1767225671234:9f2c…" — the time first, so keys sort by it in the store
 */
export function providerMessageKey(
  message: Pick<ProviderMessageEvent, "sender" | "occurredAt" | "text" | "attachments" | "cards">,
): string {
  const fingerprint = createHash("sha256")
    .update(
      JSON.stringify([
        message.sender.id,
        message.occurredAt,
        message.text,
        message.attachments.map((attachment) => attachment.id),
        message.cards.map((card) => [card.contentType, sortedJson(card.content)]),
      ]),
    )
    .digest("base64url");
  return `${message.occurredAt}:${fingerprint}`;
}

/** JSON text of a value with every object's keys in sorted order. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    member !== null && typeof member === "object" && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}
