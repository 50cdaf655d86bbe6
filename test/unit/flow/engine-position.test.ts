import { describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import { defaultMaxSteps, runFlow, type FlowState } from "../../../src/flow/index.ts";
import { fakePorts, flowOf, input, runAll, texts } from "./flow-test-kit.ts";

const flow = flowOf({
  greet: { type: "say", text: "Hello!", next: "name" },
  name: { type: "question", text: "Your name?", save: "context.name", next: "thanks" },
  thanks: { type: "say", text: "Thanks, {{ context.name }}." },
});

describe("flow engine: where a run starts and where the flow waits", () => {
  it("starts a new session at start and waits at the first question", async () => {
    const [result] = await runAll(flow, [{ kind: "start" }]);
    expect(texts(result!)).toEqual(["Hello!", "Your name?"]);
    expect(result!.trace).toEqual(["greet", "name"]);
    expect(result!.state).toEqual({
      entrypoint: "name",
      waiting: "input",
      questionNodeId: "name",
      context: {},
    });
  });

  it("saves the answer to the question and continues below it, then goes idle", async () => {
    const [, answered] = await runAll(flow, [{ kind: "start" }, input("Ada")]);
    expect(texts(answered!)).toEqual(["Thanks, Ada."]);
    expect(answered!.state).toEqual({ entrypoint: null, waiting: "none", context: { name: "Ada" } });
  });

  it("starts an idle flow's next input at start, keeping the context", async () => {
    const [, , again] = await runAll(flow, [{ kind: "start" }, input("Ada"), input("hi again")]);
    expect(again!.trace).toEqual(["greet", "name"]);
    expect(again!.state.context).toEqual({ name: "Ada" });
  });

  it("treats an input with no state as a new session", async () => {
    const result = await runFlow(flow, undefined, input("hi"), fakePorts());
    expect(result.trace).toEqual(["greet", "name"]);
  });

  it("restarts at start on a start trigger even while a question waits", async () => {
    const [, restarted] = await runAll(flow, [{ kind: "start" }, { kind: "start" }]);
    expect(restarted!.trace).toEqual(["greet", "name"]);
  });

  it("continues a stored position as if the gateway never restarted (state is plain JSON)", async () => {
    const [asked] = await runAll(flow, [{ kind: "start" }]);
    const stored = JSON.parse(JSON.stringify(asked!.state)) as FlowState;
    const resumed = await runFlow(flow, stored, input("Grace"), fakePorts());
    expect(texts(resumed)).toEqual(["Thanks, Grace."]);
  });

  it("starts at start and reports BATON_ERR_FLOW_POSITION_UNKNOWN when the stored node no longer exists", async () => {
    const stale: FlowState = {
      entrypoint: "removed",
      waiting: "input",
      questionNodeId: "removed",
      context: {},
    };
    const result = await runFlow(flow, stale, input("x"), fakePorts());
    expect(result.trace).toEqual(["greet", "name"]);
    expect(result.errors.map((e) => [e.code, e.details.nodeId])).toEqual([
      ["BATON_ERR_FLOW_POSITION_UNKNOWN", "removed"],
    ]);
  });

  it("stops a goTo loop at the step limit with BATON_ERR_FLOW_LOOP and leaves the flow idle", async () => {
    const looping = flowOf({
      count: { type: "setContext", set: { "context.n": "(context.n || 0) + 1" }, next: "again" },
      again: { type: "goTo", target: "count" },
    });
    const result = await runFlow(looping, undefined, input("go"), fakePorts());
    expect(result.trace).toHaveLength(defaultMaxSteps);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toBeInstanceOf(BatonError);
    expect(result.errors[0]).toMatchObject({ code: "BATON_ERR_FLOW_LOOP", details: { nodeId: "count" } });
    expect(result.state).toMatchObject({
      entrypoint: null,
      waiting: "none",
      context: { n: defaultMaxSteps / 2 },
    });
  });

  it("honours a smaller step limit", async () => {
    const looping = flowOf({ a: { type: "goTo", target: "b" }, b: { type: "goTo", target: "a" } });
    const result = await runFlow(looping, undefined, input("go"), fakePorts(), { maxSteps: 5 });
    expect(result.trace).toEqual(["a", "b", "a", "b", "a"]);
    expect(result.errors.map((e) => e.code)).toEqual(["BATON_ERR_FLOW_LOOP"]);
  });
});
