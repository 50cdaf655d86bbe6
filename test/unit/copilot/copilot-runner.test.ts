import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { createMemoryBus } from "../../../src/bus/memory.ts";
import { createOfflineAi } from "../../../src/copilot/ai/index.ts";
import { loadKnowledgeFolder } from "../../../src/copilot/knowledge/index.ts";
import { redact } from "../../../src/copilot/redaction.ts";
import { copilotTopic, createCopilotRunner } from "../../../src/copilot/runner.ts";
import type { EndpointRuntime } from "../../../src/conversation/types.ts";
import { parseFlow } from "../../../src/flow/index.ts";
import { initialState } from "../../../src/handover/machine/index.ts";
import type { HandoverState } from "../../../src/handover/types.ts";
import type { CopilotServerFrame, CopilotTile } from "../../../src/protocol/copilot.ts";
import type { ConversationMessage } from "../../../src/protocol/messages.ts";
import { createStore } from "../../../src/store/index.ts";
import type { Store, StoredHandover } from "../../../src/store/types.ts";
import { createSilentLogger } from "../../../src/telemetry/logger.ts";
import { handoverRequest } from "../../contracts/store-contract.ts";

/** The repository's knowledge folder (not imported from the gateway factory: the runner needs no gateway). */
const repoKnowledge = fileURLToPath(new URL("../../../knowledge", import.meta.url));

let store: Store;
beforeAll(async () => {
  store = await createStore("pglite://memory");
  await store.migrate();
});
afterAll(() => store.close());

let counter = 0;

/** A runner over a real PGlite store, the offline AI and the repo's knowledge folder, for one copilot flow. */
async function setup(nodes: Record<string, unknown>, start = Object.keys(nodes)[0]!) {
  counter += 1;
  const copilotFlow = parseFlow(stringify({ id: "copilot", start, nodes }), {
    file: "copilot.yaml",
    kind: "copilot",
  });
  const endpoint: EndpointRuntime = {
    id: "web",
    channel: "webchat",
    urlToken: "a".repeat(64),
    locale: "en",
    presenceGraceMs: null,
    copilotFlow,
  };
  const bus = createMemoryBus();
  const logger = createSilentLogger();
  const warn = vi.spyOn(logger, "warn");
  const notices: { handoverId: string; text: string }[] = [];
  const agent = {
    notifyAgent: vi.fn((handoverId: string, text: string): Promise<void> => {
      notices.push({ handoverId, text });
      return Promise.resolve();
    }),
  };
  const runner = createCopilotRunner({
    store,
    bus,
    ai: createOfflineAi(),
    knowledge: await loadKnowledgeFolder(repoKnowledge),
    redact: (text) => redact(text),
    logger,
    endpoints: new Map([["web", endpoint]]),
    http: () => Promise.reject(new Error("no http in this test")),
    linkFor: (session) => Promise.resolve(`http://baton.test/copilot/?sessionId=${session.sessionId}`),
    agent,
  });
  const { session: created } = await store.sessions.getOrCreate({
    endpointId: "web",
    userId: `u-${counter}`,
    sessionId: `s-${counter}`,
  });
  await store.sessions.updateFlow(created.id, { context: { lastRequest: "refund please" }, flowState: null });
  const session = (await store.sessions.get(created.id))!;
  const frames: CopilotServerFrame[] = [];
  await bus.subscribe(copilotTopic(session.id), (frame) => frames.push(frame as CopilotServerFrame));

  async function message(source: ConversationMessage["source"], text: string): Promise<void> {
    const { seq } = await store.messages.append(session.id, {
      direction: source === "user" ? "in" : "out",
      source,
      text,
    });
    runner.triggers.onMessage(session, { seq, source, text, createdAt: new Date().toISOString() });
    await runner.idle();
  }
  return {
    session,
    runner,
    frames,
    warn,
    message,
    agent,
    notices,
    /** Stores a new handover of the session; `tell` says whether the runner hears of its start. */
    async handover(tell = true): Promise<StoredHandover> {
      const id = randomUUID();
      const created = await store.handovers.create({
        id,
        sessionId: session.id,
        endpointId: "web",
        providerId: "eight",
        state: "requested",
        machine: initialState(handoverRequest, Date.now(), id, { agentLeftGraceSeconds: 0 }).state,
        request: handoverRequest,
      });
      if (!created.ok) throw new Error("handover not created");
      if (tell) runner.triggers.onHandoverStarted(session, created.handover);
      await runner.idle();
      return created.handover;
    },
    /** Commits a change of the handover, then tells the runner, as the handover service does. */
    async change(handover: StoredHandover, state: HandoverState, tell = true): Promise<StoredHandover> {
      const updated = await store.handovers.update(
        handover.id,
        { state, machine: { ...handover.machine, state } },
        handover.version,
      );
      if (!updated.ok) throw new Error(`handover not updated: ${updated.reason}`);
      if (tell) {
        runner.triggers.onHandoverChanged(session, updated.handover);
        await runner.idle();
      }
      return updated.handover;
    },
    async tile(id: string): Promise<CopilotTile | undefined> {
      return (await runner.state(session.id))?.tiles.find((t) => t.id === id);
    },
    async state() {
      return (await runner.state(session.id))!;
    },
  };
}

