import { describe, expect, it } from "vitest";
import { isBatonError } from "../../../src/errors/index.ts";
import {
  busKindOf,
  startInstance,
  type Instance,
  type InstanceOptions,
} from "../../../src/runtime/instance.ts";
import type { Store } from "../../../src/store/types.ts";
import { createSilentLogger } from "../../../src/telemetry/logger.ts";
import { waitFor } from "../../factories/wait-for.ts";
import { capturedLogger, unique, useRuntimeStore } from "./runtime-test-kit.ts";

let store: Store;
const running: Instance[] = [];
useRuntimeStore((opened) => (store = opened), running);

const fast = { beatIntervalMs: 40, staleAfterMs: 400 };

async function start(options: Partial<InstanceOptions> = {}): Promise<Instance> {
  const instance = await startInstance({
    store,
    logger: createSilentLogger(),
    bus: "redis",
    timing: fast,
    ...options,
  });
  running.push(instance);
  return instance;
}

/**
 * The same PGlite store presented as PostgreSQL: the bus check only runs on a shared store, and what it reads
 * is the instances table, which behaves the same on both (the store contract runs it on each).
 */
function asSharedStore(): InstanceOptions["store"] {
  return { dialect: "postgres", instances: store.instances };
}

async function row(id: string) {
  return (await store.instances.list()).find((instance) => instance.id === id);
}

describe("instance identity and heartbeat", () => {
  it("registers a row with its bus, host and pid and keeps its heartbeat moving", async () => {
    const instance = await start({ bus: "memory", host: "gw-1.example", pid: 4711 });
    const first = await row(instance.id);
    expect(first).toMatchObject({ bus: "memory", host: "gw-1.example", pid: 4711 });
    await waitFor(
      async () => ((await row(instance.id))?.heartbeatAt.getTime() ?? 0) > first!.heartbeatAt.getTime(),
      2_000,
      "a later beat",
    );
  });

  it("removes its row on stop, or leaves it to go silent when asked to keep it", async () => {
    const closed = await start();
    const crashedLike = await start();
    await closed.stop();
    await crashedLike.stop({ keepRow: true });
    expect(await row(closed.id)).toBeUndefined();
    const left = await row(crashedLike.id);
    expect(left).toBeDefined();
    await waitFor(
      async () => !(await store.instances.listLive(fast.staleAfterMs)).some((i) => i.id === crashedLike.id),
      2_000,
      "the kept row going silent",
    );
    expect((await row(crashedLike.id))?.heartbeatAt).toEqual(left!.heartbeatAt);
  });

  it("writes its row again when it was deleted while it runs", async () => {
    const instance = await start();
    await store.instances.remove(instance.id);
    await waitFor(async () => (await row(instance.id)) !== undefined, 2_000, "the row back");
  });

  it("logs a failing beat and carries on; the next good beat is logged as recovered", async () => {
    const { logger, lines } = capturedLogger();
    let failBeats = 3;
    const flaky: InstanceOptions["store"] = {
      dialect: "pglite",
      instances: {
        ...store.instances,
        beat: (id) =>
          failBeats-- > 0 ? Promise.reject(new Error("connection reset")) : store.instances.beat(id),
      },
    };
    await start({ store: flaky, logger });
    await waitFor(() => lines.some((l) => l["msg"] === "instance heartbeat recovered"), 2_000, "recovery");
    const failures = lines.filter(
      (l) => l["msg"] === "instance heartbeat failed; trying again at the next beat",
    );
    // Logged once for the whole run of failures, not once per beat.
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 50 });
  });

  it("names the bus kind of a bus setting", () => {
    expect(busKindOf("memory")).toBe("memory");
    expect(busKindOf("redis://127.0.0.1:6379")).toBe("redis");
    expect(busKindOf("rediss://cache.example:6380")).toBe("redis");
  });
});

describe("the memory bus beside another instance", () => {
  it("refuses a memory-bus instance on a shared store where another live instance runs, naming it", async () => {
    const other = await start({ store: asSharedStore(), host: "gw-a.internal", pid: 101 });
    const error = await start({ store: asSharedStore(), bus: "memory", host: "gw-b.internal" }).catch(
      (e: unknown) => e,
    );
    expect(isBatonError(error) && error.code).toBe("BATON_ERR_BUS_MEMORY_SHARED_STORE");
    expect(isBatonError(error) && error.details).toMatchObject({
      field: "bus",
      bus: "memory",
      others: [{ id: other.id, host: "gw-a.internal", pid: 101, bus: "redis" }],
    });
    expect(isBatonError(error) && error.message).toContain("bus: redis://");
    expect(isBatonError(error) && error.message).toContain("gw-a.internal pid 101 (bus redis)");
    // The refused instance left nothing behind.
    expect((await store.instances.list()).map((i) => i.host)).not.toContain("gw-b.internal");
  });

  it("refuses any instance beside a live one that uses the memory bus", async () => {
    await start({ store: asSharedStore(), bus: "memory", host: unique("memory-host") });
    const error = await start({ store: asSharedStore(), bus: "redis" }).catch((e: unknown) => e);
    expect(isBatonError(error) && error.code).toBe("BATON_ERR_BUS_MEMORY_SHARED_STORE");
  });

  it("starts beside instances that all use Redis", async () => {
    await start({ store: asSharedStore(), bus: "redis" });
    const second = await start({ store: asSharedStore(), bus: "redis" });
    expect(await row(second.id)).toBeDefined();
  });

  it("starts when the other row is fresh but its process is dead (a quick restart after a kill)", async () => {
    const { logger, lines } = capturedLogger();
    // A row whose heartbeat no longer moves: registered a moment ago, then nothing.
    await store.instances.register({ id: unique("killed"), bus: "memory", host: "gw-a.internal", pid: 55 });
    const restarted = await start({ store: asSharedStore(), bus: "memory", logger });
    expect(await row(restarted.id)).toBeDefined();
    expect(lines.some((l) => l["msg"] === "instance registered")).toBe(true);
  });

  it("does not check on PGlite, which is one process by nature", async () => {
    await start({ bus: "memory" });
    const second = await start({ bus: "memory" });
    expect(await row(second.id)).toBeDefined();
  });

  it("tells a running memory-bus instance when another one has been running beside it", async () => {
    const { logger, lines } = capturedLogger();
    const watching = await start({ store: asSharedStore(), bus: "memory", logger });
    // Another instance that got past the start check (both started while the other's row looked dead).
    const sneaked = unique("sneaked");
    await store.instances.register({ id: sneaked, bus: "redis", host: "gw-c.internal", pid: 9 });
    const beating = setInterval(() => {
      store.instances.beat(sneaked).catch(() => undefined);
    }, 40);
    try {
      const alarm = await waitFor(
        () => lines.find((l) => (l["other"] as { id?: string } | undefined)?.id === sneaked),
        3_000,
        "the alarm about the other instance",
      );
      expect(alarm).toMatchObject({ level: 50, instanceId: watching.id, bus: "memory" });
    } finally {
      clearInterval(beating);
    }
  });
});
