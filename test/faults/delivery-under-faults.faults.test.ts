import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createSimulator, type Simulator } from "../../simulator/src/index.ts";
import { prepareSimulator } from "../factories/embedded-gateway.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { waitFor } from "../factories/wait-for.ts";
import { ChatUser } from "./chat-user.ts";
import {
  measureDirection,
  parseMessageText,
  type DirectionReport,
  type ObservedMessage,
} from "./delivery-ledger.ts";
import { agentToUserEvidence, evidenceLines, userToAgentEvidence } from "./evidence.ts";
import { createFaultDatabase, type FaultDatabase } from "./fault-database.ts";
import { startGatewayProcess, stopWithin, writeGatewayConfig, type GatewayRun } from "./gateway-process.ts";
import { directionTable, writeJson } from "./report.ts";
import { readFaultSuiteSettings } from "./settings.ts";
import {
  putFaults,
  putWebhookRetry,
  simulatorMessages,
  watchSimulator,
  type SimulatorWatch,
} from "./simulator-watch.ts";
import { startTraffic, type Traffic } from "./traffic.ts";

const settings = readFaultSuiteSettings(process.env);
const resultsRoot = fileURLToPath(new URL("./results/", import.meta.url));

/**
 * What 8x8 does to the gateway while the messages flow. `errorStatus` alternates between 503 and 429 every
 * second; `lostResponseRate` (the call is carried out, its answer never sent: an ambiguous failure) is
 * used when the simulator has it.
 */
const faults = { errorRate: 0.2, duplicateRate: 0.1, reorderRate: 0.1, dropRate: 0.05, latencyMs: 5 };
const lostResponseRate = 0.02;

/**
 * The simulator's webhook retry budgets. Steady: 16 attempts, 250 ms doubling up to 5 s, so an event is
 * given up about 63 s after its first failure: longer than a SIGKILL and restart (up to 30 s on a busy
 * 2-core machine), whose events must arrive by 8x8's own retries. For the outage: 3 attempts (0.75 s), so the outage outlasts the budget by
 * far and the events written meanwhile can only arrive through the gateway's catch-up. A simulator without
 * `PUT /sim/webhook-retry` keeps the steady budget and the outage simply lasts longer than it.
 */
const steadyRetry = { maxAttempts: 16, baseDelayMs: 250 };
const outageRetry = { maxAttempts: 3, baseDelayMs: 250 };

type Phase =
  | "before the crash"
  | "while killed (SIGKILL)"
  | "after the restart"
  | "during the outage"
  | "after the outage";

