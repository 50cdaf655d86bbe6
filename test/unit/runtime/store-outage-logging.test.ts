import { describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import { createOutboxWorker, type OutboxWorker } from "../../../src/runtime/outbox-worker.ts";
import { createTimerService, type TimerService } from "../../../src/runtime/timer-service.ts";
import type { Store } from "../../../src/store/types.ts";
import { waitFor } from "../../factories/wait-for.ts";
import { capturedLogger, settled, unique, useRuntimeStore } from "./runtime-test-kit.ts";

let store: Store;
const running: (OutboxWorker | TimerService)[] = [];
useRuntimeStore((opened) => (store = opened), running);

/**
 * The real store, with a switch that makes every call of its outbox and timers fail the way an unreachable
 * PostgreSQL does, and counts the calls refused meanwhile.
 */
function switchableStore() {
  let down = false;
  let refused = 0;
  const guard = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, key, receiver) {
        const value: unknown = Reflect.get(object, key, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (!down) return (value as (...a: unknown[]) => unknown).apply(object, args);
          refused += 1;
          return Promise.reject(new BatonError("BATON_ERR_STORE_UNAVAILABLE"));
        };
      },
    });
  return {
    store: { outbox: guard(store.outbox), timers: guard(store.timers) },
    set down(value: boolean) {
      down = value;
    },
    get refused() {
      return refused;
    },
  };
}

function linesOf(lines: readonly Record<string, unknown>[], msg: string, level: number): number {
  return lines.filter((line) => line.msg === msg && line.level === level).length;
}

const error = 50;
const info = 30;
const debug = 20;

describe("runtime loops while the store is down", () => {
  it("log the outbox claim failure once, its repeats at debug, and the recovery", async () => {
    const { logger, lines } = capturedLogger();
    const outage = switchableStore();
    const sent: unknown[] = [];
    const kind = unique("send");
    const worker = createOutboxWorker({
      store: outage.store,
      logger,
      pollIntervalMs: 10,
      handlers: { [kind]: (payload) => settled(sent.push(payload)) },
    });
    running.push(worker);
    worker.start();
    outage.down = true;
    await waitFor(() => outage.refused >= 20, 5_000, "twenty refused claims");
    outage.down = false;
    await store.outbox.enqueue([{ orderingKey: unique("k"), kind, payload: { n: 1 } }]);
    await waitFor(() => sent.length === 1, 5_000, "the item sent after the outage");

    const failed = "outbox claim failed; retrying at the next poll";
    expect(linesOf(lines, failed, error)).toBe(1);
    expect(linesOf(lines, failed, debug)).toBeGreaterThanOrEqual(19);
    expect(linesOf(lines, "outbox claims work again", info)).toBe(1);
    expect(lines.find((l) => l.msg === failed)).toMatchObject({ code: "BATON_ERR_STORE_UNAVAILABLE" });
  });

  it("log the timer claim and the next-timer read once each, and their recovery", async () => {
    const { logger, lines } = capturedLogger();
    const outage = switchableStore();
    const fired: string[] = [];
    const kind = unique("inactivity");
    const timers = createTimerService({
      store: outage.store,
      logger,
      pollIntervalMs: 10,
      handlers: { [kind]: (_payload, context) => settled(fired.push(context.id)) },
    });
    running.push(timers);
    timers.start();
    outage.down = true;
    await waitFor(() => outage.refused >= 40, 5_000, "twenty refused rounds");
    outage.down = false;
    const id = unique("timer");
    await store.timers.schedule(id, kind, new Date(Date.now() - 1), {});
    await waitFor(() => fired.includes(id), 5_000, "the timer fired after the outage");

    for (const [failed, restored] of [
      ["timer claim failed; retrying at the next poll", "timer claims work again"],
      ["next timer could not be read", "next timer can be read again"],
    ] as const) {
      expect(linesOf(lines, failed, error)).toBe(1);
      expect(linesOf(lines, failed, debug)).toBeGreaterThanOrEqual(10);
      expect(linesOf(lines, restored, info)).toBe(1);
    }
  });
});
