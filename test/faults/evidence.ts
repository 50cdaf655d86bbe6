import type { Acknowledgement } from "./chat-user.ts";
import { messageText, type DirectionReport } from "./delivery-ledger.ts";
import type { FaultDatabase } from "./fault-database.ts";

/** How many lost, duplicated and out-of-order messages per direction get their evidence looked up. */
const evidenceLimit = 20;

/** What the gateway's tables and the client say about one user → agent message. */
export interface UserMessageFacts {
  /** The gateway's ack (session seq, when, on which connection), or null when it never came. */
  readonly acknowledged: Acknowledgement | null;
  /** Rows of `messages` with its text. */
  readonly stored: readonly Record<string, unknown>[];
  /** `handover.send` outbox items with its text. */
  readonly outbox: readonly { status: string; attempts: number; last_error: string | null }[];
}

/** What the gateway's tables and the simulator say about one agent → user message. */
export interface AgentMessageFacts {
  /** The simulator's answer when it refused the agent's send; null when it took it. */
  readonly refusedBySimulator: string | null;
  /** Rows of `messages` with its text. */
  readonly stored: readonly Record<string, unknown>[];
  /** Rows of `webhook_events` whose body carries its text. */
  readonly webhookEvents: readonly { status: string }[];
  /** MESSAGE events the simulator gave up delivering in its conversation. */
  readonly simulatorGaveUpInConversation: number;
}

/**
 * Where a lost user message stopped, in one line: the step of web chat → store → outbox → 8x8 it did not
 * get past. This is what tells the integrator which part is missing.
 */
export function diagnoseUserMessage(facts: UserMessageFacts): string {
  if (facts.stored.length === 0) {
    return facts.acknowledged === null
      ? "never stored by the gateway (the client still holds it unacknowledged)"
      : "acknowledged but not in the gateway's messages";
  }
  if (facts.outbox.length === 0) return "stored (and acknowledged) but never queued for 8x8: no outbox item";
  const last = facts.outbox.at(-1)!;
  if (last.status === "pending") return `still pending in the outbox after ${last.attempts} attempts`;
  if (last.status === "done") return "the outbox completed it but 8x8 does not have it";
  return `the outbox gave up (${last.status} after ${last.attempts} attempts: ${last.last_error ?? "no error"})`;
}

/** Where a lost agent message stopped: 8x8's webhook, the gateway's receiver, the store, or the socket. */
export function diagnoseAgentMessage(facts: AgentMessageFacts): string {
  if (facts.refusedBySimulator !== null)
    return `the simulator refused the agent's send: ${facts.refusedBySimulator}`;
  if (facts.webhookEvents.length === 0) {
    return facts.simulatorGaveUpInConversation > 0
      ? "its webhook never reached the gateway (8x8 gave up retrying) and no catch-up fetched it"
      : "its webhook never reached the gateway";
  }
  if (facts.stored.length === 0) {
    return `webhook accepted (event status ${facts.webhookEvents.map((e) => e.status).join(", ")}) but the message was not stored`;
  }
  return "stored by the gateway but never shown to the user";
}

/** For each lost or doubled user message: was it acknowledged, stored, and what did its outbox item do. */
export async function userToAgentEvidence(
  report: DirectionReport,
  database: FaultDatabase,
  acknowledgement: (conversation: number, text: string) => Acknowledgement | null,
) {
  const about = async (conversation: number, seq: number, phase: string | undefined) => {
    const text = messageText("userToAgent", conversation, seq);
    const facts: UserMessageFacts = {
      acknowledged: acknowledgement(conversation, text),
      stored: await database.query(
        "select session_id, seq, client_message_id from messages where text = $1 and source = 'user' order by seq",
        [text],
      ),
      outbox: await database.query<{ status: string; attempts: number; last_error: string | null }>(
        "select id, status, attempts, last_error from outbox where kind = 'handover.send' and payload->>'text' = $1 order by id",
        [text],
      ),
    };
    return { text, phase, ...facts };
  };
  /** The ack's times as ISO strings, to compare with the run's disruption times. */
  const readable = <T extends UserMessageFacts>(facts: T) => ({
    ...facts,
    acknowledged:
      facts.acknowledged === null
        ? null
        : {
            ...facts.acknowledged,
            firstSentAt: new Date(facts.acknowledged.firstSentAt).toISOString(),
            ackedAt: new Date(facts.acknowledged.ackedAt).toISOString(),
          },
  });
  return {
    lost: await Promise.all(
      report.lost.slice(0, evidenceLimit).map(async (m) => {
        const facts = await about(m.conversation, m.seq, m.phase);
        return { ...readable(facts), diagnosis: diagnoseUserMessage(facts) };
      }),
    ),
    duplicated: await Promise.all(
      report.duplicated
        .slice(0, evidenceLimit)
        .map(async (d) => ({ copies: d.copies, ...readable(await about(d.conversation, d.seq, d.phase)) })),
    ),
    // Both messages of each inversion: their outbox items say in which order the gateway sent them.
    outOfOrder: await Promise.all(
      report.outOfOrder.slice(0, evidenceLimit).map(async (o) => ({
        ...o,
        message: readable(await about(o.conversation, o.seq, o.phase)),
        shownAfterMessage: readable(await about(o.conversation, o.shownAfter, undefined)),
      })),
    ),
  };
}