describe("npm run test:faults: delivery you can prove", () => {
  it(`delivers ${settings.messages} messages each way once and in order through 8x8 faults, a SIGKILL and an outage`, async () => {
    const startedAt = new Date();
    const loadAtStart = loadavg();
    const runName = `faults-${startedAt.toISOString().replace(/[:.]/g, "-")}`;
    const database = await createFaultDatabase(settings.postgresUrl);
    const workDir = await mkdtemp(join(tmpdir(), "baton-faults-"));
    const simulator = await createSimulator({ retry: steadyRetry });
    const watch = watchSimulator(simulator);
    const gateways = gatewayRunner();
    const users: ChatUser[] = [];
    const errorStatus = alternateErrorStatus(simulator.url);
    let stopTraffic: (() => void) | undefined;
    let progress: NodeJS.Timeout | undefined;
    try {
      const { port, setup } = await prepareSimulator(simulator);
      const configFile = join(workDir, "baton.yaml");
      const urlToken = randomBytes(32).toString("hex");
      await writeGatewayConfig(configFile, {
        port,
        store: database.url,
        simulatorUrl: simulator.url,
        channelId: setup.channel!.id,
        urlToken,
        logLevel: settings.gatewayLogLevel,
      });
      gateways.configure({ configFile, port, apiKey: simulator.apiKey });
      await gateways.start();

      log(`opening ${settings.users} handovers (no faults yet)`);
      const socketUrl = `ws://127.0.0.1:${port}/endpoints/${urlToken}/ws`;
      const conversations = await openHandovers(simulator, socketUrl, users);
      const lostResponse = await applyFaults(simulator.url);
      errorStatus.start();
      log(
        `faults on: ${JSON.stringify(faults)}, errorStatus 503/429, lostResponseRate ` +
          `${lostResponse.applied ? lostResponseRate : `not available (${lostResponse.reason})`}; ` +
          `${settings.messages} messages each way at ${settings.ratePerSecond}/s`,
      );

      let phase: Phase = "before the crash";
      const agent = simulatorAgent(simulator);
      const crashAt = Math.floor(settings.messages / 3);
      const outageAt = Math.floor((2 * settings.messages) / 3);
      const traffic = startTraffic({
        messages: settings.messages,
        conversations: settings.users,
        ratePerSecond: settings.ratePerSecond,
        gates: [crashAt, outageAt],
        phase: () => phase,
        userWrites: (conversation, text) => users[conversation]!.write(text),
        agentSends: async (conversation, text) => void (await agent.say(conversations[conversation]!, text)),
      });
      stopTraffic = () => traffic.stop();
      progress = setInterval(() => log(progressLine(traffic, users)), 10_000);

      await traffic.heldAt(crashAt);
      log(`SIGKILL of the gateway after ${crashAt} messages each way; users and agents keep writing`);
      const killedAt = Date.now();
      phase = "while killed (SIGKILL)";
      traffic.release(crashAt);
      await gateways.current().process.stop("SIGKILL");
      const restarted = await gateways.start();
      phase = "after the restart";
      log(`gateway back ${restarted.readyAt - killedAt} ms after the SIGKILL`);

      await traffic.heldAt(outageAt);
      // Keeps the outage's effects apart from the crash's (a slow restart can take longer than a third).
      await waitForBacklog(traffic, users, conversations, simulator.url, 60_000);
      const shortBudget = await putWebhookRetry(simulator.url, outageRetry);
      const outageBudget = shortBudget.ok ? outageRetry : steadyRetry;
      log(
        `outage after ${outageAt} messages each way: gateway stopped, kept down past the simulator's ` +
          `webhook retry budget (${JSON.stringify(outageBudget)}, ${retryBudgetMs(outageBudget)} ms)`,
      );
      const stoppedAt = Date.now();
      phase = "during the outage";
      const stoppedInTime = await stopWithin(gateways.current(), "SIGTERM", 30_000);
      traffic.release(outageAt);
      await outlastRetryBudget(traffic, watch, stoppedAt, retryBudgetMs(outageBudget));
      const resumed = await gateways.start();
      if (shortBudget.ok) await putWebhookRetry(simulator.url, steadyRetry);
      phase = "after the outage";
      log(`gateway back ${resumed.readyAt - stoppedAt} ms after the stop`);

      // Writing ends on schedule; only the agents' sends could lag, and not by minutes.
      await within(
        traffic.done,
        120_000 + (settings.messages * 1000) / settings.ratePerSecond,
        "the traffic",
      );
      const trafficEndedAt = Date.now();
      clearInterval(progress);
      await waitForStragglers(traffic, users, conversations, simulator, database);
      errorStatus.stop();

      const userToAgent = measureDirection({
        sent: traffic.userToAgent,
        observed: await agentSideObservations(simulator.url, conversations),
      });
      const agentToUser = measureDirection({
        sent: traffic.agentToUser,
        observed: userSideObservations(users),
      });
      const incidents = collectIncidents(simulator, users, traffic);
      if (!stoppedInTime) incidents.push("the gateway did not stop within 30 s of SIGTERM (killed)");
      const evidence = {
        userToAgent: await userToAgentEvidence(
          userToAgent,
          database,
          (conversation, text) => users[conversation]?.acked.get(text) ?? null,
        ),
        agentToUser: await agentToUserEvidence(agentToUser, database, (conversation, seq) => ({
          refusedBySimulator:
            traffic.agentRefusals.find((r) => r.conversation === conversation && r.seq === seq)?.error ??
            null,
          simulatorGaveUpInConversation: watch.gaveUp.filter(
            (g) => g.conversationId === conversations[conversation] && g.eventType === "MESSAGE",
          ).length,
        })),
      };
      const disruptions = {
        crash: {
          killedAt: new Date(killedAt).toISOString(),
          backAt: new Date(restarted.readyAt).toISOString(),
          downMs: restarted.readyAt - killedAt,
          webhookEventsGivenUp: watch.gaveUpBetween(killedAt, stoppedAt),
        },
        outage: {
          stoppedAt: new Date(stoppedAt).toISOString(),
          backAt: new Date(resumed.readyAt).toISOString(),
          downMs: resumed.readyAt - stoppedAt,
          webhookRetryBudget: { ...outageBudget, budgetMs: retryBudgetMs(outageBudget) },
          agentMessagesWritten: traffic.agentToUser.filter((m) => m.phase === "during the outage").length,
          webhookEventsGivenUp: watch.gaveUpBetween(stoppedAt),
        },
      };

      const resultFile = join(resultsRoot, `${runName}.json`);
      await writeJson(resultFile, {
        run: {
          startedAt: startedAt.toISOString(),
          trafficEndedAt: new Date(trafficEndedAt).toISOString(),
          finishedAt: new Date().toISOString(),
          machine: {
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model,
            node: process.version,
            // Other work on the machine slows the gateway: the lags and throughput are of this machine only.
            loadAverage1mAtStart: loadAtStart[0],
            loadAverage1mAtEnd: loadavg()[0],
          },
          settings: { ...settings, postgresUrl: undefined },
          faults: { ...faults, errorStatus: "503 and 429, alternating every second" },
          lostResponseRate: lostResponse.applied ? lostResponseRate : { notAvailable: lostResponse.reason },
          webhookRetry: { ...steadyRetry, budgetMs: retryBudgetMs(steadyRetry) },
        },
        disruptions,
        directions: { userToAgent: userToAgent.figures, agentToUser: agentToUser.figures },
        clients: {
          resends: sum(users.map((u) => u.resends)),
          repeatedFrames: sum(users.map((u) => u.repeatedFrames)),
          connections: sum(users.map((u) => u.readyConnections)),
          unacknowledgedAtEnd: sum(users.map((u) => u.unacknowledged)),
        },
        simulator: {
          webhooks: watch.webhookOutcomes,
          apiCalls: watch.apiCalls,
          logOverflows: watch.overflows,
        },
        incidents,
        evidence,
      });
      console.log(
        [
          "",
          directionTable("user → agent (web chat → gateway → 8x8)", userToAgent.figures),
          "",
          directionTable("agent → user (8x8 → gateway → web chat)", agentToUser.figures),
          "",
          `SIGKILL: down ${disruptions.crash.downMs} ms, ${disruptions.crash.webhookEventsGivenUp} webhook events given up; ` +
            `outage: down ${disruptions.outage.downMs} ms, ${disruptions.outage.agentMessagesWritten} agent messages ` +
            `written and ${disruptions.outage.webhookEventsGivenUp} webhook events given up meanwhile`,
          `8x8 API calls: ${JSON.stringify(watch.apiCalls)}; webhook attempts: ${JSON.stringify(watch.webhookOutcomes)}`,
          ...(incidents.length > 0
            ? [`incidents (${incidents.length}):`, ...incidents.slice(0, 20).map((i) => `  ${i}`)]
            : []),
          ...evidenceLines("user → agent", userToAgent, evidence.userToAgent),
          ...evidenceLines("agent → user", agentToUser, evidence.agentToUser),
          `machine: ${cpus().length} cores, load average ${loadAtStart[0]!.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} now`,
          `figures, incidents and evidence: ${resultFile}`,
          "",
        ].join("\n"),
      );

      const verdict = (report: DirectionReport) => ({
        lost: report.figures.lost,
        duplicated: report.figures.duplicated,
        outOfOrder: report.figures.outOfOrder,
      });
      expect({ userToAgent: verdict(userToAgent), agentToUser: verdict(agentToUser) }).toEqual({
        userToAgent: { lost: 0, duplicated: 0, outOfOrder: 0 },
        agentToUser: { lost: 0, duplicated: 0, outOfOrder: 0 },
      });
    } finally {
      clearInterval(progress);
      stopTraffic?.();
      errorStatus.stop();
      await Promise.all(users.map((user) => user.stop()));
      await gateways.stopAll();
      await gateways.saveLogs(join(resultsRoot, runName));
      watch.stop();
      await simulator.close();
      if (settings.keepDatabase) {
        await database.close();
        log(`database kept: ${database.url}`);
      } else {
        await database.drop();
      }
      await rm(workDir, { recursive: true, force: true });
    }
  });
});

