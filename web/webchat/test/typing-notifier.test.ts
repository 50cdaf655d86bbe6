import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createTypingNotifier } from "../src/typing-notifier.ts";

describe("typing notifier", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends active at most every 3 s, inactive after 4 s idle or on stop", () => {
    const sent: boolean[] = [];
    const typing = createTypingNotifier({ send: (active) => sent.push(active), now: () => Date.now() });
    typing.input();
    vi.advanceTimersByTime(1000);
    typing.input();
    vi.advanceTimersByTime(1000);
    typing.input();
    expect(sent).toEqual([true]);
    vi.advanceTimersByTime(1000);
    typing.input(); // 3 s after the first: refresh
    expect(sent).toEqual([true, true]);
    vi.advanceTimersByTime(4000);
    expect(sent).toEqual([true, true, false]);

    typing.input();
    typing.stop();
    typing.stop();
    expect(sent).toEqual([true, true, false, true, false]);
  });
});
