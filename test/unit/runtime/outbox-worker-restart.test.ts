import { describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import {
  createOutboxWorker,
  type OutboxWorker,
  type OutboxHandler,
} from "../../../src/runtime/outbox-worker.ts";
import type { Store } from "../../../src/store/types.ts";
import { createSilentLogger } from "../../../src/telemetry/logger.ts";
import { waitFor } from "../../factories/wait-for.ts";
import { manualClock, unique, settled, fromSync, useRuntimeStore } from "./runtime-test-kit.ts";

let store: Store;
const workers: OutboxWorker[] = [];
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
