import { describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import { createOutboxWorker, type OutboxHandler } from "../../../src/runtime/outbox-worker.ts";
import { startInstance } from "../../../src/runtime/instance.ts";
import type { Store } from "../../../src/store/types.ts";
import { createSilentLogger } from "../../../src/telemetry/logger.ts";
import { waitFor } from "../../factories/wait-for.ts";
import { deferred, manualClock, unique, settled, fromSync, useRuntimeStore } from "./runtime-test-kit.ts";

let store: Store;
const workers: { stop(): Promise<unknown> }[] = [];
useRuntimeStore((opened) => (store = opened), workers);

function worker(handlers: Record<string, OutboxHandler>, clock: () => number, drainTimeoutMs = 5_000) {
  const w = createOutboxWorker({
    store,
    handlers,
    logger: createSilentLogger(),
    clock,
    pollIntervalMs: 60_000,
    drainTimeoutMs,
    backoff: { random: () => 1 },
  });
  workers.push(w);
  return w;
}

describe("outbox worker: restarts", () => {
  it("sends what was enqueued while no worker ran, in order, once a worker starts", async () => {
    const key = unique("conv");
    const clock = manualClock();
    await store.outbox.enqueue([1, 2, 3].map((n) => ({ orderingKey: key, kind: "send", payload: { n } })));
    const sent: unknown[] = [];
    const w = worker({ send: (payload) => settled(sent.push(payload["n"])) }, clock.now);
    w.start();
    await waitFor(() => sent.length === 3);
    expect(sent).toEqual([1, 2, 3]);
  });

  it("picks up a retry a stopped worker scheduled, when it is due", async () => {
    const key = unique("conv");
    const clock = manualClock();
    const first = worker(
      {
        send: fromSync(() => {
          throw new BatonError("BATON_ERR_8X8_UNAVAILABLE", { operation: "x" });
        }),
      },
      clock.now,
    );
    first.start();
    const [item] = await store.outbox.enqueue([{ orderingKey: key, kind: "send", payload: {} }]);
    first.kick();
    await first.idle();
    await first.stop();

    const sent: number[] = [];
    const second = worker({ send: (_p, context) => settled(sent.push(context.attempt)) }, clock.now);
    second.start();
    await second.idle();
    expect(sent).toEqual([]);
    clock.advance(500);
    second.kick();
    await second.idle();
    expect(sent).toEqual([2]);
    expect((await store.outbox.get(item!.id))?.status).toBe("done");
  });

  it("re-runs the item of a worker that died mid-call once its lease ends, then the rest of its key", async () => {
    const key = unique("conv");
    const clock = manualClock();
    let hung = false;
    // The first worker's call never returns: as good as a crash, its claim is left behind.
    const crashed = worker(
      {
        send: () => {
          hung = true;
          return new Promise<void>(() => undefined);
        },
      },
      clock.now,
      50,
    );
    crashed.start();
    const [first, second] = await store.outbox.enqueue([
      { orderingKey: key, kind: "send", payload: { n: 1 } },
      { orderingKey: key, kind: "send", payload: { n: 2 } },
    ]);
    crashed.kick();
    await waitFor(() => hung);
    await crashed.stop();
    expect((await store.outbox.get(first!.id))?.lockedUntil).toEqual(new Date(clock.start + 60_000));

    const sent: unknown[] = [];
    const next = worker(
      { send: (payload, context) => settled(sent.push([payload["n"], context.attempt])) },
      clock.now,
    );
    next.start();
    await next.idle();
    expect(sent).toEqual([]);
    clock.advance(60_000);
    next.kick();
    await waitFor(() => sent.length === 2);
    expect(sent).toEqual([
      [1, 2],
      [2, 1],
    ]);
    expect((await store.outbox.get(second!.id))?.status).toBe("done");
  });
});

describe("outbox worker: taking over from an instance that died", () => {
  /** A worker of its own instance; real time, since heartbeats are the database's clock. */
  async function instanceWorker(
    handlers: Record<string, OutboxHandler>,
    timing = { beatIntervalMs: 50, staleAfterMs: 400 },
    concurrency?: number,
  ) {
    const instance = await startInstance({ store, logger: createSilentLogger(), bus: "redis", timing });
    const w = createOutboxWorker({
      store,
      handlers,
      logger: createSilentLogger(),
      pollIntervalMs: 20,
      drainTimeoutMs: 50,
      instanceId: instance.id,
      staleAfterMs: instance.timing.staleAfterMs,
      ...(concurrency === undefined ? {} : { concurrency }),
    });
    workers.push(w, { stop: () => instance.stop() });
    return { instance, worker: w };
  }

  it("resumes the dead instance's item within its silence threshold, not its lease, and marks it to check first", async () => {
    const key = unique("conv");
    let hung = false;
    const crashed = await instanceWorker({
      send: () => {
        hung = true;
        return new Promise<void>(() => undefined);
      },
    });
    const [first, second] = await store.outbox.enqueue([
      { orderingKey: key, kind: "send", payload: { n: 1 } },
      { orderingKey: key, kind: "send", payload: { n: 2 } },
    ]);
    crashed.worker.start();
    await waitFor(() => hung);
    // As good as a SIGKILL: no more beats, no more claims, its row and its one-minute lease left behind.
    await crashed.worker.stop();
    await crashed.instance.stop({ keepRow: true });
    expect((await store.outbox.get(first!.id))?.lockedBy).toBe(crashed.instance.id);

    const sent: unknown[] = [];
    const next = await instanceWorker({
      send: (payload, context) => settled(sent.push([payload["n"], context.attempt, context.checkFirst])),
    });
    next.worker.start();
    await waitFor(() => sent.length === 2, 5_000, "both items sent by the next instance");
    expect(sent).toEqual([
      [1, 2, true],
      [2, 1, false],
    ]);
    expect(await store.outbox.get(second!.id)).toMatchObject({ status: "done", lockedBy: next.instance.id });
  });

  it("resumes at once the item of an instance whose row is gone", async () => {
    const key = unique("conv");
    const [item] = await store.outbox.enqueue([{ orderingKey: key, kind: "send", payload: {} }]);
    // Claimed a moment ago by an instance that no longer has a row: its lease would run for a minute.
    await store.outbox.claimNext({
      now: new Date(),
      limit: 10,
      instanceId: unique("gone"),
      staleAfterMs: 400,
    });
    const contexts: boolean[] = [];
    const next = await instanceWorker({
      send: (_payload, context) => settled(contexts.push(context.checkFirst)),
    });
    next.worker.start();
    await waitFor(() => contexts.length === 1, 2_000, "the item resumed");
    expect(contexts).toEqual([true]);
    expect((await store.outbox.get(item!.id))?.status).toBe("done");
  });

  it("does not take an item from a live instance whose call is still running", async () => {
    const release = deferred();
    let claimedAt = 0;
    // A threshold generous enough that a loaded machine's late beats do not make the busy instance look dead.
    const timing = { beatIntervalMs: 100, staleAfterMs: 1_500 };
    // One slot, taken by the item: the marker below can only be claimed by the other instance.
    const busy = await instanceWorker(
      {
        send: () => {
          claimedAt = Date.now();
          return release.promise;
        },
      },
      timing,
      1,
    );
    busy.worker.start();
    const [item] = await store.outbox.enqueue([{ orderingKey: unique("conv"), kind: "send", payload: {} }]);
    busy.worker.kick();
    await waitFor(() => claimedAt > 0);
    const others: unknown[] = [];
    const other = await instanceWorker({ send: (payload) => settled(others.push(payload)) }, timing);
    other.worker.start();
    // Once the busy instance's claim is older than two silence thresholds, a marker enqueued behind the
    // item is claimed by the other worker: that claim would have taken the item too, had it counted as dead.
    await waitFor(() => Date.now() - claimedAt > 2 * timing.staleAfterMs, 10_000);
    await store.outbox.enqueue([{ orderingKey: unique("marker"), kind: "send", payload: { marker: true } }]);
    // A poll comes every 20 ms; the bound only keeps a loaded machine from failing a claim that is merely late.
    await waitFor(() => others.length >= 1, 10_000, "the other instance claiming the marker");
    expect(others).toEqual([{ marker: true }]);
    expect(await store.outbox.get(item!.id)).toMatchObject({ lockedBy: busy.instance.id, attempts: 1 });
    release.resolve();
    await waitFor(async () => (await store.outbox.get(item!.id))?.status === "done");
  }, 40_000);
});
