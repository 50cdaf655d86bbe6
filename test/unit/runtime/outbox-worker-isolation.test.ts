import { describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import {
  createOutboxWorker,
  type OutboxHandler,
  type OutboxWorker,
  type OutboxWorkerOptions,
} from "../../../src/runtime/outbox-worker.ts";
import type { Store } from "../../../src/store/types.ts";
import { createSilentLogger } from "../../../src/telemetry/logger.ts";
import { waitFor } from "../../factories/wait-for.ts";
import { deferred, unique, useRuntimeStore } from "./runtime-test-kit.ts";

let store: Store;
const workers: OutboxWorker[] = [];
useRuntimeStore((opened) => (store = opened), workers);

/** A worker on the real clock with the default concurrency: what a gateway runs. */
function worker(handlers: Record<string, OutboxHandler>, options: Partial<OutboxWorkerOptions> = {}) {
  const w = createOutboxWorker({
    store,
    handlers,
    logger: createSilentLogger(),
    pollIntervalMs: 20,
    ...options,
  });
  workers.push(w);
  w.start();
  return w;
}

const unavailable = () =>
  new BatonError("BATON_ERR_8X8_UNAVAILABLE", { operation: "messages.send", status: 503 });

describe("outbox worker: one conversation's failures never slow the others", () => {
  it("completes another key's items promptly and in order while one key keeps failing and backing off", async () => {
    const failing = unique("failing");
    const healthy = unique("healthy");
    const log: string[] = [];
    worker(
      {
        send: (payload, context) => {
          if (context.orderingKey === failing) {
            log.push(`A attempt ${context.attempt}`);
            return Promise.reject(unavailable());
          }
          log.push(`B ${String(payload["n"])}`);
          return Promise.resolve();
        },
      },
      { backoff: { initialMs: 10, maxMs: 40 } },
    );
    await store.outbox.enqueue([
      { orderingKey: failing, kind: "send", payload: { n: 0 } },
      { orderingKey: failing, kind: "send", payload: { n: 1 } },
    ]);
    await waitFor(() => log.includes("A attempt 2"), 5_000, "the failing key retrying");
    for (let n = 1; n <= 20; n++) {
      await store.outbox.enqueue([{ orderingKey: healthy, kind: "send", payload: { n } }]);
    }
    await waitFor(() => log.includes("B 20"), 5_000, "every item of the healthy key");
    const healthyOrder = log.filter((line) => line.startsWith("B "));
    expect(healthyOrder).toEqual(Array.from({ length: 20 }, (_, i) => `B ${i + 1}`));
    // The failing key is still on its first item: it kept retrying beside the healthy key, never blocking it.
    const [head, behind] = await store.outbox.listByKey(failing);
    expect(head).toMatchObject({ status: "pending" });
    expect(behind).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("does not let conversations whose calls are waiting (an in-process retry, a slow 8x8) take every slot", async () => {
    const release = deferred();
    const completed: string[] = [];
    const waiting = Array.from({ length: 12 }, () => unique("waiting"));
    const healthy = unique("healthy");
    let started = 0;
    worker({
      send: async (payload, context) => {
        if (context.orderingKey !== healthy) {
          started += 1;
          await release.promise;
          completed.push("waiting");
          return;
        }
        completed.push(`healthy ${String(payload["n"])}`);
      },
    });
    await store.outbox.enqueue(waiting.map((orderingKey) => ({ orderingKey, kind: "send", payload: {} })));
    await waitFor(() => started === waiting.length, 5_000, "every waiting call started");
    await store.outbox.enqueue(
      [1, 2, 3, 4, 5].map((n) => ({ orderingKey: healthy, kind: "send", payload: { n } })),
    );
    await waitFor(() => completed.length === 5, 5_000, "the healthy key's items");
    release.resolve();
    await waitFor(() => completed.length === 5 + waiting.length);
    expect(completed.slice(0, 5)).toEqual([1, 2, 3, 4, 5].map((n) => `healthy ${n}`));
    expect(completed.slice(5)).toEqual(waiting.map(() => "waiting"));
  });
});
