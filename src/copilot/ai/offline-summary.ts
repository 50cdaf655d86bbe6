import type { ConversationLine } from "./types.ts";
import { shorten, splitSentences } from "./sentences.ts";

/** Each quoted sentence is cut to this length, so the summary stays a glance. */
const maxSentenceLength = 180;

/** Messages that only greet, thank or acknowledge say nothing about the request. */
const fillerWords: ReadonlySet<string> = new Set(
  `hi hello hey hallo moin servus guten tag morgen abend good morning evening afternoon thanks thank you
  danke vielen dank please bitte ok okay yes no ja nein sure gerne alright there all team everyone zusammen`
    .split(/\s+/)
    .filter((word) => word !== ""),
);

/** A question, even without its question mark: "where is my parcel", "wann kommt das Paket". */
const questionStart =
  /^\s*(?:what|when|where|why|how|which|who|can|could|would|is|are|do|does|was|wann|wo|wohin|warum|wieso|weshalb|wie|was|welche[rsnm]?|wer|kann|können|könnten|ist|sind|gibt)\b/iu;
/** `A-1009`, `#12345`, `ORD12345`, `order 12345`, `Bestellung 12345`. */
const orderId =
  /(?:\b[A-Z]{1,4}-?\d{3,}\b|#\d{3,}|\b(?:order|bestellung|bestellnummer|invoice|rechnung|ticket)\s*(?:no\.?|nr\.?|number|nummer)?\s*[:#]?\s*\d{3,})/iu;

/**
 * The offline summary of the bot part of a conversation (the lines before the first agent line): the user's
 * first request, the user's most telling other sentence (an order id, a number, a question; else the last
 * request), and the bot's last word — at most three sentences quoted verbatim, so nothing is invented.
 *
 * @example
 * summarizeExtractive([
 *   { source: "user", text: "Hi" },
 *   { source: "user", text: "I want to return my shoes. The order is A-1009." },
 *   { source: "bot", text: "Let me connect you to an agent." },
 * ]);
 * // "User: I want to return my shoes. The order is A-1009.\nBot: Let me connect you to an agent."
 */
export function summarizeExtractive(lines: readonly ConversationLine[]): string {
  const firstAgent = lines.findIndex((line) => line.source === "agent");
  const botPart = firstAgent < 0 ? lines : lines.slice(0, firstAgent);
  const user = botPart
    .filter((line) => line.source === "user")
    .flatMap((line) => splitSentences(line.text))
    .filter((sentence) => !isFiller(sentence));
  const botLines = botPart.filter((line) => line.source === "bot" && line.text.trim() !== "");

  const picked: string[] = [];
  if (user.length > 0) {
    picked.push(user[0]!);
    const rest = user.slice(1);
    let best: string | undefined;
    let bestWeight = 0;
    for (const sentence of rest) {
      const w = weight(sentence);
      if (w > bestWeight) {
        best = sentence;
        bestWeight = w;
      }
    }
    const second = best ?? rest.at(-1);
    if (second !== undefined) picked.push(second);
  }
  const parts: string[] = [];
  if (picked.length > 0) parts.push(`User: ${picked.map((s) => shorten(s, maxSentenceLength)).join(" ")}`);
  const outcome = splitSentences(botLines.at(-1)?.text ?? "").at(-1);
  if (outcome !== undefined) parts.push(`Bot: ${shorten(outcome, maxSentenceLength)}`);
  return parts.length > 0 ? parts.join("\n") : "Nothing to summarize yet.";
}

function isFiller(sentence: string): boolean {
  const words = sentence.toLowerCase().match(/[\p{L}]+/gu) ?? [];
  return words.every((word) => fillerWords.has(word));
}

/** Order ids tell the agent most, then figures (amounts, dates), then questions. */
function weight(sentence: string): number {
  let w = 0;
  if (orderId.test(sentence)) w += 3;
  if (/\d/.test(sentence)) w += 2;
  if (sentence.includes("?") || questionStart.test(sentence)) w += 1;
  return w;
}
