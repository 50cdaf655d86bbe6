import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createMemoryBus } from "../../../src/bus/memory.ts";
import type { Bus } from "../../../src/bus/types.ts";
import { createOfflineAi } from "../../../src/copilot/ai/index.ts";
import { emptyKnowledgeIndex } from "../../../src/copilot/knowledge/index.ts";
import { copilotTopic, createCopilotRunner } from "../../../src/copilot/runner.ts";
import type { EndpointRuntime } from "../../../src/conversation/types.ts";
import { loadFlowFile } from "../../../src/flow/index.ts";
import { initialState } from "../../../src/handover/machine/index.ts";
import type { CopilotServerFrame, CopilotWorkspaceState } from "../../../src/protocol/copilot.ts";
import { createStore } from "../../../src/store/index.ts";
import type { Store, StoredHandover, StoredSession } from "../../../src/store/types.ts";
import { createSilentLogger } from "../../../src/telemetry/logger.ts";
import { handoverRequest } from "../../contracts/store-contract.ts";

/** Every trigger appends to the workspace's context and shows it: a lost update is a missing entry. */
const copilotLogFlow = fileURLToPath(new URL("../../fixtures/flows/copilot-log.yaml", import.meta.url));
const loggingFlow = await loadFlowFile(copilotLogFlow, (path) => readFile(path, "utf8"), { kind: "copilot" });

const endpoint: EndpointRuntime = {
  id: "web",
  channel: "webchat",
  urlToken: "b".repeat(64),
  locale: "en",
  presenceGraceMs: null,
  copilotFlow: loggingFlow,
};

let store: Store;
beforeAll(async () => {
  store = await createStore("pglite://memory");
  await store.migrate();
});
afterAll(() => store.close());

/** A runner on the shared store; instances that share `bus` take turns, others only meet in the store. */
function runner(bus: Bus = createMemoryBus()) {
  const logger = createSilentLogger();
  const warn = vi.spyOn(logger, "warn");
  const instance = createCopilotRunner({
    store,
    bus,
    ai: createOfflineAi(),
    knowledge: emptyKnowledgeIndex,
    redact: (text) => text,
    logger,
    endpoints: new Map([["web", endpoint]]),
    http: () => Promise.reject(new Error("no http in this test")),
    agent: { notifyAgent: () => Promise.resolve() },
  });
  return { ...instance, warn };
}

let counter = 0;

async function sessionWithHandover(): Promise<{ session: StoredSession; handover: StoredHandover }> {
  counter += 1;
  const { session } = await store.sessions.getOrCreate({
    endpointId: "web",
    userId: `c-${counter}`,
    sessionId: `s-${counter}`,
  });
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
  return { session, handover: created.handover };
}

/** What an HTML tile's log shows, as a sorted list. */
function entries(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .filter((e) => e !== "")
    .sort();
}

async function stored(sessionKey: string) {
  const row = await store.copilotWorkspaces.get(sessionKey);
  if (row === undefined) throw new Error("no workspace");
  const log = row.state.workspace.tiles.find((t) => t.id === "log")?.content;
  return {
    version: row.version,
    workspace: row.state.workspace,
    log: entries(log?.kind === "html" ? (log.data as { log?: string } | undefined)?.log : undefined),
    triggers: entries(row.state.context.triggers as string | undefined),
  };
}

/** The workspace a client shows after `frames`: the last state, with newer tile versions over it. */
function fold(frames: readonly CopilotServerFrame[]): CopilotWorkspaceState | undefined {
  let shown: CopilotWorkspaceState | undefined;
  for (const frame of frames) {
    if (frame.type === "state") shown = frame.state;
    if (frame.type === "tile" && shown !== undefined) {
      const { tile } = frame;
      const tiles = shown.tiles.map((t) => (t.id === tile.id && t.version < tile.version ? tile : t));
      shown = { ...shown, tiles };
    }
  }
  return shown;
}

