import { afterEach, describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import type { ReconcileOutcome, ReconcileSweep } from "../../../src/handover/reconcile.ts";
import {
  createReconcileScheduler,
  type ReconcileScheduler,
  type ReconcileSchedulerOptions,
  type ReconcileTarget,
} from "../../../src/runtime/reconcile-scheduler.ts";
import { waitFor } from "../../factories/wait-for.ts";

const caughtUp = (handoverId: string): ReconcileOutcome => ({
  handoverId,
  status: "caught-up",
  applied: 0,
  alreadyApplied: 0,
  state: "active",
});

interface RecordingTarget {
  readonly calls: string[];
  /** The most sweeps that ran at the same time. */
  readonly maxConcurrentSweeps: number;
  sweepResult: () => Promise<ReconcileSweep>;
  handoverResult: (handoverId: string) => Promise<ReconcileOutcome>;
  readonly api: ReconcileTarget;
}

/** A catch-up target that records its calls; each can be told what to answer. */
function recordingTarget(): RecordingTarget {
  const calls: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const target: RecordingTarget = {
    calls,
    get maxConcurrentSweeps() {
      return maxRunning;
    },
    sweepResult: () => Promise.resolve({ outcomes: [], failed: [] }),
    handoverResult: (id) => Promise.resolve(caughtUp(id)),
    api: {
      async open() {
        calls.push("open");
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        try {
          return await target.sweepResult();
        } finally {
          running -= 1;
        }
      },
      handover(handoverId) {
        calls.push(`handover ${handoverId}`);
        return target.handoverResult(handoverId);
      },
      conversation(providerId, conversationId) {
        calls.push(`conversation ${providerId}/${conversationId}`);
        return Promise.resolve(caughtUp(`h-${conversationId}`));
      },
    },
  };
  return target;
}

let scheduler: ReconcileScheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

function schedule(target: RecordingTarget, options: Partial<ReconcileSchedulerOptions> = {}) {
  scheduler = createReconcileScheduler({
    reconcile: target.api,
    intervalMs: 0,
    gapDelayMs: 10,
    retryInitialMs: 10,
    healthCheckMs: 10,
    ...options,
  });
  return scheduler;
}

describe("when catch-up runs", () => {
  it("sweeps every open handover once at start", async () => {
    const target = recordingTarget();
    const s = schedule(target);
    s.start();
    s.start();
    await s.idle();
    expect(target.calls).toEqual(["open"]);
  });

  it("catches up a conversation shortly after a gap is reported, once for gaps that arrive together", async () => {
    const target = recordingTarget();
    const s = schedule(target);
    for (let i = 0; i < 3; i++)
      s.gap("eight", { conversationId: "cv_1", reason: "BATON_ERR_STORE_UNAVAILABLE" });
    s.gap("eight", { conversationId: "cv_2", reason: "BATON_ERR_STORE_UNAVAILABLE" });
    await waitFor(() => target.calls.length === 2, 2_000, "both conversations caught up");
    await s.idle();
    expect(target.calls.sort()).toEqual(["conversation eight/cv_1", "conversation eight/cv_2"]);
  });

  it("sweeps after a gap that names no conversation (a request that could not be read)", async () => {
    const target = recordingTarget();
    const s = schedule(target);
    s.gap("eight", { reason: "BATON_ERR_WEBHOOK_KEY_UNAVAILABLE" });
    s.gap("eight", { reason: "BATON_ERR_WEBHOOK_KEY_UNAVAILABLE" });
    await waitFor(() => target.calls.includes("open"), 2_000, "the sweep after the gap");
    await s.idle();
    expect(target.calls).toEqual(["open"]);
  });

  it("retries a handover whose catch-up failed, with back-off, until it works", async () => {
    const target = recordingTarget();
    target.sweepResult = () =>
      Promise.resolve({ outcomes: [], failed: [{ handoverId: "h-1", error: new Error("503") }] });
    let failures = 2;
    target.handoverResult = (id) =>
      failures-- > 0
        ? Promise.reject(new BatonError("BATON_ERR_8X8_UNAVAILABLE", { status: 503 }))
        : Promise.resolve(caughtUp(id));
    const s = schedule(target);
    s.start();
    await waitFor(
      () => target.calls.filter((c) => c === "handover h-1").length === 3,
      5_000,
      "two failed retries and a third that works",
    );
    await s.idle();
    // Worked on the third retry: no more.
    const after = target.calls.length;
    await s.sweep("check");
    expect(target.calls.slice(after)).toEqual(["open"]);
  });

  it("does not retry an id no handover has", async () => {
    const target = recordingTarget();
    target.handoverResult = () =>
      Promise.reject(new BatonError("BATON_ERR_HANDOVER_UNKNOWN", { field: "handoverId" }));
    const s = schedule(target);
    await expect(s.handover("nope")).rejects.toMatchObject({ code: "BATON_ERR_HANDOVER_UNKNOWN" });
    s.gap("eight", { reason: "then a sweep" });
    await waitFor(() => target.calls.includes("open"), 2_000, "the sweep");
    await s.idle();
    expect(target.calls.filter((c) => c === "handover nope")).toHaveLength(1);
  });

  it("sweeps when the store comes back from an outage", async () => {
    const target = recordingTarget();
    let down = 3;
    const s = schedule(target, {
      health: [
        {
          name: "store",
          check: () => (down-- > 0 ? Promise.reject(new Error("unreachable")) : Promise.resolve()),
        },
      ],
    });
    s.start();
    await waitFor(
      () => target.calls.filter((c) => c === "open").length === 2,
      5_000,
      "the sweep after the outage",
    );
    expect(down).toBeLessThan(0);
  });

  it("runs a sweep asked for during another once more afterwards, never two at once", async () => {
    const target = recordingTarget();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    target.sweepResult = async () => {
      await gate;
      return { outcomes: [], failed: [] };
    };
    const s = schedule(target);
    const first = s.sweep("first");
    const second = s.sweep("second");
    const third = s.sweep("third");
    release();
    await Promise.all([first, second, third]);
    expect(target.calls).toEqual(["open", "open"]);
    expect(target.maxConcurrentSweeps).toBe(1);
  });

  it("sweeps periodically when an interval is set", async () => {
    const target = recordingTarget();
    const s = schedule(target, { intervalMs: 20 });
    s.start();
    await waitFor(() => target.calls.filter((c) => c === "open").length >= 3, 5_000, "periodic sweeps");
  });
});

describe("shutting down", () => {
  it("ends a running sweep after the handover in hand: stop does not wait for the rest of it", async () => {
    const target = recordingTarget();
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const seen: boolean[] = [];
    target.api.open = async (options) => {
      // A sweep of three handovers, one at a time; the first is still being caught up when stop() comes.
      for (const id of ["h-1", "h-2", "h-3"]) {
        const goOn = options?.shouldContinue?.() ?? true;
        seen.push(goOn);
        if (!goOn) break;
        if (id === "h-1") await firstHeld;
      }
      return { outcomes: [], failed: [] };
    };
    const s = schedule(target);
    s.start();
    await waitFor(() => seen.length === 1, 2_000, "the sweep started on its first handover");
    const stopped = s.stop();
    releaseFirst();
    await stopped;
    expect(seen).toEqual([true, false]);
  });
});
