/**
 * The one rule for "did the attempt we could not confirm land?", used before a user's or the bot's message is
 * sent again after an ambiguous failure (a lost answer, a crash mid-call). Contact centers take these posts
 * without an idempotency key and answer without a message id, so the only evidence is the conversation
 * itself.
 *
 * The rule rests on per-conversation order: this side sends one conversation's messages strictly one at a
 * time, so the message being retried is always the newest one this side has posted there. Counting from the
 * newest, the provider shows a run of messages equal to it (same author, same text, same number of files),
 * and this side has completed a run of equal ones just before it. If the provider's run is longer than the
 * completed run, the retried message is the extra one: it landed. Otherwise it did not. This stays right when
 * the user really sent the same text twice ("ok", "ok"): the first is in both runs, only a landed second makes
 * the provider's run longer.
 *
 * Only messages this side posts (user and bot authors) are compared; an agent's messages in between are
 * skipped, since they arrive on their own and break no run of ours.
 */

/** A message as both sides can describe it. */
export interface RelayedMessage {
  readonly author: "user" | "bot";
  readonly text: string;
  /** How many files it carries. */
  readonly attachments: number;
}

/** A message as the provider lists it: any author (agents' and the system's are skipped). */
export interface ListedMessage {
  readonly author: string;
  readonly text: string;
  readonly attachments: number;
}

/** What a sender is told when an earlier attempt of this message may have landed. */
export interface ResendCheck {
  /** How many messages equal to this one this side completed right before it (its trailing run). */
  readonly identicalBefore: number;
}

/** Whether two messages count as the same post (text compared as sent: trimmed). */
export function sameMessage(a: RelayedMessage | ListedMessage, b: RelayedMessage): boolean {
  return (
    a.author.toLowerCase() === b.author && a.text.trim() === b.text.trim() && a.attachments === b.attachments
  );
}

/**
 * The length of the run of messages equal to `message` at the newest end of `newestFirst`. Authors this side
 * never posts are skipped (an agent's reply between two "ok"s breaks nothing); any other message ends the run.
 */
export function trailingRun(
  newestFirst: Iterable<RelayedMessage | ListedMessage>,
  message: RelayedMessage,
): number {
  let run = 0;
  for (const candidate of newestFirst) {
    if (!isOurs(candidate)) continue;
    if (!sameMessage(candidate, message)) break;
    run += 1;
  }
  return run;
}

/**
 * Whether the provider already shows `message`: its trailing run of equal messages (newest first, as listed)
 * is longer than the run this side completed before it. Reads `providerNewestFirst` only as far as needed,
 * so a lazily paged listing stops fetching once the answer is known.
 *
 * @example
 * // the user sent "ok", then "ok" again; the second send's answer was lost, but it landed:
 * const ok = { author: "user", text: "ok", attachments: 0 } as const;
 * await landedAlready([ok, ok], ok, { identicalBefore: 1 }); // true
 */
export async function landedAlready(
  providerNewestFirst: AsyncIterable<ListedMessage> | Iterable<ListedMessage>,
  message: RelayedMessage,
  check: ResendCheck,
): Promise<boolean> {
  let run = 0;
  for await (const candidate of providerNewestFirst) {
    if (!isOurs(candidate)) continue;
    if (!sameMessage(candidate, message)) return false;
    run += 1;
    if (run > check.identicalBefore) return true;
  }
  return false;
}

function isOurs(message: RelayedMessage | ListedMessage): boolean {
  const author = message.author.toLowerCase();
  return author === "user" || author === "bot";
}
