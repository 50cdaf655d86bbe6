import { describe, expect, it, onTestFinished, vi } from "vitest";
import { createLiveQueue } from "../../../src/channels/live-queue.ts";
import { createOutageLog } from "../../../src/telemetry/outage-log.ts";
import { waitFor } from "../../factories/wait-for.ts";
import { capturedLogger } from "../runtime/runtime-test-kit.ts";

function queueWith(catchUp: () => Promise<void>) {
  const { logger, lines } = capturedLogger();
  const outage = createOutageLog(logger, { failed: "catch-up failed", restored: "catch-up works again" });
  const queue = createLiveQueue({
    catchUp,
    outage,
    facts: { sessionKey: "s1" },
    logger,
    firstRetryDelayMs: 5,
    maxRetryDelayMs: 20,
  });
  return { queue, lines };
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("live queue", () => {
  it("runs tasks one at a time in the order they were pushed, a slow one holding back the rest", async () => {
    const { queue, lines } = queueWith(() => Promise.resolve());
    const order: string[] = [];
    queue.push(async () => {
      await tick(20);
      order.push("slow");
    });
    queue.push(() => {
      throw new Error("one bad frame");
    });
    queue.push(() => void order.push("next"));
    await waitFor(() => order.length === 2, 2_000, "both tasks");
    expect(order).toEqual(["slow", "next"]);
    expect(lines).toMatchObject([{ msg: "live frame could not be delivered", sessionKey: "s1" }]);
  });

  it("retries a failed catch-up until it works, logging the outage once and the recovery", async () => {
    let calls = 0;
    const { queue, lines } = queueWith(() => {
      calls += 1;
      return calls <= 3 ? Promise.reject(new Error("store away")) : Promise.resolve();
    });
    queue.catchUp();
    await waitFor(() => lines.some((l) => l.msg === "catch-up works again"), 2_000, "the recovery");
    expect(calls).toBe(4);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [50, "catch-up failed"],
      [20, "catch-up failed"],
      [20, "catch-up failed"],
      [30, "catch-up works again"],
    ]);
  });

  it("runs one catch-up for every request made before it started", async () => {
    let calls = 0;
    const { queue } = queueWith(() => {
      calls += 1;
      return Promise.resolve();
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    queue.push(() => held);
    queue.catchUp();
    queue.catchUp();
    queue.catchUp();
    const done: string[] = [];
    queue.push(() => void done.push("after"));
    release();
    await waitFor(() => done.length === 1, 2_000, "the task behind the catch-ups");
    expect(calls).toBe(1);
  });

  it("stops retrying and drops what is queued once closed", async () => {
    vi.useFakeTimers();
    onTestFinished(() => {
      vi.useRealTimers();
    });
    let calls = 0;
    const { queue } = queueWith(() => {
      calls += 1;
      return Promise.reject(new Error("store away"));
    });
    queue.catchUp();
    await vi.advanceTimersByTimeAsync(16);
    expect(calls).toBe(3); // at once, after 5 ms, after 10 more
    queue.close();
    const ran: string[] = [];
    queue.push(() => void ran.push("late"));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(3);
    expect(ran).toEqual([]);
  });
});
