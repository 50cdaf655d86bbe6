import { describe, expect, it } from "vitest";
import { runFlow, type FlowState } from "../../../src/flow/index.ts";
import { fakePorts, flowOf, handover, input, runAll, texts } from "./flow-test-kit.ts";

/** The usual Cognigy.AI pattern: handover, then a lookup on the status that every event lands on. */
const flow = flowOf({
  menu: { type: "say", text: "menu", next: "toAgent" },
  toAgent: {
    type: "handoverToAgent",
    provider: "eight",
    queueId: "311",
    sendQueueEvent: true,
    sendActiveEvent: true,
    next: "status",
  },
  status: {
    type: "lookup",
    value: "input.handover.status",
    cases: {
      queue: "queued",
      completed: "welcomeBack",
      cancelled: "noProblem",
      error: "sorry",
      inactivity: "moveEntry",
    },
  },
  queued: { type: "say", text: "You are in queue {{ input.handover.queue.id }}." },
  welcomeBack: { type: "say", text: "Welcome back!" },
  noProblem: { type: "say", text: "No problem ({{ input.handover.reason }})." },
  sorry: { type: "say", text: "Sorry: {{ input.handover.error.reason }}." },
  moveEntry: { type: "goTo", target: "atEntrypoint", wait: true },
  atEntrypoint: { type: "say", text: "resumed at the entrypoint ({{ input.handover.status }})" },
});

async function started(): Promise<FlowState> {
  const result = await runFlow(flow, undefined, { kind: "start" }, fakePorts());
  return result.state;
}

