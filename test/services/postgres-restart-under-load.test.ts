import { describe, expect, it } from "vitest";
import { freePort } from "../factories/embedded-gateway.ts";
import { startGatewayCluster } from "../factories/gateway-cluster.ts";
import { startPostgresServer } from "../factories/postgres-server.ts";
import { reconnectingWebchatUser } from "../factories/reconnecting-webchat.ts";
import { startRedisServer } from "../factories/redis-server.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { handOverToAgent, perfect, seqsOf, twoWayTraffic } from "../factories/two-way-traffic.ts";

/**
 * The database of two `baton serve` processes (a private PostgreSQL 15 server) is stopped with a fast
 * shutdown while messages flow both ways across them (the user on A, 8x8's webhook events to B), and
 * started again a moment later. While it is down the gateways refuse what they cannot store (the user's
 * client resends, 8x8 retries its webhook events); once it is back every message of both directions has
 * arrived once, in order, and both instances kept running.
 */
describe("two gateway instances whose PostgreSQL restarts under load", () => {
  it("lose nothing and double nothing in either direction", { timeout: 240_000 }, async () => {
    const postgres = await startPostgresServer(await freePort());
    const redis = await startRedisServer(await freePort());
    const cluster = await startGatewayCluster({ store: postgres.url, bus: redis.url });
    const { a, b } = cluster;
    const agent = simulatorAgent(cluster.simulator);
    const user = reconnectingWebchatUser(a.url, cluster.webToken, { userId: "pia", sessionId: "s-postgres" });
    const conversationId = await handOverToAgent(user, agent, "pia");
    const traffic = twoWayTraffic(user, agent, conversationId);

    await traffic.pump("before", 5);
    expect(await traffic.settle(30_000)).toEqual({ toAgent: perfect(5), toUser: perfect(5) });

    await traffic.pump("around the restart", 30, {
      intervalMs: 500,
      onRound: async (round) => {
        if (round === 5) {
          await postgres.stopFast();
          await a.waitForReadiness(503);
          await b.waitForReadiness(503);
        }
        if (round === 15) {
          await postgres.start();
          await a.waitForReadiness(200);
          await b.waitForReadiness(200);
        }
      },
    });
    expect(await traffic.settle(60_000)).toEqual({ toAgent: perfect(35), toUser: perfect(35) });

    await traffic.pump("after", 5);
    expect(await traffic.settle(30_000)).toEqual({ toAgent: perfect(40), toUser: perfect(40) });
    // Nothing left on its way that could still arrive twice.
    await cluster.quiet();
    expect(await traffic.tally()).toEqual({ toAgent: perfect(40), toUser: perfect(40) });
    expect(seqsOf(user)).toEqual({ doubled: [], descending: 0 });
    // Neither instance went down with its database.
    expect(a.process.lines.filter((line) => line.includes('"uncaughtException"'))).toEqual([]);
    expect(b.process.lines.filter((line) => line.includes('"uncaughtException"'))).toEqual([]);
  });
});
