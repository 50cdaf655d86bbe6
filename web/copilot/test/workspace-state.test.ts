import { describe, expect, it } from "vitest";
import type {
  CopilotServerFrame,
  CopilotTile,
  CopilotWorkspaceState,
} from "../../../src/protocol/copilot.ts";
import {
  type WorkspaceEvent,
  type WorkspaceModel,
  initialWorkspaceModel,
  maxProblems,
  reduce,
} from "../src/workspace-state.ts";

const now = "2025-01-01T10:00:00.000Z";

function tile(id: string, version: number, extra: Partial<CopilotTile> = {}): CopilotTile {
  return { id, version, placement: { x: 1, y: 1, columns: 1, rows: 1 }, ...extra };
}

function state(overrides: Partial<CopilotWorkspaceState> = {}): CopilotWorkspaceState {
  return {
    sessionKey: "ep1/user1/s1",
    grid: { columns: 3, rows: 2, gap: 8 },
    tiles: [
      tile("transcript", 1, { content: { kind: "transcript", lines: [] } }),
      tile("html", 1, {
        placement: { x: 2, y: 1, columns: 1, rows: 1 },
        content: { kind: "html", html: "<p>hi</p>", data: { n: 1 } },
      }),
      tile("empty", 0, { placement: { x: 3, y: 1, columns: 1, rows: 2 } }),
    ],
    problems: [],
    handoverState: "active",
    ...overrides,
  };
}

/** Frames of the protocol; without a `workspaceVersion` they are of version 1 (one saved update). */
type LooseFrame = CopilotServerFrame extends infer F
  ? F extends { workspaceVersion: number }
    ? Omit<F, "workspaceVersion"> & { workspaceVersion?: number }
    : F
  : never;
const frame = (f: LooseFrame): WorkspaceEvent => ({
  type: "frame",
  frame: f.type === "error" ? f : { workspaceVersion: 1, ...f },
  now,
});

function run(...events: WorkspaceEvent[]): WorkspaceModel {
  return events.reduce(reduce, initialWorkspaceModel);
}

