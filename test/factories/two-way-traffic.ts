import { setTimeout as delay } from "node:timers/promises";
import type { SimulatorAgent } from "./handover-steps.ts";
import type { ReconnectingWebchatUser } from "./reconnecting-webchat.ts";
import { waitFor } from "./wait-for.ts";

/** What became of one direction's messages. */
export interface DirectionTally {
  readonly sent: number;
  /** Distinct sent messages that arrived at least once. */
  readonly delivered: number;
  /** Sent and never arrived. */
  readonly lost: readonly string[];
  /** Arrived more than once. */
  readonly doubled: readonly string[];
  /** Arrivals (first ones) that came after a message sent later. */
  readonly outOfOrder: number;
}

/**
 * Counts `arrived` (in arrival order, anything else mixed in) against `sent` (in sending order).
 *
 * @example
 * tallyDirection(["a", "b"], ["b", "a", "a"]) // { sent: 2, delivered: 2, lost: [], doubled: ["a"], outOfOrder: 1 }
 */
export function tallyDirection(sent: readonly string[], arrived: readonly string[]): DirectionTally {
  const position = new Map(sent.map((text, index) => [text, index]));
  const counts = new Map<string, number>();
  let outOfOrder = 0;
  let highest = -1;
  for (const text of arrived) {
    const index = position.get(text);
    if (index === undefined) continue;
    const seen = counts.get(text) ?? 0;
    counts.set(text, seen + 1);
    if (seen > 0) continue;
    if (index < highest) outOfOrder += 1;
    highest = Math.max(highest, index);
  }
  return {
    sent: sent.length,
    delivered: counts.size,
    lost: sent.filter((text) => !counts.has(text)),
    doubled: [...counts].filter(([, n]) => n > 1).map(([text]) => text),
    outOfOrder,
  };
}

/**
 * The final tally as a small table in the test's output, one column per direction (CI logs show what each
 * multi-instance test measured, not only that it passed).
 */
export function printTally(title: string, tally: { toAgent: DirectionTally; toUser: DirectionTally }): void {
  const rows: [string, (t: DirectionTally) => number][] = [
    ["sent", (t) => t.sent],
    ["delivered", (t) => t.delivered],
    ["lost", (t) => t.lost.length],
    ["duplicated", (t) => t.doubled.length],
    ["out of order", (t) => t.outOfOrder],
  ];
  const lines = [
    `${title}`,
    `  ${"".padEnd(14)}${"user → agent".padStart(14)}${"agent → user".padStart(14)}`,
    ...rows.map(
      ([label, of]) =>
        `  ${label.padEnd(14)}${String(of(tally.toAgent)).padStart(14)}${String(of(tally.toUser)).padStart(14)}`,
    ),
  ];
  console.log(lines.join("\n"));
}

/** The tally a test expects when nothing went wrong: everything once, in order. */
export function perfect(sent: number): DirectionTally {
  return { sent, delivered: sent, lost: [], doubled: [], outOfOrder: 0 };
}

export interface TwoWayTraffic {
  /**
   * Sends `pairs` rounds of one user message (queued at the user's client, which retries until it is
   * acknowledged) and one agent message (through the simulator's control API), `intervalMs` apart.
   * `onRound(i)` runs after round i, so a test can break something while messages flow.
   */
  pump(
    label: string,
    pairs: number,
    options?: { intervalMs?: number; onRound?: (round: number) => Promise<void> | void },
  ): Promise<void>;
  /** Texts sent so far, per direction. */
  readonly sentToAgent: readonly string[];
  readonly sentToUser: readonly string[];
  /** Texts that reached the agent (user messages in the simulator's transcript), in order. */
  arrivedAtAgent(): Promise<string[]>;
  /** Agent texts the user received (every connection, replays included), in arrival order. */
  arrivedAtUser(): string[];
  /**
   * Waits until every user message is acknowledged and every sent message arrived in both directions, then
   * returns both tallies (which a test compares with `perfect(n)`: a double or a reordering shows there).
   */
  settle(timeoutMs: number): Promise<{ toAgent: DirectionTally; toUser: DirectionTally }>;
  /** Both tallies now. */
  tally(): Promise<{ toAgent: DirectionTally; toUser: DirectionTally }>;
}