describe("flow engine: handovers", () => {
  it("starting a handover emits the action, stops the run and waits with the entrypoint below the node", async () => {
    const result = await runFlow(flow, undefined, { kind: "start" }, fakePorts());
    expect(result.actions.map((a) => a.type)).toEqual(["handover.start"]);
    expect(result.trace).toEqual(["menu", "toAgent"]);
    expect(result.state).toEqual({
      entrypoint: "status",
      waiting: "handover",
      handoverNodeId: "toAgent",
      context: {},
    });
  });

  it("runs a queue event from the entrypoint and keeps waiting for the handover at the same place", async () => {
    const state = await started();
    const result = await runFlow(flow, state, handover("queue", { queue: { id: "311" } }), fakePorts());
    expect(texts(result)).toEqual(["You are in queue 311."]);
    expect(result.trace).toEqual(["status", "queued"]);
    expect(result.state).toEqual(state);
  });

  it("says nothing for an event without a case and keeps waiting", async () => {
    const state = await started();
    const result = await runFlow(flow, state, handover("active", { agent: { id: "a-1" } }), fakePorts());
    expect(result.outputs).toEqual([]);
    expect(result.state).toEqual(state);
  });

  it("ignores user input while the handover is open (it goes to the agent, not the flow)", async () => {
    const state = await started();
    const result = await runFlow(flow, state, input("hello?"), fakePorts());
    expect(result).toEqual({ state, outputs: [], actions: [], trace: [], errors: [] });
    expect(await runFlow(flow, state, { kind: "start" }, fakePorts())).toMatchObject({ state, trace: [] });
  });

  it.each([
    ["completed", {}, "Welcome back!"],
    ["cancelled", { reason: "timeout" }, "No problem (timeout)."],
    ["error", { error: { reason: "error", message: "8x8 unavailable" } }, "Sorry: error."],
  ] as const)("resumes below the node on %s and leaves the handover", async (status, extra, said) => {
    const state = await started();
    const result = await runFlow(flow, state, handover(status, extra), fakePorts());
    expect(texts(result)).toEqual([said]);
    expect(result.state).toEqual({ entrypoint: null, waiting: "none", context: {} });
  });

  it("resumes at the moved entrypoint when resumeAt is entrypoint, and below the node when belowNode", async () => {
    const state = await started();
    const moved = await runFlow(flow, state, handover("inactivity", { inactivityCount: 1 }), fakePorts());
    expect(moved.state).toMatchObject({ entrypoint: "atEntrypoint", waiting: "handover" });

    const atEntry = await runFlow(
      flow,
      moved.state,
      { ...handover("completed"), resumeAt: "entrypoint" },
      fakePorts(),
    );
    expect(texts(atEntry)).toEqual(["resumed at the entrypoint (completed)"]);

    const below = await runFlow(
      flow,
      moved.state,
      { ...handover("completed"), resumeAt: "belowNode" },
      fakePorts(),
    );
    expect(texts(below)).toEqual(["Welcome back!"]);
  });

  it("with run nextUserMessage moves the position and lets the next input see the outcome once", async () => {
    const state = await started();
    const deferred = await runFlow(
      flow,
      state,
      { ...handover("completed"), run: "nextUserMessage" },
      fakePorts(),
    );
    expect(deferred.trace).toEqual([]);
    expect(deferred.outputs).toEqual([]);
    expect(deferred.state).toEqual({
      entrypoint: "status",
      waiting: "input",
      pendingHandover: handover("completed").handover,
      context: {},
    });
    const next = await runFlow(flow, deferred.state, input("hi again"), fakePorts());
    expect(texts(next)).toEqual(["Welcome back!"]);
    expect(next.state).toEqual({ entrypoint: null, waiting: "none", context: {} });
  });

  it("defaults a completion to the node's onResolve", async () => {
    const byEntrypoint = flowOf({
      toAgent: { type: "handoverToAgent", onResolve: "entrypoint", next: "park" },
      park: { type: "goTo", target: "entry", wait: true },
      entry: { type: "say", text: "at entrypoint" },
      below: { type: "say", text: "never" },
    });
    const [, parked, done] = await runAll(byEntrypoint, [
      { kind: "start" },
      handover("queue"),
      handover("completed"),
    ]);
    expect(parked!.state.entrypoint).toBe("entry");
    expect(texts(done!)).toEqual(["at entrypoint"]);
  });

  it("ignores a handover event when no handover is open (a late resolve after closeHandover)", async () => {
    const result = await runFlow(flow, undefined, handover("completed"), fakePorts());
    expect(result.trace).toEqual([]);
    expect(result.state).toEqual({ entrypoint: null, waiting: "none", context: {} });
  });

  it("supports a second handover in the same session after the first completed", async () => {
    const again = flowOf({
      ask: { type: "question", text: "Need a human?", save: "context.answer", next: "toAgent" },
      toAgent: { type: "handoverToAgent", queueId: "{{ context.answer }}", next: "after" },
      after: { type: "lookup", value: "input.handover.status", cases: { completed: "thanks" } },
      thanks: { type: "say", text: "Thanks!", next: "ask" },
    });
    const results = await runAll(again, [
      { kind: "start" },
      input("311"),
      handover("completed"),
      input("312"),
      handover("queue"),
      handover("completed"),
    ]);
    const starts = results.flatMap((r) => r.actions).filter((a) => a.type === "handover.start");
    expect(starts.map((a) => a.type === "handover.start" && a.request.provider.queueId)).toEqual([
      "311",
      "312",
    ]);
    expect(texts(results[2]!)).toEqual(["Thanks!", "Need a human?"]);
    expect(results[4]!.state).toMatchObject({ waiting: "handover", handoverNodeId: "toAgent" });
    expect(texts(results[5]!)).toEqual(["Thanks!", "Need a human?"]);
    expect(results[5]!.state).toMatchObject({ waiting: "input", questionNodeId: "ask" });
  });

  it("can start another handover straight from the outcome (another queue after a timeout)", async () => {
    const retry = flowOf({
      first: { type: "handoverToAgent", queueId: "311", maxQueueWait: 60, next: "outcome" },
      outcome: { type: "if", condition: 'input.handover.reason == "timeout"', then: "second" },
      second: { type: "handoverToAgent", queueId: "312", next: "done" },
      done: { type: "say", text: "done" },
    });
    const [, retried] = await runAll(retry, [
      { kind: "start" },
      handover("cancelled", { reason: "timeout" }),
    ]);
    expect(retried!.actions.map((a) => a.nodeId)).toEqual(["second"]);
    expect(retried!.state).toMatchObject({
      waiting: "handover",
      handoverNodeId: "second",
      entrypoint: "done",
    });
  });

  it.each([
    ["a question", { type: "question", text: "?", save: "context.q" }],
    ["a second handoverToAgent", { type: "handoverToAgent" }],
  ])("stops with BATON_ERR_FLOW_NODE_NOT_ALLOWED when an event reaches %s", async (_name, node) => {
    const guarded = flowOf({
      toAgent: { type: "handoverToAgent", next: "bad" },
      bad: node,
    });
    const [start, event] = await runAll(guarded, [{ kind: "start" }, handover("queue")]);
    expect(event!.errors.map((e) => [e.code, e.details.nodeId])).toEqual([
      ["BATON_ERR_FLOW_NODE_NOT_ALLOWED", "bad"],
    ]);
    expect(event!.outputs).toEqual([]);
    expect(event!.actions).toEqual([]);
    expect(event!.state).toEqual(start!.state);
  });
});
