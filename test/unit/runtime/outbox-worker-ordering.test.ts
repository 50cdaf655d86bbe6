import { describe, expect, it } from "vitest";
import { createOutboxWorker, type OutboxWorker } from "../../../src/runtime/outbox-worker.ts";
import type { Store } from "../../../src/store/types.ts";
import { createSilentLogger } from "../../../src/telemetry/logger.ts";
import { waitFor } from "../../factories/wait-for.ts";
import { deferred, useRuntimeStore, unique, type Deferred, settled } from "./runtime-test-kit.ts";

let store: Store;
const workers: OutboxWorker[] = [];
useRuntimeStore((opened) => (store = opened), workers);

/** A handler that records starts and ends and holds each item until the test releases it. */
function gatedHandler() {
  const events: string[] = [];
  const gates = new Map<string, Deferred>();
  const handler = async (payload: Record<string, unknown>) => {
    const name = String(payload["name"]);
    events.push(`start ${name}`);
    const gate = deferred();
    gates.set(name, gate);
    await gate.promise;
    events.push(`end ${name}`);
  };
  const started = (name: string) => waitFor(() => gates.get(name), 5_000, `${name} to start`);
  const release = async (name: string) => (await started(name)).resolve();
  return { events, gates, handler, started, release };
}

function worker(
  options: Partial<Parameters<typeof createOutboxWorker>[0]> &
    Pick<Parameters<typeof createOutboxWorker>[0], "handlers">,
) {
  const w = createOutboxWorker({ store, logger: createSilentLogger(), pollIntervalMs: 60_000, ...options });
  workers.push(w);
  return w;
}

describe("outbox worker: order and concurrency", () => {
  it("runs one key's items one at a time in order, and other keys beside them", async () => {
    const [a, b] = [unique("conv-a"), unique("conv-b")];
    const gated = gatedHandler();
    const w = worker({ handlers: { send: gated.handler } });
    w.start();
    await store.outbox.enqueue([
      { orderingKey: a, kind: "send", payload: { name: "a1" } },
      { orderingKey: a, kind: "send", payload: { name: "a2" } },
      { orderingKey: b, kind: "send", payload: { name: "b1" } },
      { orderingKey: a, kind: "send", payload: { name: "a3" } },
    ]);
    w.kick();
    await gated.started("a1");
    await gated.started("b1");
    // Give a worker that ignored the key's order every chance to start a2.
    w.kick();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(gated.gates.has("a2")).toBe(false);

    await gated.release("b1");
    await gated.release("a1");
    await gated.release("a2");
    await gated.release("a3");
    await waitFor(() => gated.events.includes("end a3"));
    await w.idle();
    const aEvents = gated.events.filter((e) => e.endsWith("a1") || e.endsWith("a2") || e.endsWith("a3"));
    expect(aEvents).toEqual(["start a1", "end a1", "start a2", "end a2", "start a3", "end a3"]);
    expect((await store.outbox.listByKey(a)).map((i) => i.status)).toEqual(["done", "done", "done"]);
  });

  it("keeps at most `concurrency` items running", async () => {
    const gated = gatedHandler();
    const w = worker({ handlers: { send: gated.handler }, concurrency: 2 });
    w.start();
    await store.outbox.enqueue(
      ["k1", "k2", "k3", "k4"].map((name) => ({
        orderingKey: unique(name),
        kind: "send",
        payload: { name },
      })),
    );
    w.kick();
    await gated.started("k1");
    await gated.started("k2");
    // Give a wrongly unbounded worker every chance to start a third.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(gated.gates.size).toBe(2);
    await gated.release("k1");
    await gated.started("k3");
    expect(gated.gates.size).toBe(3);
    for (const name of ["k2", "k3", "k4"]) await gated.release(name);
    await waitFor(() => gated.events.includes("end k4"));
  });

  it("sends at once on kick, without waiting for a poll", async () => {
    const sent: unknown[] = [];
    const w = worker({ handlers: { send: (payload) => settled(sent.push(payload)) } });
    w.start();
    await w.idle();
    await store.outbox.enqueue([{ orderingKey: unique("conv"), kind: "send", payload: { text: "now" } }]);
    const before = Date.now();
    w.kick();
    await w.idle();
    expect(sent).toEqual([{ text: "now" }]);
    expect(Date.now() - before).toBeLessThan(1_000);
  });

  it("finds items enqueued elsewhere by polling", async () => {
    const sent: unknown[] = [];
    const w = worker({ handlers: { send: (payload) => settled(sent.push(payload)) }, pollIntervalMs: 20 });
    w.start();
    await store.outbox.enqueue([
      { orderingKey: unique("conv"), kind: "send", payload: { from: "another instance" } },
    ]);
    await waitFor(() => sent.length === 1);
    expect(sent).toEqual([{ from: "another instance" }]);
  });

  it("gives handlers the item's id, kind, key, attempt number and whether to check first", async () => {
    const key = unique("conv");
    const contexts: unknown[] = [];
    const w = worker({ handlers: { send: (_payload, context) => settled(contexts.push(context)) } });
    w.start();
    const [item] = await store.outbox.enqueue([{ orderingKey: key, kind: "send", payload: {} }]);
    w.kick();
    await waitFor(() => contexts.length === 1);
    expect(contexts[0]).toEqual({
      id: item!.id,
      kind: "send",
      orderingKey: key,
      attempt: 1,
      createdAt: item!.createdAt,
      checkFirst: false,
    });
  });
});
