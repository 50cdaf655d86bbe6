import { describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import {
  backoffDelay,
  createOutboxWorker,
  type OutboxWorker,
  type OutboxWorkerOptions,
} from "../../../src/runtime/outbox-worker.ts";
import type { OutboxItem, Store } from "../../../src/store/types.ts";
import {
  capturedLogger,
  manualClock,
  useRuntimeStore,
  unique,
  settled,
  fromSync,
} from "./runtime-test-kit.ts";

let store: Store;
const workers: OutboxWorker[] = [];
useRuntimeStore((opened) => (store = opened), workers);

const unavailable = (details: Record<string, unknown> = {}) =>
  new BatonError("BATON_ERR_8X8_UNAVAILABLE", { operation: "messages.send", ...details });

/** A worker on a manual clock whose backoff always takes the top of its window (random = 1). */
function setup(handlers: OutboxWorkerOptions["handlers"], options: Partial<OutboxWorkerOptions> = {}) {
  const clock = manualClock();
  const { logger, lines } = capturedLogger();
  const failed: { item: OutboxItem; error: unknown }[] = [];
  const worker = createOutboxWorker({
    store,
    handlers,
    logger,
    clock: clock.now,
    pollIntervalMs: 60_000,
    backoff: { random: () => 1 },
    onFailed: (item, error) => void failed.push({ item, error }),
    ...options,
  });
  workers.push(worker);
  worker.start();
  /** Moves the clock, then lets the worker process everything due. */
  const at = async (msFromStart: number) => {
    clock.advance(clock.start + msFromStart - clock.now());
    worker.kick();
    await worker.idle();
  };
  return { clock, worker, lines, failed, at };
}

describe("outbox worker: retries and failures", () => {
  it("backs off exponentially with jitter, from 0.5 s up to a 30 s cap", () => {
    const top = { random: () => 1 };
    const bottom = { random: () => 0 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, top))).toEqual([500, 1_000, 2_000, 4_000]);
    expect([1, 2, 3].map((n) => backoffDelay(n, bottom))).toEqual([250, 500, 1_000]);
    expect(backoffDelay(30, top)).toBe(30_000);
    expect(backoffDelay(30, bottom)).toBe(15_000);
  });

  it("retries a transient failure after the backoff, then completes it", async () => {
    const key = unique("conv");
    const calls: number[] = [];
    const { clock, worker, at } = setup({
      send: fromSync(() => {
        calls.push(clock.now() - clock.start);
        if (calls.length <= 2) throw unavailable();
      }),
    });
    const [item] = await store.outbox.enqueue([{ orderingKey: key, kind: "send", payload: {} }]);
    worker.kick();
    await worker.idle();
    expect(await store.outbox.get(item!.id)).toMatchObject({
      status: "pending",
      attempts: 1,
      nextAttemptAt: new Date(clock.start + 500),
    });
    expect((await store.outbox.get(item!.id))?.lastError).toMatch(/^BATON_ERR_8X8_UNAVAILABLE: /);
    await at(499);
    expect(calls).toEqual([0]);
    await at(500);
    expect(calls).toEqual([0, 500]);
    expect((await store.outbox.get(item!.id))?.nextAttemptAt).toEqual(new Date(clock.start + 1_500));
    await at(1_500);
    expect(calls).toEqual([0, 500, 1_500]);
    expect(await store.outbox.get(item!.id)).toMatchObject({ status: "done", attempts: 3 });
  });

  it("waits as long as Retry-After asked, instead of the backoff", async () => {
    const calls: number[] = [];
    const { clock, worker, at } = setup({
      send: fromSync(() => {
        calls.push(clock.now() - clock.start);
        if (calls.length === 1) throw unavailable({ retryAfterMs: 120_000 });
      }),
    });
    const [item] = await store.outbox.enqueue([{ orderingKey: unique("conv"), kind: "send", payload: {} }]);
    worker.kick();
    await worker.idle();
    expect((await store.outbox.get(item!.id))?.nextAttemptAt).toEqual(new Date(clock.start + 120_000));
    await at(119_999);
    expect(calls).toEqual([0]);
    await at(120_000);
    expect(calls).toEqual([0, 120_000]);
    expect((await store.outbox.get(item!.id))?.status).toBe("done");
  });

  it("fails a permanent rejection at once, tells onFailed, and lets the key go on", async () => {
    const key = unique("conv");
    const sent: unknown[] = [];
    const rejection = new BatonError("BATON_ERR_8X8_REQUEST_REJECTED", {
      operation: "conversations.create",
      status: 400,
    });
    const { worker, failed } = setup({
      create: fromSync(() => {
        throw rejection;
      }),
      send: (payload) => settled(sent.push(payload)),
    });
    const [create] = await store.outbox.enqueue([
      { orderingKey: key, kind: "create", payload: {} },
      { orderingKey: key, kind: "send", payload: { after: "create" } },
    ]);
    worker.kick();
    await worker.idle();
    expect(await store.outbox.get(create!.id)).toMatchObject({ status: "failed", attempts: 1 });
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toBe(rejection);
    expect(failed[0]!.item).toMatchObject({
      id: create!.id,
      kind: "create",
      orderingKey: key,
      status: "failed",
    });
    expect(sent).toEqual([{ after: "create" }]);
  });

  it("treats an input the 8x8 client refused to send as permanent too", async () => {
    const { worker, failed } = setup({
      send: fromSync(() => {
        throw new BatonError("BATON_ERR_8X8_INPUT_INVALID", { field: "properties" });
      }),
    });
    const [item] = await store.outbox.enqueue([{ orderingKey: unique("conv"), kind: "send", payload: {} }]);
    worker.kick();
    await worker.idle();
    expect((await store.outbox.get(item!.id))?.status).toBe("failed");
    expect(failed.map((f) => f.item.id)).toEqual([item!.id]);
  });

  it("gives up after the maximum attempts: dead, and onFailed is told", async () => {
    let calls = 0;
    const { worker, failed, at } = setup(
      {
        send: fromSync(() => {
          calls += 1;
          throw unavailable();
        }),
      },
      { maxAttempts: 3 },
    );
    const [item] = await store.outbox.enqueue([{ orderingKey: unique("conv"), kind: "send", payload: {} }]);
    worker.kick();
    await worker.idle();
    await at(10_000);
    expect(failed).toEqual([]);
    await at(20_000);
    expect(calls).toBe(3);
    expect(await store.outbox.get(item!.id)).toMatchObject({ status: "dead", attempts: 3 });
    expect(failed.map((f) => [f.item.id, f.item.status])).toEqual([[item!.id, "dead"]]);
    await at(100_000);
    expect(calls).toBe(3);
  });

  it("keeps retrying a passing failure for its whole retry budget, then gives it up as dead", async () => {
    let calls = 0;
    const { worker, failed, lines, at } = setup(
      {
        send: fromSync(() => {
          calls += 1;
          throw unavailable();
        }),
      },
      { retryForMs: 10 * 60_000 },
    );
    const [item] = await store.outbox.enqueue([{ orderingKey: unique("conv"), kind: "send", payload: {} }]);
    worker.kick();
    await worker.idle();
    // Far more attempts than a count limit of 10 would have allowed, the backoff capped at 30 s.
    for (let minute = 1; minute < 10; minute++) {
      for (let second = 0; second < 60; second += 30) await at(minute * 60_000 + second * 1_000);
    }
    expect(calls).toBeGreaterThan(15);
    expect(await store.outbox.get(item!.id)).toMatchObject({ status: "pending" });
    expect(failed).toEqual([]);
    await at(10 * 60_000 + 30_000);
    expect(await store.outbox.get(item!.id)).toMatchObject({ status: "dead" });
    expect(failed.map((f) => [f.item.id, f.item.status])).toEqual([[item!.id, "dead"]]);
    expect(lines.find((l) => l["status"] === "dead")).toMatchObject({
      msg: "outbox item gave up: not delivered within its retry budget",
      code: "BATON_ERR_8X8_UNAVAILABLE",
    });
  });

  it("has the next attempt check first after an ambiguous failure, and keeps it so until done", async () => {
    const checks: boolean[] = [];
    const { worker, at } = setup({
      send: (_payload, context) => {
        checks.push(context.checkFirst);
        if (checks.length === 1) return Promise.reject(unavailable({ reason: "timeout", ambiguous: true }));
        if (checks.length === 2) return Promise.reject(unavailable({ status: 503 }));
        return Promise.resolve();
      },
    });
    const [item] = await store.outbox.enqueue([{ orderingKey: unique("conv"), kind: "send", payload: {} }]);
    worker.kick();
    await worker.idle();
    expect((await store.outbox.get(item!.id))?.checkFirst).toBe(true);
    await at(500);
    await at(1_500);
    expect(checks).toEqual([false, true, true]);
    expect((await store.outbox.get(item!.id))?.status).toBe("done");
  });

  it("does not ask for a check after a failure that proves nothing was done", async () => {
    const checks: boolean[] = [];
    const { worker, at } = setup({
      send: (_payload, context) => {
        checks.push(context.checkFirst);
        return checks.length === 1 ? Promise.reject(unavailable({ status: 503 })) : Promise.resolve();
      },
    });
    await store.outbox.enqueue([{ orderingKey: unique("conv"), kind: "send", payload: {} }]);
    worker.kick();
    await worker.idle();
    await at(500);
    expect(checks).toEqual([false, false]);
  });

  it("fails an item whose kind has no handler", async () => {
    const { worker, failed } = setup({});
    const [item] = await store.outbox.enqueue([
      { orderingKey: unique("conv"), kind: "teleport", payload: {} },
    ]);
    worker.kick();
    await worker.idle();
    expect((await store.outbox.get(item!.id))?.lastError).toMatch(/^BATON_ERR_RUNTIME_HANDLER_MISSING: /);
    expect(failed).toHaveLength(1);
  });

  it("keeps going when the onFailed hook throws", async () => {
    const sent: unknown[] = [];
    const key = unique("conv");
    const { worker, lines } = setup(
      {
        bad: fromSync(() => {
          throw new BatonError("BATON_ERR_8X8_REQUEST_REJECTED", { operation: "x" });
        }),
        send: (payload) => settled(sent.push(payload)),
      },
      {
        onFailed: () => {
          throw new Error("hook broke");
        },
      },
    );
    await store.outbox.enqueue([
      { orderingKey: key, kind: "bad", payload: {} },
      { orderingKey: key, kind: "send", payload: { n: 2 } },
    ]);
    worker.kick();
    await worker.idle();
    expect(sent).toEqual([{ n: 2 }]);
    expect(lines.some((l) => l["msg"] === "outbox onFailed hook threw")).toBe(true);
  });

  it("logs each retry and failure with kind, key and code, never the payload", async () => {
    const key = unique("conv");
    let calls = 0;
    const { worker, lines, at } = setup({
      send: fromSync(() => {
        calls += 1;
        if (calls === 1) throw unavailable();
        throw new BatonError("BATON_ERR_8X8_REQUEST_REJECTED", { operation: "messages.send", status: 403 });
      }),
    });
    await store.outbox.enqueue([
      { orderingKey: key, kind: "send", payload: { text: "my card is 4111-1111", apiKey: "sk-very-secret" } },
    ]);
    worker.kick();
    await worker.idle();
    await at(500);
    const retry = lines.find((l) => l["msg"] === "outbox item retry");
    const failure = lines.find((l) => l["msg"] === "outbox item rejected for good");
    expect(retry).toMatchObject({
      kind: "send",
      orderingKey: key,
      code: "BATON_ERR_8X8_UNAVAILABLE",
      attempt: 1,
      delayMs: 500,
    });
    expect(failure).toMatchObject({
      kind: "send",
      orderingKey: key,
      code: "BATON_ERR_8X8_REQUEST_REJECTED",
      status: "failed",
    });
    const all = JSON.stringify(lines);
    expect(all).not.toContain("4111-1111");
    expect(all).not.toContain("sk-very-secret");
  });
});
