import { describe, expect, it } from "vitest";
import { freePort } from "../factories/embedded-gateway.ts";
import { startGatewayCluster } from "../factories/gateway-cluster.ts";
import { startPostgresServer } from "../factories/postgres-server.ts";
import { startRedisServer } from "../factories/redis-server.ts";
import { carryTrafficThroughAnOutage } from "../factories/outage-under-load.ts";

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
    await carryTrafficThroughAnOutage(
      cluster,
      { userId: "pia", sessionId: "s-postgres" },
      {
        down: () => postgres.stopFast(),
        up: () => postgres.start(),
      },
    );
    // Neither instance went down with its database.
    expect(cluster.a.process.lines.filter((line) => line.includes('"uncaughtException"'))).toEqual([]);
    expect(cluster.b.process.lines.filter((line) => line.includes('"uncaughtException"'))).toEqual([]);
  });
});
