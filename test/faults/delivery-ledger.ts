/**
 * The fault suite's bookkeeping: what each side wrote, what the other side was shown, and the figures that
 * follow from the two (pure code, unit-tested in test/unit/faults/delivery-ledger.test.ts).
 *
 * Every message text carries its direction, its conversation and its sequence number in that conversation
 * (`u2a c7 #42`), so the receiving side can be read without any help from the gateway.
 */

export type Direction = "userToAgent" | "agentToUser";

const prefixes: Record<Direction, string> = { userToAgent: "u2a", agentToUser: "a2u" };

/** The text of message `seq` (from 1) of conversation `conversation` in one direction. */
export function messageText(direction: Direction, conversation: number, seq: number): string {
  return `${prefixes[direction]} c${conversation} #${seq}`;
}

/** The conversation and sequence number of a text written by `messageText`, else undefined. */
export function parseMessageText(
  direction: Direction,
  text: string | undefined,
): { conversation: number; seq: number } | undefined {
  const match = new RegExp(`^${prefixes[direction]} c(\\d+) #(\\d+)$`).exec(text ?? "");
  if (match === null) return undefined;
  return { conversation: Number(match[1]), seq: Number(match[2]) };
}

/** A message as its author wrote it. `phase` names the part of the run it was written in. */
export interface SentMessage {
  readonly conversation: number;
  readonly seq: number;
  /** Epoch ms when the author wrote it (a user's message may then wait on the client for a connection). */
  readonly sentAt: number;
  readonly phase: string;
}

/** One copy of a message as the receiving side shows it. */
export interface ObservedMessage {
  readonly seq: number;
  /** Epoch ms when it reached the receiving side. */
  readonly at: number;
}

export interface DirectionInput {
  readonly sent: readonly SentMessage[];
  /** Per conversation, every copy the receiving side shows, in the order it shows them. */
  readonly observed: ReadonlyMap<number, readonly ObservedMessage[]>;
}

export interface DirectionFigures {
  readonly sent: number;
  readonly delivered: number;
  readonly lost: number;
  /** Copies beyond the first of a message. */
  readonly duplicated: number;
  /** Messages shown after a later message of their conversation. */
  readonly outOfOrder: number;
  /** Copies of messages nobody wrote (a sequence number beyond what was sent). */
  readonly unexpected: number;
  readonly lagP50Ms: number | null;
  readonly lagP99Ms: number | null;
  readonly lagMaxMs: number | null;
  /** Delivered messages per second, from the first message written to the last one delivered. */
  readonly throughputPerSecond: number | null;
}

export interface DuplicateEvidence {
  readonly conversation: number;
  readonly seq: number;
  readonly copies: number;
  readonly phase: string | undefined;
}

export interface OutOfOrderEvidence {
  readonly conversation: number;
  readonly seq: number;
  /** The highest sequence number shown before it. */
  readonly shownAfter: number;
  readonly phase: string | undefined;
}

export interface DirectionReport {
  readonly figures: DirectionFigures;
  readonly lost: readonly SentMessage[];
  readonly duplicated: readonly DuplicateEvidence[];
  readonly outOfOrder: readonly OutOfOrderEvidence[];
}

/** The figures of one direction, with every lost, duplicated and out-of-order message named. */
export function measureDirection(input: DirectionInput): DirectionReport {
  const sentByKey = new Map(input.sent.map((message) => [key(message.conversation, message.seq), message]));
  const firstCopies = new Map<string, number>();
  const copies = new Map<string, number>();
  const outOfOrder: OutOfOrderEvidence[] = [];
  let unexpected = 0;

  for (const [conversation, observed] of input.observed) {
    let highest = 0;
    for (const copy of observed) {
      const id = key(conversation, copy.seq);
      const sent = sentByKey.get(id);
      if (sent === undefined) {
        unexpected += 1;
        continue;
      }
      copies.set(id, (copies.get(id) ?? 0) + 1);
      if (firstCopies.has(id)) continue;
      firstCopies.set(id, copy.at);
      // Only first copies count for order: a duplicate is already counted as a duplicate.
      if (copy.seq < highest) {
        outOfOrder.push({ conversation, seq: copy.seq, shownAfter: highest, phase: sent.phase });
      }
      highest = Math.max(highest, copy.seq);
    }
  }

  const lost = input.sent.filter((message) => !firstCopies.has(key(message.conversation, message.seq)));
  const duplicated: DuplicateEvidence[] = [];
  for (const [id, count] of copies) {
    if (count > 1) {
      const sent = sentByKey.get(id)!;
      duplicated.push({ conversation: sent.conversation, seq: sent.seq, copies: count, phase: sent.phase });
    }
  }
  duplicated.sort(byConversationThenSeq);

  const lags = [...firstCopies].map(([id, at]) => Math.max(0, at - sentByKey.get(id)!.sentAt));
  lags.sort((a, b) => a - b);
  const firstSentAt = Math.min(...input.sent.map((message) => message.sentAt));
  const lastDeliveredAt = Math.max(...firstCopies.values());
  const elapsedMs = lastDeliveredAt - firstSentAt;

  return {
    figures: {
      sent: input.sent.length,
      delivered: firstCopies.size,
      lost: lost.length,
      duplicated: duplicated.reduce((sum, d) => sum + d.copies - 1, 0),
      outOfOrder: outOfOrder.length,
      unexpected,
      lagP50Ms: percentile(lags, 50),
      lagP99Ms: percentile(lags, 99),
      lagMaxMs: lags.at(-1) ?? null,
      throughputPerSecond:
        firstCopies.size > 0 && elapsedMs > 0 ? round1((firstCopies.size * 1000) / elapsedMs) : null,
    },
    lost,
    duplicated,
    outOfOrder,
  };
}

/** Nearest-rank percentile of ascending `sorted`; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function key(conversation: number, seq: number): string {
  return `${conversation}:${seq}`;
}

function byConversationThenSeq(
  a: { conversation: number; seq: number },
  b: { conversation: number; seq: number },
): number {
  return a.conversation - b.conversation || a.seq - b.seq;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
