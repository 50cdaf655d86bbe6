import { afterAll, describe, it } from "vitest";
import { freePort } from "../factories/embedded-gateway.ts";
import { startGatewayCluster } from "../factories/gateway-cluster.ts";
import { createFreshDatabase } from "../factories/postgres-database.ts";
import { startRedisServer, type RedisServerProcess } from "../factories/redis-server.ts";
import { carryTrafficThroughAnOutage } from "../factories/outage-under-load.ts";
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
    await carryTrafficThroughAnOutage(
      cluster,
      { userId: "rae", sessionId: "s-redis" },
      {
        down: () => redis.kill(),
        up: async () => {
          redis = await startRedisServer(port);
        },
      },
    );
  });
});