const allTiles = {
  grid: {
    type: "setGrid",
    columns: 3,
    rows: 3,
    tiles: {
      transcript: { x: 1, y: 1, columns: 1, rows: 3 },
      summary: { x: 2, y: 1, columns: 1, rows: 1 },
      sentiment: { x: 3, y: 1, columns: 1, rows: 1 },
      knowledge: { x: 2, y: 2, columns: 1, rows: 1 },
      next: { x: 3, y: 2, columns: 1, rows: 1 },
      who: { x: 2, y: 3, columns: 1, rows: 1 },
      page: { x: 3, y: 3, columns: 1, rows: 1 },
    },
    next: "t",
  },
  t: { type: "transcriptTile", tile: "transcript", next: "s" },
  s: { type: "summaryTile", tile: "summary", copyable: true, next: "m" },
  m: { type: "sentimentTile", tile: "sentiment", input: "last10", next: "k" },
  k: { type: "knowledgeTile", tile: "knowledge", copyable: true, next: "n" },
  n: { type: "nextActionTile", tile: "next", fromKnowledge: true, next: "i" },
  i: {
    type: "identityTile",
    tile: "who",
    fields: {
      "User id": "{{ session.userId }}",
      Request: "{{ context.lastRequest }}",
      Empty: "{{ context.none }}",
    },
    imageUrl: "https://img.example.com/{{ session.userId }}.png",
    layout: "horizontal",
    next: "h",
  },
  h: { type: "htmlTile", tile: "page", html: "<p>hi</p>", data: { user: "{{ session.userId }}" } },
};

