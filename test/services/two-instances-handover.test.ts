import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../factories/embedded-gateway.ts";
import { startGatewayCluster } from "../factories/gateway-cluster.ts";
import { createFreshDatabase } from "../factories/postgres-database.ts";
import { reconnectingWebchatUser } from "../factories/reconnecting-webchat.ts";
import { startRedisServer } from "../factories/redis-server.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { handOverToAgent, perfect, printTally, seqsOf, twoWayTraffic } from "../factories/two-way-traffic.ts";
import { waitFor } from "../factories/wait-for.ts";
import { postgresUrl } from "./service-urls.ts";

const database = await createFreshDatabase(postgresUrl, "baton_two_instances");
afterAll(() => database.drop());

/**
 * Two `baton serve` processes on one PostgreSQL database and one Redis, the deployment of
 * docs/operations.md: the user's web chat socket is on instance A, the 8x8 simulator posts its webhook
 * events to instance B, so every message crosses instances (A stores the user's message and either
 * instance's outbox sends it; B stores the agent's and Redis carries it to A's socket). Then one instance is
 * SIGKILLed mid-handover while messages flow both ways: the other carries on, and the killed one restarts
 * and joins again. Each direction is counted: all delivered, none doubled, in order.
 */
describe("two gateway instances sharing one handover", () => {
  it(
    "keeps both directions whole when the user's instance is killed: the user moves to the other, the killed one rejoins",
    { timeout: 240_000 },
    async () => {
      const redis = await startRedisServer(await freePort());
      const cluster = await startGatewayCluster({ store: database.url, bus: redis.url });
      const { a, b } = cluster;
      const agent = simulatorAgent(cluster.simulator);
      const user = reconnectingWebchatUser(a.url, cluster.webToken, { userId: "kim", sessionId: "s-kill-a" });
      const conversationId = await handOverToAgent(user, agent, "kim");
      const traffic = twoWayTraffic(user, agent, conversationId);

      await traffic.pump("across", 5);
      expect(await traffic.settle(30_000)).toEqual({ toAgent: perfect(5), toUser: perfect(5) });

      // A dies without a goodbye while messages flow; the load balancer sends the user to B. 8x8 answers
      // slowly meanwhile, so calls to it are under way (an outbox lease held, a message maybe stored at 8x8
      // without A hearing so) when A dies.
      cluster.simulator.setFaults({ latencyMs: 200 });
      let moved: Promise<void> | undefined;
      let notYetAtAgentWhenKilled = 0;
      await traffic.pump("while A dies", 20, {
        onRound: async (round) => {
          if (round !== 5) return;
          await a.kill();
          notYetAtAgentWhenKilled = (await traffic.tally()).toAgent.lost.length;
          moved = user.moveTo(b.url);
        },
      });
      await moved;
      expect(notYetAtAgentWhenKilled).toBeGreaterThan(0);
      // Everything arrives while A is still down: B alone carries the handover.
      const withoutA = await traffic.settle(30_000);
      expect(await a.readiness()).toBeUndefined();
      expect(withoutA).toEqual({ toAgent: perfect(25), toUser: perfect(25) });
      cluster.simulator.resetFaults();

      // A comes back and serves the user again: B's webhook events reach A's socket through Redis.
      await a.restart();
      await user.moveTo(a.url);
      await traffic.pump("after A is back", 5);
      expect(await traffic.settle(30_000)).toEqual({ toAgent: perfect(30), toUser: perfect(30) });
      // Nothing left on its way that could still arrive twice.
      await cluster.quiet();
      const final = await traffic.tally();
      printTally("two instances, A (the user's) killed with SIGKILL", final);
      expect(final).toEqual({ toAgent: perfect(30), toUser: perfect(30) });
      expect(seqsOf(user)).toEqual({ doubled: [], descending: 0 });

      await agent.close(conversationId);
      await waitFor(
        () =>
          user.received.some((r) => r.message.source === "bot" && r.message.text?.includes("Welcome back")),
        20_000,
        "the bot back after the agent closed",
      );
    },
  );

  it(
    "keeps both directions whole when the instance 8x8 posts to is killed: events wait in 8x8's retries until it is back",
    { timeout: 240_000 },
    async () => {
      const redis = await startRedisServer(await freePort());
      const cluster = await startGatewayCluster({ store: database.url, bus: redis.url });
      const { a, b, simulator } = cluster;
      const agent = simulatorAgent(simulator);
      const user = reconnectingWebchatUser(a.url, cluster.webToken, { userId: "lou", sessionId: "s-kill-b" });
      const conversationId = await handOverToAgent(user, agent, "lou");
      const traffic = twoWayTraffic(user, agent, conversationId);

      await traffic.pump("across", 5);
      expect(await traffic.settle(30_000)).toEqual({ toAgent: perfect(5), toUser: perfect(5) });

      await traffic.pump("while B dies", 20, {
        onRound: async (round) => {
          if (round === 5) await b.kill();
        },
      });
      // A carries on alone: every user message reaches the agent while B is still down.
      await waitFor(
        async () => (await traffic.tally()).toAgent.lost.length === 0,
        60_000,
        "the user's messages at the agent while B is down",
      );
      expect(await b.readiness()).toBeUndefined();
      // The simulator really tried to deliver to the dead B.
      const failedWhileDown = simulator
        .webhookLog()
        .filter((attempt) => attempt.conversationId === conversationId && attempt.outcome === "failed");
      expect(failedWhileDown.length).toBeGreaterThan(0);

      await b.restart();
      expect(await traffic.settle(30_000)).toEqual({ toAgent: perfect(25), toUser: perfect(25) });

      await traffic.pump("after B is back", 5);
      expect(await traffic.settle(30_000)).toEqual({ toAgent: perfect(30), toUser: perfect(30) });
      // Nothing left on its way that could still arrive twice.
      await cluster.quiet();
      const final = await traffic.tally();
      printTally("two instances, B (the webhooks') killed with SIGKILL", final);
      expect(final).toEqual({ toAgent: perfect(30), toUser: perfect(30) });
      expect(seqsOf(user)).toEqual({ doubled: [], descending: 0 });
      // The user never had to move: one connection, to A, all along.
      expect(user.connections).toBe(1);
    },
  );
});
