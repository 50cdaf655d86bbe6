import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createPresence } from "../../../src/channels/webchat/presence.ts";
import type { StoredSession } from "../../../src/store/types.ts";

const session = (id: string, endpointId = "web") => ({ id, endpointId }) as StoredSession;

describe("web chat presence", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("reports the user gone only after the last socket stayed closed for the grace, and back on return", () => {
    const changes: [string, boolean][] = [];
    const presence = createPresence({
      graceMsFor: () => 5_000,
      onChange: (s, c) => void changes.push([s.id, c]),
    });
    presence.join(session("a"));
    presence.join(session("a"));
    presence.leave(session("a"));
    vi.advanceTimersByTime(10_000);
    expect(changes).toEqual([]);
    presence.leave(session("a"));
    vi.advanceTimersByTime(4_999);
    expect(changes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(changes).toEqual([["a", false]]);
    presence.join(session("a"));
    expect(changes).toEqual([
      ["a", false],
      ["a", true],
    ]);
  });

  it("says nothing when a reload comes back within the grace", () => {
    const changes: boolean[] = [];
    const presence = createPresence({ graceMsFor: () => 5_000, onChange: (_s, c) => void changes.push(c) });
    presence.join(session("b"));
    presence.leave(session("b"));
    vi.advanceTimersByTime(2_000);
    presence.join(session("b"));
    vi.advanceTimersByTime(10_000);
    expect(changes).toEqual([]);
  });

  it("never reports for an endpoint whose presence notices are off", () => {
    const changes: boolean[] = [];
    const presence = createPresence({
      graceMsFor: (s) => (s.endpointId === "quiet" ? null : 1_000),
      onChange: (_s, c) => void changes.push(c),
    });
    presence.join(session("c", "quiet"));
    presence.leave(session("c", "quiet"));
    vi.advanceTimersByTime(60_000);
    presence.join(session("c", "quiet"));
    expect(changes).toEqual([]);
  });
});