describe("copilot runner", () => {
  it("fills every tile kind on the handover, from the store, offline", async () => {
    const w = await setup(allTiles);
    await w.message("bot", "Hi, I'm the bot. How can I help?");
    await w.message("user", "I want a refund for my order, my email is ana@example.com");
    await w.handover();

    const transcript = await w.tile("transcript");
    expect(transcript?.content).toMatchObject({ kind: "transcript" });
    const lines = transcript?.content?.kind === "transcript" ? transcript.content.lines : [];
    expect(lines.map((l) => l.source)).toEqual(["bot", "user"]);
    expect(lines[1]!.text).not.toContain("ana@example.com");

    expect((await w.tile("summary"))?.content).toMatchObject({ kind: "summary", engine: "offline" });
    expect((await w.tile("summary"))?.copyable).toBe(true);
    expect((await w.tile("sentiment"))?.content).toMatchObject({ kind: "sentiment", basis: "last10" });
    const knowledge = (await w.tile("knowledge"))?.content;
    expect(knowledge).toMatchObject({ kind: "knowledge", query: expect.stringContaining("refund") });
    expect(knowledge?.kind === "knowledge" && knowledge.citations.length).toBeGreaterThan(0);
    const next = (await w.tile("next"))?.content;
    expect(next?.kind === "nextAction" && next.citations.length).toBeGreaterThan(0);
    expect((await w.tile("who"))?.content).toEqual({
      kind: "identity",
      fields: [
        { label: "User id", value: w.session.userId },
        { label: "Request", value: "refund please" },
      ],
      imageUrl: `https://img.example.com/${w.session.userId}.png`,
      layout: "horizontal",
    });
    expect((await w.tile("page"))?.content).toEqual({
      kind: "html",
      html: "<p>hi</p>",
      data: { user: w.session.userId },
    });
    // The first save of a workspace goes out as a whole state.
    expect(w.frames[0]).toMatchObject({ type: "state" });
  });

  it("posts the workspace link to the handover's agent through the agent port, once per handover", async () => {
    const w = await setup({ t: { type: "transcriptTile", tile: "transcript" } });
    const handover = await w.handover();
    expect(w.notices).toEqual([
      {
        handoverId: handover.id,
        text: `Agent Copilot for this conversation: http://baton.test/copilot/?sessionId=${w.session.sessionId}`,
      },
    ]);
    // Later triggers do not post it again.
    await w.message("user", "hello");
    await w.change(handover, "active");
    expect(w.notices).toHaveLength(1);
  });

  it("still builds the workspace when the link cannot be posted", async () => {
    const w = await setup({ t: { type: "transcriptTile", tile: "transcript" } });
    w.agent.notifyAgent.mockRejectedValueOnce(new Error("provider down"));
    await w.handover();
    expect((await w.state()).handoverState).toBe("requested");
    expect(w.frames[0]).toMatchObject({ type: "state" });
  });

  it("uses the default grid without setGrid, and keeps the transcript live without running the flow for it", async () => {
    const w = await setup({ s: { type: "summaryTile", tile: "summary" } });
    await w.message("user", "hello");
    await w.handover();
    const state = await w.state();
    expect(state.grid).toEqual({ columns: 3, rows: 3, gap: 8 });
    expect(state.tiles.map((t) => t.id).sort()).toEqual(
      ["identity", "knowledge", "nextAction", "sentiment", "summary", "transcript"].sort(),
    );
    await w.message("system", "Anna has joined the conversation.");
    await w.message("agent", "Hi, Anna here");
    const lines = (await w.tile("transcript"))?.content;
    expect(lines?.kind === "transcript" && lines.lines.map((l) => l.text)).toEqual([
      "hello",
      "Anna has joined the conversation.",
      "Hi, Anna here",
    ]);
    expect(
      w.frames.filter((f) => f.type === "tile" && f.tile.id === "transcript").length,
    ).toBeGreaterThanOrEqual(2);
  });

  it("reports an update of a tile that is not in the grid as a problem: stored, published and logged", async () => {
    const w = await setup({
      grid: {
        type: "setGrid",
        columns: 1,
        rows: 1,
        tiles: { a: { x: 1, y: 1, columns: 1, rows: 1 } },
        next: "bad",
      },
      bad: { type: "summaryTile", tile: "nowhere", next: "data" },
      data: { type: "sendData", tile: "a", data: { x: 1 } },
    });
    await w.handover();
    const { problems } = await w.state();
    expect(problems).toEqual([
      expect.objectContaining({
        code: "BATON_ERR_COPILOT_TILE_UNKNOWN",
        message: expect.stringContaining('"nowhere"'),
      }),
      expect.objectContaining({ code: "BATON_ERR_COPILOT_TILE_KIND", tileId: "a" }),
    ]);
    expect(w.frames.filter((f) => f.type === "problem")).toHaveLength(2);
    expect(w.warn).toHaveBeenCalledWith(
      expect.objectContaining({ code: "BATON_ERR_COPILOT_TILE_UNKNOWN" }),
      "copilot flow problem",
    );
  });

  it("runs the whole flow per trigger, but a tile with the same input keeps its content (no repaint)", async () => {
    const w = await setup({
      route: { type: "lookup", value: "input.trigger", cases: { postback: "mark" }, default: "k" },
      mark: { type: "setContext", set: { "context.done": true }, next: "k" },
      k: { type: "knowledgeTile", tile: "knowledge", next: "n" },
      n: { type: "nextActionTile", tile: "nextAction", text: "done: {{ context.done }}" },
    });
    await w.message("user", "how do I reset my password?");
    await w.handover();
    const before = await w.tile("knowledge");
    w.frames.length = 0;
    await w.runner.postback(w.session, "nextAction", "go");
    expect((await w.tile("knowledge"))?.version).toBe(before?.version);
    expect((await w.tile("nextAction"))?.content).toMatchObject({ text: "done: true" });
    expect(w.frames.map((f) => (f.type === "tile" ? f.tile.id : f.type))).toEqual(["nextAction"]);
    // The copilot flow's context stays in the workspace; the session's context is untouched.
    expect((await store.sessions.get(w.session.id))?.context).toEqual({ lastRequest: "refund please" });

    // The agent's search replaces the default query, and sticks.
    await w.runner.search(w.session, "knowledge", "opening hours");
    expect((await w.tile("knowledge"))?.content).toMatchObject({ query: "opening hours" });
    await w.message("user", "thanks");
    expect((await w.tile("knowledge"))?.content).toMatchObject({ query: "opening hours" });
  });

  it("refuses a postback for a tile that is not in the grid, and ignores messages before any handover", async () => {
    const w = await setup({ t: { type: "transcriptTile", tile: "transcript" } });
    await w.message("user", "early");
    expect(await w.runner.state(w.session.id)).toBeUndefined();
    await w.handover();
    await expect(w.runner.postback(w.session, "nope", 1)).rejects.toMatchObject({
      code: "BATON_ERR_COPILOT_FRAME_INVALID",
    });
  });
});

