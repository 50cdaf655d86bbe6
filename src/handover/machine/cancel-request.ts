import type { HandoverRequest } from "../types.ts";
import { HANDOVER_CANCEL_PAYLOAD } from "./types.ts";

/**
 * Whether a user's text withdraws a waiting request: the cancel quick reply's payload, the node's
 * cancelButtonText typed by hand (channels that show no quick replies render the button as text, so the
 * user types it), or the node's cancelIntent. Only asked while the request waits: in an active
 * chat the same words are a message for the agent.
 *
 * Keywords match as whole words (or whole phrases), case-insensitively, anywhere in the text ("please
 * cancel it" matches `cancel`, "cancellation" does not). A pattern is a JavaScript RegExp validated at flow
 * load; one that does not compile matches nothing rather than throwing (the machine never throws).
 *
 * @example
 *   isCancelRequest({ ...request, cancelIntent: { keywords: ["cancel", "never mind"] } }, "Never mind!") // true
 */
export function isCancelRequest(request: HandoverRequest, text: string | undefined): boolean {
  if (text === undefined) return false;
  const trimmed = text.trim();
  if (trimmed === "") return false;
  if (trimmed === HANDOVER_CANCEL_PAYLOAD) return true;
  const button = request.cancelButtonText?.trim();
  if (button !== undefined && button !== "" && sameWords(trimmed, button)) return true;
  const intent = request.cancelIntent;
  if (intent === undefined) return false;
  if ("keywords" in intent) return intent.keywords.some((keyword) => containsWholeWords(trimmed, keyword));
  return matchesPattern(trimmed, intent.pattern, intent.flags);
}

function sameWords(a: string, b: string): boolean {
  return a.localeCompare(b, undefined, { sensitivity: "accent" }) === 0;
}

/** Letters, digits and `_` of any script form words; anything else separates them. */
const wordCharacter = String.raw`[\p{L}\p{N}_]`;

function containsWholeWords(text: string, keyword: string): boolean {
  const words = keyword
    .trim()
    .split(/\s+/u)
    .filter((word) => word !== "");
  if (words.length === 0) return false;
  const phrase = words.map(escapeRegExp).join(String.raw`\s+`);
  return new RegExp(`(?<!${wordCharacter})${phrase}(?!${wordCharacter})`, "iu").test(text);
}

function matchesPattern(text: string, pattern: string, flags: string): boolean {
  try {
    // A fresh RegExp without g/y: `test` must not carry lastIndex from one message to the next.
    return new RegExp(pattern, flags.replace(/[gy]/gu, "")).test(text);
  } catch {
    return false;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/gu, String.raw`\$&`);
}
