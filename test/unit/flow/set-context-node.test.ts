import { describe, expect, it } from "vitest";
import { runFlow, type FlowState } from "../../../src/flow/index.ts";
import { fakePorts, flowOf } from "./flow-test-kit.ts";

describe("setContext node", () => {
  const flow = flowOf({
    assign: {
      type: "setContext",
      set: {
        "context.tries": "context.tries + 1",
        "context.profile.name": 'upper(input.text) + "!"',
        "context.copy": "context.profile",
        "context.flag": true,
        "context.limit": 3,
        "context.cleared": null,
        "context.seen": "context.tries",
      },
      next: "mutate",
    },
    mutate: { type: "setContext", set: { "context.copy.name": '"changed"' } },
  });

  it("writes in order, creates intermediate objects, takes literals as they are and copies values", async () => {
    const state: FlowState = { entrypoint: null, waiting: "none", context: { tries: 1 } };
    const result = await runFlow(flow, state, { kind: "input", text: "ada" }, fakePorts());
    expect(result.state.context).toEqual({
      tries: 2,
      profile: { name: "ADA!" },
      copy: { name: "changed" },
      flag: true,
      limit: 3,
      cleared: null,
      seen: 2,
    });
  });

  it("never changes the state it was given", async () => {
    const state: FlowState = {
      entrypoint: null,
      waiting: "none",
      context: { tries: 1, profile: { name: "x" } },
    };
    const before = structuredClone(state);
    await runFlow(flow, state, { kind: "input", text: "ada" }, fakePorts());
    expect(state).toEqual(before);
  });

  it("replaces a non-object on the way to a nested path", async () => {
    const nested = flowOf({ set: { type: "setContext", set: { "context.a.b": "1" } } });
    const state: FlowState = { entrypoint: null, waiting: "none", context: { a: "text" } };
    const result = await runFlow(nested, state, { kind: "start" }, fakePorts());
    expect(result.state.context).toEqual({ a: { b: 1 } });
  });
});