describe("workspace reducer", () => {
  it("starts connecting and not loaded, then takes the whole state", () => {
    expect(initialWorkspaceModel.connection.phase).toBe("connecting");
    const model = run(frame({ type: "state", state: state() }));
    expect(model.loaded).toBe(true);
    expect(model.connection.phase).toBe("live");
    expect(model.sessionKey).toBe("ep1/user1/s1");
    expect(model.handoverState).toBe("active");
    expect(model.tiles.map((t) => t.id)).toEqual(["transcript", "html", "empty"]);
  });

  it("applies a newer tile version and ignores an older or equal one", () => {
    const base = run(frame({ type: "state", state: state() }));
    const v2 = tile("transcript", 2, {
      content: { kind: "transcript", lines: [{ seq: 1, source: "user", text: "hello", at: now }] },
    });
    const updated = reduce(base, frame({ type: "tile", tile: v2 }));
    expect(updated.tiles[0]).toBe(v2);
    const older = tile("transcript", 1, { content: { kind: "transcript", lines: [] } });
    expect(reduce(updated, frame({ type: "tile", tile: older }))).toBe(updated);
    expect(reduce(updated, frame({ type: "tile", tile: { ...v2, title: "same version" } }))).toBe(updated);
  });

  it("adds a tile the grid did not have yet (it carries its placement)", () => {
    const base = run(frame({ type: "state", state: state() }));
    const added = reduce(base, frame({ type: "tile", tile: tile("new", 1) }));
    expect(added.tiles.map((t) => t.id)).toContain("new");
  });

  it("re-syncs from every state frame (reconnect), replacing tiles and clearing pending searches", () => {
    let model = run(frame({ type: "state", state: state() }), {
      type: "searchSent",
      tileId: "kb",
      query: "q",
    });
    expect(model.pendingSearches).toEqual({ kb: "q" });
    model = reduce(model, { type: "closed", code: 1006, retryInMs: 500 });
    expect(model.connection).toEqual({ phase: "reconnecting", code: 1006, retryInMs: 500 });
    expect(model.tiles).toHaveLength(3);
    model = reduce(model, frame({ type: "state", state: state({ tiles: [tile("only", 5)] }) }));
    expect(model.connection.phase).toBe("live");
    expect(model.tiles.map((t) => t.id)).toEqual(["only"]);
    expect(model.pendingSearches).toEqual({});
  });

  it("never steps back to an older workspace on one connection: an older state or sendData is ignored", () => {
    let model = run(frame({ type: "state", state: state({ handoverState: "active" }), workspaceVersion: 7 }));
    // Published by an instance whose lock had run out, it arrives after the newer one.
    const older = reduce(
      model,
      frame({ type: "state", state: state({ handoverState: "queued" }), workspaceVersion: 6 }),
    );
    expect(older).toBe(model);
    expect(
      reduce(model, frame({ type: "sendData", tileId: "html", data: { n: 0 }, workspaceVersion: 6 })),
    ).toBe(model);
    // A tile frame of a newer version moves the page's version on; the state it outdates is then ignored.
    model = reduce(model, frame({ type: "tile", tile: tile("transcript", 2), workspaceVersion: 8 }));
    expect(model.workspaceVersion).toBe(8);
    expect(reduce(model, frame({ type: "state", state: state(), workspaceVersion: 7 }))).toBe(model);
    // The same version is the same saved update (a state, then its sendData): applied.
    model = reduce(model, frame({ type: "sendData", tileId: "html", data: { n: 8 }, workspaceVersion: 8 }));
    expect(model.tiles.find((t) => t.id === "html")?.content).toMatchObject({ data: { n: 8 } });
  });

  it("takes the state of a new connection whatever version the old one showed", () => {
    let model = run(frame({ type: "state", state: state(), workspaceVersion: 9 }));
    model = reduce(model, { type: "closed", code: 1006, retryInMs: 500 });
    model = reduce(
      model,
      frame({ type: "state", state: state({ handoverState: "queued" }), workspaceVersion: 2 }),
    );
    expect(model.handoverState).toBe("queued");
    expect(model.workspaceVersion).toBe(2);
  });

  it("takes a new handover status from a state frame while live, repainting no unchanged tile", () => {
    let model = run(frame({ type: "state", state: state() }), {
      type: "searchSent",
      tileId: "html",
      query: "q",
    });
    const shown = model.tiles;
    // The server sends the same tiles again (parsed anew: equal, not the same objects).
    const again = JSON.parse(JSON.stringify(state({ handoverState: "completed" }))) as CopilotWorkspaceState;
    model = reduce(model, frame({ type: "state", state: again }));
    expect(model.handoverState).toBe("completed");
    expect(model.tiles).toHaveLength(shown.length);
    model.tiles.forEach((t, i) => expect(t, t.id).toBe(shown[i]));
    // The search was sent on this socket and its answer is still to come.
    expect(model.pendingSearches).toEqual({ html: "q" });
  });

  it("keeps the content object of a tile whose content is unchanged, and replaces a changed tile", () => {
    let model = run(frame({ type: "state", state: state() }));
    model = reduce(model, frame({ type: "sendData", tileId: "html", data: { n: 2 } }));
    const html = model.tiles.find((t) => t.id === "html")!;
    const transcript = tile("transcript", 2, {
      content: { kind: "transcript", lines: [{ seq: 1, source: "user", text: "hi", at: now }] },
    });
    const server = state({
      tiles: [
        transcript,
        // The server counted the data as a new version; the page already shows that data.
        { ...html, version: 2, content: { kind: "html", html: "<p>hi</p>", data: { n: 2 } } },
      ],
    });
    model = reduce(model, frame({ type: "state", state: server }));
    expect(model.tiles[0]).toBe(transcript);
    expect(model.tiles[1]?.version).toBe(2);
    expect(model.tiles[1]?.content).toBe(html.content);
  });

  it("clears a pending search whose tile got a newer version in a state frame", () => {
    let model = run(frame({ type: "state", state: state() }), {
      type: "searchSent",
      tileId: "html",
      query: "q",
    });
    model = reduce(
      model,
      frame({
        type: "state",
        state: state({ tiles: [tile("html", 2, { content: { kind: "html", html: "<p>new</p>" } })] }),
      }),
    );
    expect(model.pendingSearches).toEqual({});
  });

  it("clears a pending search when the knowledge tile's next version arrives", () => {
    let model = run(frame({ type: "state", state: state() }), {
      type: "searchSent",
      tileId: "kb",
      query: "refund",
    });
    model = reduce(
      model,
      frame({
        type: "tile",
        tile: tile("kb", 1, {
          content: { kind: "knowledge", query: "refund", answer: "A", citations: [], engine: "offline" },
        }),
      }),
    );
    expect(model.pendingSearches).toEqual({});
  });

  it("delivers sendData into the tile without changing its version or its HTML", () => {
    const base = run(frame({ type: "state", state: state() }));
    const model = reduce(base, frame({ type: "sendData", tileId: "html", data: { n: 2 } }));
    const html = model.tiles.find((t) => t.id === "html");
    expect(html?.version).toBe(1);
    expect(html?.content).toEqual({ kind: "html", html: "<p>hi</p>", data: { n: 2 } });
    expect(model.problems).toEqual([]);
  });

  it("shows sendData for an unknown tile or a non-data tile as a problem, never drops it", () => {
    const base = run(frame({ type: "state", state: state() }));
    const unknown = reduce(base, frame({ type: "sendData", tileId: "nope", data: 1 }));
    expect(unknown.problems).toHaveLength(1);
    expect(unknown.problems[0]).toMatchObject({ code: "unknown_tile", tileId: "nope" });
    expect(unknown.problems[0]?.local).toEqual({ key: "problemUnknownTile", params: { tileId: "nope" } });
    const wrongKind = reduce(base, frame({ type: "sendData", tileId: "transcript", data: 1 }));
    expect(wrongKind.problems[0]).toMatchObject({ code: "not_data_tile", tileId: "transcript" });
  });

  it("shows server problems from state and problem frames once each, dismissible, and keeps them dismissed", () => {
    const problem = { code: "unknown_tile", message: "update for tile map", tileId: "map", at: now };
    let model = run(frame({ type: "state", state: state({ problems: [problem] }) }));
    expect(model.problems.map((p) => p.message)).toEqual(["update for tile map"]);
    model = reduce(model, frame({ type: "problem", problem }));
    expect(model.problems).toHaveLength(1);
    const other = { code: "flow_error", message: "node failed", at: now };
    model = reduce(model, frame({ type: "problem", problem: other }));
    expect(model.problems).toHaveLength(2);
    model = reduce(model, { type: "dismissProblem", key: model.problems[0]!.key });
    expect(model.problems.map((p) => p.code)).toEqual(["flow_error"]);
    // The reconnect's state still lists the dismissed problem: it stays dismissed.
    model = reduce(model, frame({ type: "state", state: state({ problems: [problem, other] }) }));
    expect(model.problems.map((p) => p.code)).toEqual(["flow_error"]);
    model = reduce(model, { type: "dismissAllProblems" });
    expect(model.problems).toEqual([]);
  });

  it("keeps at most maxProblems, the newest", () => {
    let model = run(frame({ type: "state", state: state() }));
    for (let i = 0; i < maxProblems + 5; i++) {
      model = reduce(model, frame({ type: "problem", problem: { code: "p", message: `m${i}`, at: now } }));
    }
    expect(model.problems).toHaveLength(maxProblems);
    expect(model.problems.at(-1)?.message).toBe(`m${maxProblems + 4}`);
  });

  it("reports a tile placed outside the grid and a refused background", () => {
    const model = run(
      frame({
        type: "state",
        state: state({
          grid: { columns: 2, rows: 2, gap: 4, background: "url(https://evil.example/x.png)" },
          tiles: [tile("wide", 1, { placement: { x: 2, y: 1, columns: 3, rows: 1 } })],
        }),
      }),
    );
    expect(model.problems.map((p) => p.code).sort()).toEqual(["bad_background", "outside_grid"]);
  });

  it("turns an invalid frame and a non-refusal error into problems", () => {
    let model = run(frame({ type: "state", state: state() }), { type: "invalidFrame", detail: "tile", now });
    expect(model.problems[0]?.code).toBe("bad_frame");
    model = reduce(model, frame({ type: "error", code: "rate_limited", message: "Slow down" }));
    expect(model.problems.at(-1)).toMatchObject({ code: "rate_limited", message: "Slow down" });
    expect(model.connection.phase).toBe("live");
  });

  it("shows a repeated error once, and again after it was dismissed", () => {
    const error = frame({ type: "error", code: "BATON_ERR_COPILOT_RATE_LIMITED", message: "Too many" });
    let model = run(error, { type: "closed", code: 4429, retryInMs: 500 }, error);
    expect(model.connection.phase).toBe("reconnecting");
    expect(model.problems).toHaveLength(1);
    model = reduce(model, { type: "dismissProblem", key: model.problems[0]!.key });
    expect(reduce(model, error).problems).toHaveLength(1);
  });

  it("is refused for good by the gateway's access-denied error frame", () => {
    const model = run(
      frame({ type: "error", code: "BATON_ERR_COPILOT_ACCESS_DENIED", message: "No workspace" }),
    );
    expect(model.connection).toEqual({ phase: "refused", code: "BATON_ERR_COPILOT_ACCESS_DENIED" });
  });

  it("is refused for good by a refusal error frame or close code 4404/4401", () => {
    const byFrame = run(frame({ type: "error", code: "not_found", message: "no such session" }));
    expect(byFrame.connection).toEqual({ phase: "refused", code: "not_found" });
    expect(reduce(byFrame, frame({ type: "state", state: state() }))).toBe(byFrame);
    expect(reduce(byFrame, { type: "closed", code: 1006, retryInMs: 500 })).toBe(byFrame);
    expect(run({ type: "closed", code: 4404, retryInMs: 0 }).connection).toEqual({
      phase: "refused",
      code: "close 4404",
    });
    expect(run({ type: "closed", code: 4401, retryInMs: 0 }).connection.phase).toBe("refused");
    expect(run({ type: "closed", code: 1011, retryInMs: 900 }).connection.phase).toBe("reconnecting");
  });

  it("records an action that could not be sent as a problem", () => {
    const model = run({ type: "notSent", tileId: "kb", now });
    expect(model.problems[0]).toMatchObject({ code: "not_sent", tileId: "kb" });
  });
});