describe("copilot runner: the handover's status", () => {
  const statusFlow = {
    t: { type: "transcriptTile", tile: "transcript", next: "n" },
    n: { type: "nextActionTile", tile: "nextAction", text: "status: {{ input.handover.status }}" },
  };
  const versions = (tiles: readonly CopilotTile[]) => Object.fromEntries(tiles.map((t) => [t.id, t.version]));

  it("follows every committed change live, as one state frame that repaints no tile, without running the flow", async () => {
    const w = await setup(statusFlow);
    const requested = await w.handover();
    expect((await w.state()).handoverState).toBe("requested");
    const before = await w.state();
    w.frames.length = 0;

    const queued = await w.change(requested, "queued");
    const after = await w.state();
    expect(after.handoverState).toBe("queued");
    const savedAt = (await store.copilotWorkspaces.get(w.session.id))?.version;
    expect(w.frames).toEqual([{ type: "state", state: after, workspaceVersion: savedAt }]);
    expect(versions(after.tiles)).toEqual(versions(before.tiles));
    // The flow did not run: its tile still shows the status of its last run.
    expect((await w.tile("nextAction"))?.content).toMatchObject({ text: "status: requested" });

    // A change that leaves the state as it is (a queue or agent change) publishes and saves nothing.
    const saved = (await store.copilotWorkspaces.get(w.session.id))?.version;
    w.frames.length = 0;
    w.runner.triggers.onHandoverChanged(w.session, queued);
    await w.runner.idle();
    expect(w.frames).toEqual([]);
    expect((await store.copilotWorkspaces.get(w.session.id))?.version).toBe(saved);

    // The next run reads the current status; the status line is unchanged, so only the tiles go out.
    const active = await w.change(queued, "active");
    w.frames.length = 0;
    await w.message("user", "hello");
    expect((await w.tile("nextAction"))?.content).toMatchObject({ text: "status: active" });
    expect(w.frames.map((f) => f.type)).toEqual(["tile", "tile"]);

    // The agent closes: the workspace no longer says "active".
    await w.change(active, "completed");
    expect((await w.state()).handoverState).toBe("completed");
  });

  it("ignores a handover other than the workspace's own, and a trigger older than the stored handover", async () => {
    const w = await setup(statusFlow);
    const first = await w.handover();
    const completed = await w.change(first, "completed");
    const second = await w.handover();
    expect((await w.state()).handoverState).toBe("requested");

    // A late trigger of the first handover does not overwrite the second one's status.
    w.frames.length = 0;
    w.runner.triggers.onHandoverChanged(w.session, completed);
    await w.runner.idle();
    expect((await w.state()).handoverState).toBe("requested");
    expect(w.frames).toEqual([]);

    // Two changes told out of order (another instance's trigger came late): the stored, newer state stands.
    const queued = await w.change(second, "queued", false);
    await w.change(queued, "active", false);
    w.runner.triggers.onHandoverChanged(w.session, queued);
    await w.runner.idle();
    expect((await w.state()).handoverState).toBe("active");
  });

  it("does nothing before the session's first handover", async () => {
    const w = await setup(statusFlow);
    const handover = await w.handover(false);
    w.runner.triggers.onHandoverChanged(w.session, handover);
    await w.runner.idle();
    expect(await w.runner.state(w.session.id)).toBeUndefined();
    expect(w.frames).toEqual([]);
  });
});