/** For each lost or doubled agent message: did its webhook reach the gateway, was it stored, and how often. */
export async function agentToUserEvidence(
  report: DirectionReport,
  database: FaultDatabase,
  simulatorFacts: (conversation: number, seq: number) => Omit<AgentMessageFacts, "stored" | "webhookEvents">,
) {
  const about = async (conversation: number, seq: number, phase: string | undefined) => {
    const text = messageText("agentToUser", conversation, seq);
    const facts: AgentMessageFacts = {
      ...simulatorFacts(conversation, seq),
      stored: await database.query(
        "select session_id, seq, created_at from messages where text = $1 and source = 'agent' order by seq",
        [text],
      ),
      // The stored body is 8x8's JSON: the text appears in it as a JSON string, quotes included.
      webhookEvents: await database.query<{ status: string }>(
        "select event_id, status, retry, duplicates, received_at, event_timestamp from webhook_events where strpos(body, $1) > 0 order by seq",
        [JSON.stringify(text)],
      ),
    };
    return { text, phase, ...facts };
  };
  return {
    lost: await Promise.all(
      report.lost.slice(0, evidenceLimit).map(async (m) => {
        const facts = await about(m.conversation, m.seq, m.phase);
        return { ...facts, diagnosis: diagnoseAgentMessage(facts) };
      }),
    ),
    duplicated: await Promise.all(
      report.duplicated
        .slice(0, evidenceLimit)
        .map(async (d) => ({ copies: d.copies, ...(await about(d.conversation, d.seq, d.phase)) })),
    ),
    // Both messages of each inversion: their webhook events and stored seqs say where the order was lost.
    outOfOrder: await Promise.all(
      report.outOfOrder.slice(0, evidenceLimit).map(async (o) => ({
        ...o,
        message: await about(o.conversation, o.seq, o.phase),
        shownAfterMessage: await about(o.conversation, o.shownAfter, undefined),
      })),
    ),
  };
}

/** Either direction's evidence, as far as the log lines need it. */
export interface DirectionEvidence {
  readonly lost: readonly { readonly diagnosis: string }[];
  readonly duplicated: readonly unknown[];
  readonly outOfOrder: readonly unknown[];
}

/**
 * The evidence as lines for the log: counts by the phase the messages were written in, the diagnoses of the
 * sampled lost messages with their counts, and the first few items of each kind in full.
 */
export function evidenceLines(
  direction: string,
  report: DirectionReport,
  evidence: DirectionEvidence,
): string[] {
  const { lost, duplicated, outOfOrder } = report.figures;
  if (lost + duplicated + outOfOrder === 0) return [];
  const lines = [`${direction}: ${lost} lost, ${duplicated} duplicated, ${outOfOrder} out of order`];
  if (report.lost.length > 0) lines.push(`  lost, by when written: ${countBy(report.lost, (m) => m.phase)}`);
  if (report.duplicated.length > 0) {
    lines.push(`  duplicated, by when written: ${countBy(report.duplicated, (m) => m.phase ?? "?")}`);
  }
  if (report.outOfOrder.length > 0) {
    lines.push(`  out of order, by when written: ${countBy(report.outOfOrder, (m) => m.phase ?? "?")}`);
  }
  if (evidence.lost.length > 0) {
    lines.push(`  lost, why (first ${evidence.lost.length}): ${countBy(evidence.lost, (e) => e.diagnosis)}`);
  }
  for (const [kind, items] of Object.entries(evidence) as [string, readonly unknown[]][]) {
    for (const item of items.slice(0, 5)) lines.push(`  ${kind}: ${JSON.stringify(item)}`);
  }
  return lines;
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return [...counts].map(([key, count]) => `${count} × ${key}`).join("; ");
}
