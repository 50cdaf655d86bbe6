import { Redis } from "ioredis";
import { pino } from "pino";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { createRedisBus } from "../../src/bus/redis.ts";
import type { Bus } from "../../src/bus/types.ts";
import type { WebchatServerFrame } from "../../src/protocol/webchat.ts";
import { freePort, startEmbedded } from "../factories/embedded-gateway.ts";
import { startRedisServer } from "../factories/redis-server.ts";
import { waitFor } from "../factories/wait-for.ts";
import { connectWebchat } from "../factories/webchat-client.ts";

type Ready = Extract<WebchatServerFrame, { type: "ready" }>;
const isReady = (f: WebchatServerFrame): f is Ready => f.type === "ready";

function capturingLogger(level: "debug" | "warn") {
  const lines: { level: number; msg: string; role?: string; key?: string; sessionKey?: string }[] = [];
  const logger = pino(
    { level },
    { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
  );
  return { logger, lines };
}

/** Fails the test when any promise rejection went unhandled or ioredis had no 'error' listener. */
function watchForUnhandled() {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  onTestFinished(() => {
    process.off("unhandledRejection", onUnhandled);
  });
  // ioredis prints this (instead of throwing) when an 'error' event has no listener.
  const consoleErrors = vi.spyOn(console, "error");
  return () => {
    expect(unhandled).toEqual([]);
    expect(
      consoleErrors.mock.calls.filter((args) => String(args[0]).includes("Unhandled error event")),
    ).toEqual([]);
  };
}

/** "up" or "down", from the bus's own readiness check. */
function busState(bus: Bus): Promise<"up" | "down"> {
  return bus.ping().then(
    () => "up",
    () => "down",
  );
}

async function readiness(
  url: string,
): Promise<{ status: number; body: { checks?: Record<string, string> } }> {
  const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as { checks?: Record<string, string> } };
}

/**
 * The gateway runs on its own redis-server, which is SIGKILLed mid-session and started again on the same
 * port: the gateway must keep serving (no unhandled rejection, health answers, readiness says the bus is
 * down) and recover by itself once Redis is back.
 */