function log(line: string): void {
  console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

/** The gateway processes of the run, one after the other on the same port and database. */
function gatewayRunner() {
  const runs: GatewayRun[] = [];
  let options: { configFile: string; port: number; apiKey: string } | undefined;
  return {
    configure(value: { configFile: string; port: number; apiKey: string }) {
      options = value;
    },
    async start(): Promise<GatewayRun> {
      if (options === undefined) throw new Error("gatewayRunner: configure() first");
      const run = await startGatewayProcess({ ...options, generation: runs.length + 1 });
      runs.push(run);
      return run;
    },
    current(): GatewayRun {
      const run = runs.at(-1);
      if (run === undefined) throw new Error("no gateway started");
      return run;
    },
    async stopAll(): Promise<void> {
      await Promise.all(runs.map((run) => stopWithin(run, "SIGTERM", 30_000)));
    },
    /** Each process's output, for the evidence (`gateway-1.log`, … in the run's results folder). */
    async saveLogs(dir: string): Promise<void> {
      await mkdir(dir, { recursive: true });
      for (const run of runs) {
        await writeFile(join(dir, `gateway-${run.generation}.log`), `${run.process.lines.join("\n")}\n`);
      }
    },
  };
}

/**
 * Every user says hello (the flow hands over at once), the simulator's agent accepts the conversation that
 * appears for them, and the user's banner turns active. Ten at a time, before any fault is switched on:
 * the suite measures messages, not handover creation. Returns each user's 8x8 conversation id, by index.
 */
async function openHandovers(simulator: Simulator, socketUrl: string, users: ChatUser[]): Promise<string[]> {
  const agent = simulatorAgent(simulator);
  const conversationOf = conversationIndex(simulator);
  const conversations: string[] = [];
  for (let i = 0; i < settings.users; i++) {
    users.push(
      new ChatUser({
        socketUrl,
        userId: `faults-user-${i}`,
        sessionId: `faults-session-${i}`,
        window: settings.userWindow,
      }),
    );
  }
  const open = async (index: number) => {
    const user = users[index]!;
    user.start();
    try {
      const conversationId = await conversationOf(user.userId);
      await agent.accept(conversationId, "agent-anna");
      await waitFor(
        () => user.banner === "active",
        30_000,
        `the handover of ${user.userId} to become active`,
      );
      conversations[index] = conversationId;
    } catch (error) {
      // What the user saw says more than the timeout: the gateway's error frames, whether it said ready.
      throw new Error(
        `${user.userId} did not reach an agent (${String(error)}); ready connections ${user.readyConnections}, ` +
          `banner "${user.banner}", error frames ${JSON.stringify(user.errors)} (gateway output in the results folder)`,
        { cause: error },
      );
    }
  };
  for (let from = 0; from < users.length; from += 10) {
    await Promise.all(users.slice(from, from + 10).map((_, offset) => open(from + offset)));
  }
  return conversations;
}

/** Finds a user's simulator conversation; one listing, refreshed every 100 ms, serves every waiter. */
function conversationIndex(simulator: Simulator) {
  let listedAt = 0;
  let byUser = new Map<string, string>();
  return (userId: string) =>
    waitFor(
      () => {
        if (Date.now() - listedAt > 100) {
          listedAt = Date.now();
          byUser = new Map(
            simulator
              .conversations()
              .flatMap((c) => (c.user?.userId ? [[c.user.userId, c.id] as const] : [])),
          );
        }
        return byUser.get(userId);
      },
      30_000,
      `the 8x8 conversation of ${userId}`,
    );
}

async function applyFaults(
  simulatorUrl: string,
): Promise<{ applied: true } | { applied: false; reason: string }> {
  const base = await putFaults(simulatorUrl, { ...faults, errorStatus: 503 });
  if (!base.ok) throw new Error(`the simulator refused the faults: ${base.status} ${base.body}`);
  const lost = await putFaults(simulatorUrl, { lostResponseRate });
  return lost.ok ? { applied: true } : { applied: false, reason: `${lost.status} ${lost.body}` };
}

/** 503 and 429 in turn, a second each: both of 8x8's "try again" answers. */
function alternateErrorStatus(simulatorUrl: string) {
  let timer: NodeJS.Timeout | undefined;
  let status = 503;
  return {
    start() {
      timer = setInterval(() => {
        status = status === 503 ? 429 : 503;
        putFaults(simulatorUrl, { errorStatus: status }).catch(() => undefined);
      }, 1_000);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** The simulator's delay before retry n is baseDelayMs × 2^(n-1), capped at 5 s (or at the base if larger). */
function retryBudgetMs(retry: { maxAttempts: number; baseDelayMs: number }): number {
  const cap = Math.max(5_000, retry.baseDelayMs);
  let total = 0;
  for (let n = 1; n < retry.maxAttempts; n++) total += Math.min(retry.baseDelayMs * 2 ** (n - 1), cap);
  return total;
}

/**
 * Keeps the gateway down until the outage provably outlasted the webhook retry budget: the whole budget has
 * passed since the first agent message written during the outage, and the simulator has given up on at
 * least one event since the stop.
 */
async function outlastRetryBudget(
  traffic: Traffic,
  watch: SimulatorWatch,
  stoppedAt: number,
  budgetMs: number,
): Promise<void> {
  const firstWhileDown = await waitFor(
    () => traffic.agentToUser.find((m) => m.sentAt >= stoppedAt),
    60_000,
    "an agent message written during the outage",
  );
  await waitFor(
    () => Date.now() > firstWhileDown.sentAt + budgetMs + 1_000 && watch.gaveUpBetween(stoppedAt) > 0,
    budgetMs + 60_000,
    "the simulator to give up on an event while the gateway is down",
  );
}

/** `promise`, or an error naming `what` after `ms`: no wait of the suite is unbounded. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function progressLine(traffic: Traffic, users: readonly ChatUser[]): string {
  const shown = sum(users.map((u) => u.shown.filter((m) => m.source === "agent").length));
  return (
    `written ${traffic.written()}/${settings.messages} each way; agent messages shown to users ${shown}; ` +
    `user messages not yet acknowledged ${sum(users.map((u) => u.unacknowledged))}`
  );
}

/**
 * Before the outage: waits until what was written so far has arrived, at most `maxMs`, so the outage starts
 * with the crash's backlog worked off (when the gateway manages that in time).
 */
async function waitForBacklog(
  traffic: Traffic,
  users: readonly ChatUser[],
  conversations: readonly string[],
  simulatorUrl: string,
  maxMs: number,
): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const atAgent = countFirstCopies(await agentSideObservations(simulatorUrl, conversations));
    const atUser = countFirstCopies(userSideObservations(users));
    const line = `before the outage: user → agent ${atAgent}/${traffic.userToAgent.length}, agent → user ${atUser}/${traffic.agentToUser.length}`;
    if (atAgent >= traffic.userToAgent.length && atUser >= traffic.agentToUser.length) {
      log(`${line}: the crash's backlog is through`);
      return;
    }
    if (Date.now() > deadline) {
      log(`${line}: not through after ${maxMs} ms; the outage starts anyway`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/**
 * After the last message was written: waits, bounded by BATON_FAULTS_FINAL_WAIT_S and with a progress line
 * every 5 s, until every message has arrived and nothing is in flight anywhere (no pending outbox item or
 * webhook event at the gateway, no webhook queued at the simulator), so a late duplicate still shows
 * before the figures are taken.
 */
async function waitForStragglers(
  traffic: Traffic,
  users: readonly ChatUser[],
  conversations: readonly string[],
  simulator: Simulator,
  database: FaultDatabase,
): Promise<void> {
  const started = Date.now();
  const deadline = started + settings.finalWaitSeconds * 1000;
  let lastLine = 0;
  for (;;) {
    const atAgent = countFirstCopies(await agentSideObservations(simulator.url, conversations));
    const atUser = countFirstCopies(userSideObservations(users));
    const [pending] = await database.query<{ outbox: string; events: string }>(
      `select (select count(*) from outbox where status = 'pending') as outbox,
              (select count(*) from webhook_events where status = 'pending') as events`,
    );
    const arrived = atAgent >= traffic.userToAgent.length && atUser >= traffic.agentToUser.length;
    const idle =
      Number(pending!.outbox) === 0 &&
      Number(pending!.events) === 0 &&
      (await settledWithin(simulator, 2_000));
    const line =
      `waiting for stragglers (${Math.round((Date.now() - started) / 1000)} s): ` +
      `user → agent ${atAgent}/${traffic.userToAgent.length}, agent → user ${atUser}/${traffic.agentToUser.length}; ` +
      `pending at the gateway: ${pending!.outbox} outbox items, ${pending!.events} webhook events`;
    if (arrived && idle) {
      log(`${line}: all there, nothing in flight`);
      return;
    }
    if (Date.now() > deadline) {
      log(`${line}: final wait over`);
      return;
    }
    if (Date.now() - lastLine >= 5_000) {
      log(line);
      lastLine = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

async function settledWithin(simulator: Simulator, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const result = await Promise.race([simulator.settled().then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

function countFirstCopies(observed: ReadonlyMap<number, readonly ObservedMessage[]>): number {
  let count = 0;
  for (const copies of observed.values()) count += new Set(copies.map((c) => c.seq)).size;
  return count;
}

/** The user messages at 8x8 (the simulator), per conversation, in the order 8x8 stored them. */
async function agentSideObservations(
  simulatorUrl: string,
  conversations: readonly string[],
): Promise<Map<number, ObservedMessage[]>> {
  const observed = new Map<number, ObservedMessage[]>();
  await Promise.all(
    conversations.map(async (conversationId, conversation) => {
      const messages = await simulatorMessages(simulatorUrl, conversationId);
      observed.set(
        conversation,
        messages.flatMap((m) => {
          const parsed = parseMessageText("userToAgent", m.text);
          if (m.authorType !== "user" || parsed === undefined) return [];
          // Another conversation's message here is misrouted: seq -1 makes the ledger count it as unexpected.
          return [
            { seq: parsed.conversation === conversation ? parsed.seq : -1, at: Date.parse(m.createdAt) },
          ];
        }),
      );
    }),
  );
  return observed;
}

/** The agent messages each user was shown, in the order the page shows them (session seq order). */
function userSideObservations(users: readonly ChatUser[]): Map<number, ObservedMessage[]> {
  return new Map(
    users.map((user, conversation) => [
      conversation,
      [...user.shown]
        .sort((a, b) => a.seq - b.seq)
        .flatMap((m) => {
          const parsed = parseMessageText("agentToUser", m.text);
          if (m.source !== "agent" || parsed === undefined) return [];
          return [{ seq: parsed.conversation === conversation ? parsed.seq : -1, at: m.at }];
        }),
    ]),
  );
}

/** What went wrong besides the figures: each is a lead for a failed figure. */
function collectIncidents(simulator: Simulator, users: readonly ChatUser[], traffic: Traffic): string[] {
  const incidents: string[] = [];
  const perUser = new Map<string, number>();
  for (const c of simulator.conversations()) {
    if (c.user?.userId) perUser.set(c.user.userId, (perUser.get(c.user.userId) ?? 0) + 1);
  }
  for (const user of users) {
    const count = perUser.get(user.userId) ?? 0;
    if (count !== 1) incidents.push(`${user.userId}: ${count} conversations at 8x8 (a create was repeated)`);
    if (user.banner !== "active")
      incidents.push(`${user.userId}: handover banner "${user.banner}" at the end`);
    for (const error of user.errors)
      incidents.push(`${user.userId}: error frame ${error.code}: ${error.message}`);
    if (user.shown.some((m) => m.source === "bot" && m.text?.includes("back with the bot"))) {
      incidents.push(`${user.userId}: the handover ended during the run`);
    }
    if (user.unacknowledged > 0) {
      incidents.push(`${user.userId}: ${user.unacknowledged} messages never acknowledged`);
    }
  }
  for (const refusal of traffic.agentRefusals) {
    incidents.push(`the agent of c${refusal.conversation} could not send #${refusal.seq}: ${refusal.error}`);
  }
  return incidents;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
