import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../factories/embedded-gateway.ts";
import { startGatewayCluster } from "../factories/gateway-cluster.ts";
import { createFreshDatabase } from "../factories/postgres-database.ts";
import { reconnectingWebchatUser } from "../factories/reconnecting-webchat.ts";
import { startRedisServer, type RedisServerProcess } from "../factories/redis-server.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { handOverToAgent, perfect, seqsOf, twoWayTraffic } from "../factories/two-way-traffic.ts";
import { postgresUrl } from "./service-urls.ts";

const database = await createFreshDatabase(postgresUrl, "baton_redis_restart");
afterAll(() => database.drop());

/**
 * The bus of two `baton serve` processes (a private redis-server) is killed while messages flow both ways
 * across them (the user on A, 8x8's webhook events to B), and started again on the same port a moment
 * later. While it is down the gateways may refuse or delay (no lock, no pub/sub); the user's client resends
 * what was not acknowledged. Once it is back, every message of both directions has arrived once, in order.
 */
describe("two gateway instances whose Redis restarts under load", () => {
  it("lose nothing and double nothing in either direction", { timeout: 240_000 }, async () => {
    const port = await freePort();
    let redis: RedisServerProcess = await startRedisServer(port);
    const cluster = await startGatewayCluster({ store: database.url, bus: redis.url });
    const { a, b } = cluster;
    const agent = simulatorAgent(cluster.simulator);
    const user = reconnectingWebchatUser(a.url, cluster.webToken, { userId: "rae", sessionId: "s-redis" });
    const conversationId = await handOverToAgent(user, agent, "rae");
    const traffic = twoWayTraffic(user, agent, conversationId);

    await traffic.pump("before", 5);
    expect(await traffic.settle(30_000)).toEqual({ toAgent: perfect(5), toUser: perfect(5) });

    await traffic.pump("around the restart", 30, {
      intervalMs: 500,
      onRound: async (round) => {
        if (round === 5) {
          await redis.kill();
          // Both instances notice: their readiness says the bus is away.
          await a.waitForReadiness(503);
          await b.waitForReadiness(503);
        }
        if (round === 15) {
          redis = await startRedisServer(port);
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
  });
});