describe("gateway on a Redis bus that goes down and comes back", () => {
  afterEach(() => vi.restoreAllMocks());

  it("keeps serving while Redis is gone and recovers when it returns", { timeout: 90_000 }, async () => {
    const assertNothingUnhandled = watchForUnhandled();
    const { logger, lines: logLines } = capturingLogger("warn");

    const port = await freePort();
    let redis = await startRedisServer(port);
    const setup = await startEmbedded({ bus: redis.url, logger });
    const { gateway } = setup;

    // Record how each socket's unsubscribe ends: it must settle (reject), not hang, while Redis is down.
    const bus = gateway.bus;
    const subscribe = bus.subscribe.bind(bus);
    const unsubscribeOutcomes: string[] = [];
    vi.spyOn(bus, "subscribe").mockImplementation(async (topic, handler) => {
      const unsubscribe = await subscribe(topic, handler);
      return () =>
        unsubscribe().then(
          () => void unsubscribeOutcomes.push("resolved"),
          (error: unknown) => {
            unsubscribeOutcomes.push("rejected");
            throw error;
          },
        );
    });

    const first = await connectWebchat(gateway.url, setup.webToken, { userId: "u-outage", sessionId: "s1" });
    const firstKey = first.frames.find(isReady)!.sessionKey;
    expect((await readiness(gateway.url)).status).toBe(200);

    await redis.kill();
    await first.close();
    await waitFor(() => unsubscribeOutcomes.length > 0, 15_000, "the unsubscribe to settle");
    expect(unsubscribeOutcomes).toEqual(["rejected"]);
    await waitFor(
      () => logLines.find((l) => l.msg === "web chat unsubscribe failed" && l.sessionKey === firstKey),
      5_000,
      "the failed unsubscribe to be logged",
    );

    const health = await fetch(`${gateway.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
    expect(health.status).toBe(200);
    const down = await readiness(gateway.url);
    expect(down.status).toBe(503);
    expect(down.body.checks).toMatchObject({ bus: "unavailable", store: "ok" });

    redis = await startRedisServer(port);
    await waitFor(
      async () => (await readiness(gateway.url)).status === 200,
      20_000,
      "/readyz to be ready again",
    );
    const second = await connectWebchat(gateway.url, setup.webToken, { userId: "u-outage", sessionId: "s2" });
    expect(second.frames.find(isReady)?.sessionKey).toBeTruthy();

    // ioredis resubscribes the first session's channel on reconnect (its UNSUBSCRIBE never arrived); the
    // bus drops it again, so channels of closed sockets do not pile up across outages.
    const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    probe.on("error", () => {}); // the test's own probe: a failure shows in the assertions below
    onTestFinished(() => {
      probe.disconnect();
    });
    await probe.connect();
    await waitFor(
      async () => {
        const channels = await probe.pubsub("CHANNELS", "*");
        return !channels.some((channel) => String(channel).includes(firstKey));
      },
      10_000,
      "the closed socket's channel to be unsubscribed",
    );

    assertNothingUnhandled();
  });
});

describe("Redis bus while its Redis is down", () => {
  afterEach(() => vi.restoreAllMocks());

  it("rejects calls instead of hanging, logs the outage without repeating it, and recovers", async () => {
    const assertNothingUnhandled = watchForUnhandled();
    const { logger, lines } = capturingLogger("warn");
    const port = await freePort();
    const redis = await startRedisServer(port);
    const bus = await createRedisBus(redis.url, { logger, lockTtlMs: 300 });
    onTestFinished(() => bus.close());
    const seen: unknown[] = [];
    const unsubscribe = await bus.subscribe("t", (m) => seen.push(m));

    // A lock held across the outage: its renewal timer fails every 100 ms and must only log.
    let releaseHolder!: () => void;
    const holding = bus.withLock("k", () => new Promise<void>((resolve) => (releaseHolder = resolve)));
    await waitFor(() => releaseHolder !== undefined, 5_000, "the lock to be held");

    await redis.kill();
    const bounded = { timeout: 10_000, interval: 50 };
    await expect.poll(() => busState(bus), bounded).toBe("down");
    // Each call fails after a few reconnect attempts or at the latest at the 5 s command timeout.
    const started = Date.now();
    await expect(bus.publish("t", { lost: true })).rejects.toThrow();
    await expect(unsubscribe()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(11_000);

    await waitFor(
      () => lines.some((l) => l.msg === "bus lock could not be renewed"),
      5_000,
      "a failed renewal",
    );
    releaseHolder();
    await holding;
    expect(lines.some((l) => l.msg === "bus lock could not be released; it expires by itself")).toBe(true);
    // Both connections report the outage, but not once per reconnect attempt (there were several by now); a
    // connection reset before the refusals may add one more line each.
    const outages = lines.filter((l) => l.msg === "redis connection error; reconnecting");
    expect(new Set(outages.map((l) => l.role))).toEqual(new Set(["commands", "subscriber"]));
    expect(outages.length).toBeLessThanOrEqual(4);

    await startRedisServer(port);
    await expect.poll(() => busState(bus), { ...bounded, timeout: 20_000 }).toBe("up");
    await bus.subscribe("t2", (m) => seen.push(m));
    await bus.publish("t2", { back: true });
    await expect.poll(() => seen, bounded).toEqual([{ back: true }]);
    assertNothingUnhandled();
  });

  it("handles ioredis 'error' events without a logger too", async () => {
    const assertNothingUnhandled = watchForUnhandled();
    const port = await freePort();
    const redis = await startRedisServer(port);
    const bus = await createRedisBus(redis.url);
    onTestFinished(() => bus.close());
    await redis.kill();
    await expect.poll(() => busState(bus), { timeout: 10_000 }).toBe("down");
    await expect(bus.publish("t", {})).rejects.toThrow();
    assertNothingUnhandled();
  });

  it("fails to open when Redis is not there", async () => {
    const port = await freePort();
    await expect(createRedisBus(`redis://127.0.0.1:${port}`)).rejects.toThrow();
  });
});
