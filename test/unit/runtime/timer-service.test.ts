import { describe, expect, it } from "vitest";
import {
  createTimerService,
  type TimerService,
  type TimerServiceOptions,
} from "../../../src/runtime/timer-service.ts";
import type { Store } from "../../../src/store/types.ts";
import { waitFor } from "../../factories/wait-for.ts";
import {
  capturedLogger,
  manualClock,
  useRuntimeStore,
  unique,
  settled,
  fromSync,
} from "./runtime-test-kit.ts";

let store: Store;
const services: TimerService[] = [];
useRuntimeStore((opened) => (store = opened), services);

interface Fired {
  readonly id: string;
  readonly payload: Record<string, unknown>;
  /** Clock time at the call, relative to the clock's start. */
  readonly at: number;
}

/** A service whose handler for `kind` records every call. */
function service(kind: string, clock: () => number, options: Partial<TimerServiceOptions> = {}) {
  const fired: Fired[] = [];
  const s = createTimerService({
    store,
    clock,
    pollIntervalMs: 60_000,
    handlers: {
      [kind]: (payload, context) => settled(fired.push({ id: context.id, payload, at: clock() })),
    },
    ...options,
  });
  services.push(s);
  return { service: s, fired };
}

describe("timer service", () => {
  it("fires a timer once, when its second has come", async () => {
    const kind = unique("inactivity");
    const clock = manualClock();
    const { service: timers, fired } = service(kind, clock.now);
    const id = `handover:${unique("h")}:inactivity`;
    await timers.schedule(id, kind, new Date(clock.start + 30_000), { handoverId: "h1", count: 1 });
    clock.advance(29_999);
    await timers.fireDue();
    expect(fired).toEqual([]);
    clock.advance(1);
    await timers.fireDue();
    expect(fired).toEqual([{ id, payload: { handoverId: "h1", count: 1 }, at: clock.start + 30_000 }]);
    clock.advance(60_000);
    await timers.fireDue();
    expect(fired).toHaveLength(1);
    expect((await store.timers.get(id))?.status).toBe("fired");
  });

  it("fires once even when two instances look at the same moment", async () => {
    const kind = unique("inactivity");
    const clock = manualClock();
    const a = service(kind, clock.now);
    const b = service(kind, clock.now);
    const ids = [1, 2, 3].map((n) => `${unique("t")}-${n}`);
    for (const id of ids) await a.service.schedule(id, kind, new Date(clock.start + 1_000), {});
    clock.advance(1_000);
    await Promise.all([a.service.fireDue(), b.service.fireDue(), a.service.fireDue(), b.service.fireDue()]);
    expect([...a.fired, ...b.fired].map((f) => f.id).sort()).toEqual([...ids].sort());
  });

  it("does not fire a cancelled timer", async () => {
    const kind = unique("queue-wait");
    const clock = manualClock();
    const { service: timers, fired } = service(kind, clock.now);
    const id = unique("t");
    await timers.schedule(id, kind, new Date(clock.start + 1_000), {});
    expect(await timers.cancel(id)).toBe(true);
    clock.advance(5_000);
    await timers.fireDue();
    expect(fired).toEqual([]);
  });

  it("replaces a timer scheduled again under the same id", async () => {
    const kind = unique("inactivity");
    const clock = manualClock();
    const { service: timers, fired } = service(kind, clock.now);
    const id = unique("t");
    await timers.schedule(id, kind, new Date(clock.start + 1_000), { count: 1 });
    await timers.schedule(id, kind, new Date(clock.start + 3_000), { count: 2 });
    clock.advance(1_000);
    await timers.fireDue();
    expect(fired).toEqual([]);
    clock.advance(2_000);
    await timers.fireDue();
    expect(fired.map((f) => [f.payload, f.at - clock.start])).toEqual([[{ count: 2 }, 3_000]]);
  });

  it("survives a restart: a timer scheduled before it fires from a new service", async () => {
    const kind = unique("inactivity");
    const clock = manualClock();
    const before = service(kind, clock.now);
    const id = unique("t");
    await before.service.schedule(id, kind, new Date(clock.start + 2_000), { survived: true });
    before.service.start();
    await before.service.stop();

    clock.advance(2_000);
    const after = service(kind, clock.now);
    after.service.start();
    await waitFor(() => after.fired.length === 1);
    expect(after.fired[0]).toMatchObject({ id, payload: { survived: true } });
    expect(before.fired).toEqual([]);
  });

  it("tries a failing handler again later, then gives up after maxAttempts", async () => {
    const kind = unique("inactivity");
    const clock = manualClock();
    const { logger, lines } = capturedLogger();
    const calls: number[] = [];
    const timers = createTimerService({
      store,
      clock: clock.now,
      logger,
      pollIntervalMs: 60_000,
      maxAttempts: 2,
      retryDelayMs: 1_000,
      handlers: {
        [kind]: fromSync(() => {
          calls.push(clock.now() - clock.start);
          throw new Error("flow busy");
        }),
      },
    });
    services.push(timers);
    const id = unique("t");
    await timers.schedule(id, kind, new Date(clock.start), {});
    await timers.fireDue();
    expect(await store.timers.get(id)).toMatchObject({ status: "scheduled", lastError: "Error: flow busy" });
    clock.advance(999);
    await timers.fireDue();
    expect(calls).toEqual([0]);
    clock.advance(1);
    await timers.fireDue();
    expect(calls).toEqual([0, 1_000]);
    expect((await store.timers.get(id))?.status).toBe("fired");
    expect(lines.map((l) => l["msg"])).toEqual([
      "timer handler failed; retrying",
      "timer handler kept failing; timer given up",
    ]);
  });

  it("wakes up on time for a timer it armed, not a poll interval late", async () => {
    const kind = unique("inactivity");
    const { service: timers, fired } = service(kind, Date.now);
    timers.start();
    const due = Date.now() + 600;
    await timers.schedule(unique("t"), kind, new Date(due), {});
    await waitFor(() => fired.length === 1, 3_000);
    // The poll is a minute: only the armed wake-up can fire it this close to its due time.
    expect(fired[0]!.at).toBeGreaterThanOrEqual(due);
    expect(fired[0]!.at - due).toBeLessThan(200);
  });

  it("arms a wake-up for a timer another instance scheduled, found by its poll", async () => {
    const kind = unique("inactivity");
    // Polls at about 500 and 1000 ms: the first finds the timer and arms a wake-up for 700 ms; polling alone
    // would fire it some 300 ms late.
    const { service: timers, fired } = service(kind, Date.now, { pollIntervalMs: 500 });
    timers.start();
    const due = Date.now() + 700;
    await store.timers.schedule(unique("t"), kind, new Date(due), {});
    await waitFor(() => fired.length === 1, 3_000);
    expect(fired[0]!.at).toBeGreaterThanOrEqual(due);
    expect(fired[0]!.at - due).toBeLessThan(200);
  });
});
