import { describe, expect, it } from "vitest";
import { createKeyedReorderQueue, type SetTimer } from "../../../src/utils/keyed-reorder-queue.ts";

/** Manual timers: time only moves when the test says so. */
function manualTimers() {
  let now = 0;
  let timers: { at: number; callback: () => void; cancelled: boolean }[] = [];
  const setTimer: SetTimer = (callback, ms) => {
    const timer = { at: now + ms, callback, cancelled: false };
    timers.push(timer);
    return () => void (timer.cancelled = true);
  };
  async function advance(ms: number): Promise<void> {
    const until = now + ms;
    for (;;) {
      const due = timers.filter((t) => !t.cancelled && t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      now = due.at;
      timers = timers.filter((t) => t !== due);
      due.callback();
      await settle();
    }
    now = until;
    await settle();
  }
  const pendingTimers = () => timers.filter((t) => !t.cancelled).length;
  return { setTimer, advance, pendingTimers };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

interface Item {
  readonly name: string;
}

function setup(reorderWindowMs = 250, handler?: (item: Item, key: string) => Promise<void>) {
  const timers = manualTimers();
  const handled: string[] = [];
  const late: string[] = [];
  const errors: string[] = [];
  let seq = 0;
  const queue = createKeyedReorderQueue<Item>({
    reorderWindowMs,
    setTimer: timers.setTimer,
    handler:
      handler ??
      ((item) => {
        handled.push(item.name);
        return Promise.resolve();
      }),
    onHandlerError: (error, item) => errors.push(`${item.name}: ${(error as Error).message}`),
    onLate: (item, _key, latest) => late.push(`${item.name} < ${latest}`),
  });
  const push = (key: string, name: string, timestamp: number) =>
    queue.push(key, { name }, { timestamp, seq: ++seq });
  return { queue, timers, handled, late, errors, push };
}

describe("keyed reorder queue", () => {
  it("restores the order of two items of one key that arrive swapped within the window", async () => {
    const { timers, handled, late, push } = setup();
    push("cv1", "second", 2_000);
    await timers.advance(100);
    push("cv1", "first", 1_000);
    await timers.advance(150);
    expect(handled).toEqual(["first", "second"]);
    expect(late).toEqual([]);
  });

  it("holds an item for the window, not longer, even while later items keep arriving", async () => {
    const { timers, handled, push } = setup();
    push("cv1", "a", 1);
    await timers.advance(100);
    push("cv1", "b", 2);
    await timers.advance(100);
    push("cv1", "c", 3);
    expect(handled).toEqual([]);
    await timers.advance(50);
    expect(handled).toEqual(["a"]);
    await timers.advance(100);
    expect(handled).toEqual(["a", "b"]);
    await timers.advance(100);
    expect(handled).toEqual(["a", "b", "c"]);
  });

  it("breaks timestamp ties by arrival order", async () => {
    const { timers, handled, push } = setup();
    push("cv1", "a", 5);
    push("cv1", "b", 5);
    push("cv1", "c", 5);
    await timers.advance(250);
    expect(handled).toEqual(["a", "b", "c"]);
  });

  it("hands on an item older than one already released, and reports it as late", async () => {
    const { timers, handled, late, push } = setup();
    push("cv1", "newer", 5_000);
    await timers.advance(250);
    push("cv1", "older", 3_000);
    await timers.advance(250);
    expect(handled).toEqual(["newer", "older"]);
    expect(late).toEqual(["older < 5000"]);
  });

  it("handles one key's items strictly one at a time", async () => {
    const gates = new Map([
      ["a", deferred()],
      ["b", deferred()],
    ]);
    const started: string[] = [];
    const { timers, push } = setup(0, async (item) => {
      started.push(item.name);
      await gates.get(item.name)!.promise;
    });
    push("cv1", "a", 1);
    push("cv1", "b", 2);
    await timers.advance(0);
    expect(started).toEqual(["a"]);
    gates.get("a")!.resolve();
    await settle();
    expect(started).toEqual(["a", "b"]);
    gates.get("b")!.resolve();
  });

  it("does not let a busy key block another key", async () => {
    const blockA = deferred();
    const handled: string[] = [];
    const { timers, queue, push } = setup(250, async (item, key) => {
      if (key === "cvA") await blockA.promise;
      handled.push(item.name);
    });
    push("cvA", "a1", 1);
    push("cvB", "b1", 1);
    await timers.advance(250);
    expect(handled).toEqual(["b1"]);
    blockA.resolve();
    await queue.idle();
    expect(handled).toEqual(["b1", "a1"]);
  });

  it("releases in arrival order without timers when the window is 0", async () => {
    const { timers, handled, late, push } = setup(0);
    push("cv1", "b", 2);
    push("cv1", "a", 1);
    expect(timers.pendingTimers()).toBe(0);
    await settle();
    expect(handled).toEqual(["b", "a"]);
    expect(late).toEqual(["a < 2"]);
  });

  it("releases every held item at once, in order, on flush", async () => {
    const { timers, handled, queue, push } = setup();
    push("cv1", "b", 2);
    push("cv1", "a", 1);
    push("cv2", "x", 1);
    queue.flush();
    await queue.idle();
    // Keys run concurrently, so only each key's own order is defined.
    expect(handled.filter((name) => name !== "x")).toEqual(["a", "b"]);
    expect(handled).toContain("x");
    expect(timers.pendingTimers()).toBe(0);
  });

  it("reports a throwing handler and moves on to the key's next item", async () => {
    const handled: string[] = [];
    const { timers, errors, queue, push } = setup(0, (item) => {
      if (item.name === "bad") return Promise.reject(new Error("boom"));
      handled.push(item.name);
      return Promise.resolve();
    });
    push("cv1", "bad", 1);
    push("cv1", "good", 2);
    await timers.advance(0);
    await queue.idle();
    expect(errors).toEqual(["bad: boom"]);
    expect(handled).toEqual(["good"]);
    expect(queue.size).toBe(0);
  });

  it("resolves idle only when nothing is held, queued or running", async () => {
    const { timers, queue, push } = setup();
    let idle = false;
    push("cv1", "a", 1);
    const idling = queue.idle().then(() => (idle = true));
    await settle();
    expect(idle).toBe(false);
    await timers.advance(250);
    expect(idle).toBe(true);
    await idling;
  });
});
