import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createMemoryBus } from "../../../src/bus/memory.ts";
import type { Bus } from "../../../src/bus/types.ts";
import { createPresence } from "../../../src/channels/webchat/presence.ts";
import type { StoredSession } from "../../../src/store/types.ts";
import { createSilentLogger } from "../../../src/telemetry/logger.ts";

const session = (id: string, endpointId = "web") => ({ id, endpointId }) as StoredSession;

/** One instance's presence on `bus`, recording every change it reports. */
function instance(
  bus: Bus,
  changes: [string, boolean][],
  graceMsFor = (_s: StoredSession): number | null => 5_000,
) {
  return createPresence({
    bus,
    logger: createSilentLogger(),
    graceMsFor,
    onChange: (s, connected) => {
      changes.push([s.id, connected]);
      return Promise.resolve();
    },
  });
}

describe("web chat presence", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("reports the user gone only after the last socket stayed closed for the grace, and back on return", async () => {
    const changes: [string, boolean][] = [];
    const presence = instance(createMemoryBus(), changes);
    presence.join(session("a"));
    presence.join(session("a"));
    presence.leave(session("a"));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(changes).toEqual([]);
    presence.leave(session("a"));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(changes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(changes).toEqual([["a", false]]);
    presence.join(session("a"));
    await vi.advanceTimersByTimeAsync(0);
    expect(changes).toEqual([
      ["a", false],
      ["a", true],
    ]);
  });

  it("says nothing when a reload comes back within the grace", async () => {
    const changes: [string, boolean][] = [];
    const presence = instance(createMemoryBus(), changes);
    presence.join(session("b"));
    presence.leave(session("b"));
    await vi.advanceTimersByTimeAsync(2_000);
    presence.join(session("b"));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(changes).toEqual([]);
  });

  it("never reports for an endpoint whose presence notices are off", async () => {
    const changes: [string, boolean][] = [];
    const presence = instance(createMemoryBus(), changes, (s) => (s.endpointId === "quiet" ? null : 1_000));
    presence.join(session("c", "quiet"));
    presence.leave(session("c", "quiet"));
    await vi.advanceTimersByTimeAsync(60_000);
    presence.join(session("c", "quiet"));
    await vi.advanceTimersByTimeAsync(0);
    expect(changes).toEqual([]);
  });

  it("starts no grace once closed (a gateway shutting down closes every socket)", async () => {
    const changes: [string, boolean][] = [];
    const presence = instance(createMemoryBus(), changes);
    presence.join(session("d"));
    presence.close();
    presence.leave(session("d"));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(changes).toEqual([]);
  });
});

/** Two instances on one bus: what the Redis bus gives several gateways, here in one process. */
describe("web chat presence across instances sharing a bus", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("does not report the user gone while a socket is open on another instance", async () => {
    const bus = createMemoryBus();
    const changes: [string, boolean][] = [];
    const a = instance(bus, changes);
    const b = instance(bus, changes);
    a.join(session("e"));
    b.join(session("e"));
    a.leave(session("e"));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(changes).toEqual([]);

    // The last socket, on B: "left" once, although A's grace had run too.
    b.leave(session("e"));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(changes).toEqual([["e", false]]);
  });

  it("reports the user back on the instance they return to, once, and a reload across instances says nothing", async () => {
    const bus = createMemoryBus();
    const changes: [string, boolean][] = [];
    const a = instance(bus, changes);
    const b = instance(bus, changes);
    a.join(session("f"));
    a.leave(session("f"));
    await vi.advanceTimersByTimeAsync(1_000);
    b.join(session("f")); // a reload that landed on B within A's grace
    await vi.advanceTimersByTimeAsync(60_000);
    expect(changes).toEqual([]);

    b.leave(session("f"));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(changes).toEqual([["f", false]]);
    a.join(session("f"));
    b.join(session("f"));
    await vi.advanceTimersByTimeAsync(0);
    expect(changes).toEqual([
      ["f", false],
      ["f", true],
    ]);
  });

  it("keeps the order left, then back, when the user returns as the grace runs out", async () => {
    const bus = createMemoryBus();
    const changes: [string, boolean][] = [];
    // A slow "left" (the conversation's lock is busy): the "back" on B must wait for it, not overtake it.
    let releaseLeft!: () => void;
    const slowLeft = new Promise<void>((resolve) => (releaseLeft = resolve));
    const a = createPresence({
      bus,
      logger: createSilentLogger(),
      graceMsFor: () => 5_000,
      onChange: async (s, connected) => {
        await slowLeft;
        changes.push([s.id, connected]);
      },
    });
    const b = instance(bus, changes);
    a.join(session("g"));
    a.leave(session("g"));
    await vi.advanceTimersByTimeAsync(5_000);
    b.join(session("g"));
    await vi.advanceTimersByTimeAsync(100);
    expect(changes).toEqual([]);
    releaseLeft();
    await vi.advanceTimersByTimeAsync(0);
    expect(changes).toEqual([
      ["g", false],
      ["g", true],
    ]);
  });
});