/** Two-way message traffic over one handover, counted per direction. */
export function twoWayTraffic(
  user: ReconnectingWebchatUser,
  agent: SimulatorAgent,
  conversationId: string,
): TwoWayTraffic {
  const sentToAgent: string[] = [];
  const sentToUser: string[] = [];
  const acks: Promise<number>[] = [];

  async function arrivedAtAgent(): Promise<string[]> {
    return (await agent.transcript(conversationId)).filter((m) => m.authorType === "user").map((m) => m.text);
  }
  const arrivedAtUser = () =>
    user.received.filter((r) => r.message.source === "agent").map((r) => r.message.text ?? "");

  async function tally() {
    return {
      toAgent: tallyDirection(sentToAgent, await arrivedAtAgent()),
      toUser: tallyDirection(sentToUser, arrivedAtUser()),
    };
  }

  return {
    sentToAgent,
    sentToUser,
    arrivedAtAgent,
    arrivedAtUser,
    tally,
    async pump(label, pairs, options = {}) {
      for (let round = 1; round <= pairs; round += 1) {
        const toAgent = `${label} from the user ${round}`;
        sentToAgent.push(toAgent);
        // Acknowledged whenever the gateway takes it (the client resends until then); `settle` waits for it.
        acks.push(user.send(toAgent));
        const toUser = `${label} from the agent ${round}`;
        sentToUser.push(toUser);
        await agent.say(conversationId, toUser);
        await options.onRound?.(round);
        // Pacing, so the traffic spans the outage a test causes; nothing is concluded from it.
        await delay(options.intervalMs ?? 50);
      }
    },
    async settle(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const last = await tally();
        const acknowledged = user.unacknowledged().length === 0;
        if (acknowledged && last.toAgent.lost.length === 0 && last.toUser.lost.length === 0) {
          await Promise.all(acks);
          return last;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `not everything arrived within ${timeoutMs} ms: ${JSON.stringify(last, null, 2)}\n` +
              `unacknowledged at the user: ${JSON.stringify(user.unacknowledged())}`,
          );
        }
        await delay(250);
      }
    },
  };
}

/**
 * The demo flow's way to an agent for a reconnecting user: the greeting, "talk to a human", the simulator
 * conversation queued for `userId`, the agent's accept, and the join notice at the user. Resolves with the
 * simulator conversation's id.
 */
export async function handOverToAgent(
  user: ReconnectingWebchatUser,
  agent: SimulatorAgent,
  userId: string,
  timeoutMs = 20_000,
): Promise<string> {
  const has = (source: string, part: string) => () =>
    user.received.some((r) => r.message.source === source && (r.message.text ?? "").includes(part));
  await waitFor(has("bot", "demo bot"), timeoutMs, "the bot's greeting");
  const known = new Set(agent.conversationIds());
  await user.send("talk to a human");
  const waiting = await agent.waitForConversation(
    (c) => c.status === "queued" && c.user?.userId === userId && !known.has(c.id),
    timeoutMs,
  );
  await agent.accept(waiting.id, "agent-anna");
  await waitFor(has("system", "joined"), timeoutMs, "the agent's join notice at the user");
  return waiting.id;
}

/** Every message the user received, by seq: each seq once, ascending (no replay repeated, none reordered). */
export function seqsOf(user: ReconnectingWebchatUser): {
  readonly doubled: number[];
  readonly descending: number;
} {
  const seqs = user.received.map((r) => r.message.seq);
  const seen = new Set<number>();
  const doubled: number[] = [];
  let descending = 0;
  seqs.forEach((seq, index) => {
    if (seen.has(seq)) doubled.push(seq);
    seen.add(seq);
    if (index > 0 && seq < seqs[index - 1]!) descending += 1;
  });
  return { doubled, descending };
}