const values = (n: number, prefix = "v") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("copilot workspace updates under concurrency", () => {
  it("keeps every one of many triggers at once, and publishes the versions in order", async () => {
    const bus = createMemoryBus();
    const one = runner(bus);
    const { session, handover } = await sessionWithHandover();
    const frames: CopilotServerFrame[] = [];
    await bus.subscribe(copilotTopic(session.id), (f) => frames.push(f as CopilotServerFrame));
    one.triggers.onHandoverStarted(session, handover);

    const sent = values(30);
    const messages = Array.from({ length: 10 }, async (_, i) => {
      const text = `message ${i}`;
      const { seq } = await store.messages.append(session.id, { direction: "in", source: "user", text });
      one.triggers.onMessage(session, { seq, source: "user", text, createdAt: new Date().toISOString() });
    });
    await Promise.all([...sent.map((v) => one.postback(session, "log", v)), ...messages]);
    await one.idle();

    const final = await stored(session.id);
    expect(final.log).toEqual([...sent].sort());
    expect(final.triggers.filter((t) => t === "postback")).toHaveLength(30);
    expect(final.triggers.filter((t) => t === "userMessage")).toHaveLength(10);
    const transcript = final.workspace.tiles.find((t) => t.id === "transcript")?.content;
    expect(transcript?.kind === "transcript" && transcript.lines).toHaveLength(10);

    const versions = frames.map((f) => ("workspaceVersion" in f ? f.workspaceVersion : -1));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(versions.at(-1)).toBe(final.version);
    expect(fold(frames)).toEqual(final.workspace);
  });

  it("applies a trigger again to the stored workspace when another instance wrote first, losing none", async () => {
    // Two instances whose copilot locks do not meet (as when a lock ran out): only the store's version
    // check stands between them. Each runs its own triggers one at a time, so with four each a trigger can
    // lose to the other at most four times: within the five attempts.
    const a = runner();
    const b = runner();
    const sessions = await Promise.all(Array.from({ length: 4 }, () => sessionWithHandover()));
    for (const { session, handover } of sessions) a.triggers.onHandoverStarted(session, handover);
    await a.idle();

    const fromA = values(4, "a");
    const fromB = values(4, "b");
    await Promise.all(
      sessions.flatMap(({ session }) =>
        fromA.flatMap((v, i) => [a.postback(session, "log", v), b.postback(session, "log", fromB[i]!)]),
      ),
    );

    for (const { session } of sessions)
      expect((await stored(session.id)).log).toEqual([...fromA, ...fromB].sort());
    const retried = [...a.warn.mock.calls, ...b.warn.mock.calls].filter(([, message]) =>
      String(message).includes("applying the trigger again"),
    );
    expect(retried.length).toBeGreaterThan(0);
  });

  it("builds the workspace from a message when the handover's start is still queued elsewhere", async () => {
    // The start trigger went to instance A; the user's first message to B, which runs first.
    const bus = createMemoryBus();
    const a = runner(bus);
    const b = runner(bus);
    const { session, handover } = await sessionWithHandover();
    const text = "where is my parcel?";
    const { seq } = await store.messages.append(session.id, { direction: "in", source: "user", text });
    b.triggers.onMessage(session, { seq, source: "user", text, createdAt: new Date().toISOString() });
    await b.idle();
    expect((await stored(session.id)).triggers).toEqual(["handover", "userMessage"]);

    // A's start comes late: the workspace is already this handover's, so the flow does not run twice.
    a.triggers.onHandoverStarted(session, handover);
    await a.idle();
    const final = await stored(session.id);
    expect(final.triggers).toEqual(["handover", "userMessage"]);
    const transcript = final.workspace.tiles.find((t) => t.id === "transcript")?.content;
    expect(transcript?.kind === "transcript" && transcript.lines.map((l) => l.text)).toEqual([text]);
  });

  it("gives up after five conflicts in a row with a catalog error, saving nothing half-done", async () => {
    const one = runner();
    const { session, handover } = await sessionWithHandover();
    one.triggers.onHandoverStarted(session, handover);
    await one.idle();
    const before = await stored(session.id);

    // Another writer wins every time: each save finds the version moved on.
    const save = store.copilotWorkspaces.save.bind(store.copilotWorkspaces);
    const spy = vi.spyOn(store.copilotWorkspaces, "save").mockImplementation(async (key, state, version) => {
      const current = await store.copilotWorkspaces.get(key);
      await save(key, current!.state, current!.version);
      return save(key, state, version);
    });
    try {
      await expect(one.postback(session, "log", "lost")).rejects.toMatchObject({
        code: "BATON_ERR_COPILOT_WORKSPACE_CONFLICT",
        details: { trigger: "postback", attempts: 5 },
      });
    } finally {
      spy.mockRestore();
    }
    const after = await stored(session.id);
    expect(after.log).toEqual(before.log);
    expect(after.version).toBe(before.version + 5);
  });
});
