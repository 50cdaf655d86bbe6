import { describe, expect, it } from "vitest";
import { runFlow, type FlowHandoverRequest, type FlowState } from "../../../src/flow/index.ts";
import { fakePorts, flowOf, handover, runAll } from "./flow-test-kit.ts";

describe("handoverToAgent node", () => {
  it("emits handover.start with every parameter, templates rendered, and waits for the handover", async () => {
    const flow = flowOf({
      toAgent: {
        type: "handoverToAgent",
        provider: "eight",
        channelId: "ch-{{ session.locale }}",
        queueId: "311",
        jsonProperties: { Plan: "{{ context.plan }}", Source: "web" },
        acceptedMessage: "Connecting you, {{ context.name }}.",
        repeatAcceptedMessage: true,
        cancelIntent: "/^(stop|cancel)$/i",
        cancelButtonText: "Cancel",
        onResolve: "entrypoint",
        sendQueueEvent: true,
        sendActiveEvent: true,
        sendResolveEvent: true,
        transcript: "last:20",
        maxQueueWait: 300,
        next: "after",
      },
      after: { type: "say", text: "back" },
    });
    const state: FlowState = { entrypoint: null, waiting: "none", context: { plan: "gold", name: "Ada" } };
    const result = await runFlow(flow, state, { kind: "start" }, fakePorts());
    expect(result.actions).toEqual([
      {
        type: "handover.start",
        nodeId: "toAgent",
        outputsBefore: 0,
        request: {
          providerId: "eight",
          provider: { channelId: "ch-en", queueId: "311", jsonProperties: { Plan: "gold", Source: "web" } },
          acceptedMessage: "Connecting you, Ada.",
          repeatAcceptedMessage: true,
          cancelIntent: { pattern: "^(stop|cancel)$", flags: "i" },
          cancelButtonText: "Cancel",
          onResolve: "entrypoint",
          sendQueueEvent: true,
          sendActiveEvent: true,
          sendResolveEvent: true,
          transcript: { mode: "last", count: 20 },
          maxQueueWaitSeconds: 300,
        } satisfies FlowHandoverRequest,
      },
    ]);
    expect(result.state).toMatchObject({
      waiting: "handover",
      entrypoint: "after",
      handoverNodeId: "toAgent",
    });
    expect(result.outputs).toEqual([]);
  });

  it("applies the defaults and leaves the provider to the endpoint when none is named", async () => {
    const flow = flowOf({ toAgent: { type: "handoverToAgent", cancelIntent: ["cancel", "stop"] } });
    const [result] = await runAll(flow, [{ kind: "start" }]);
    const action = result!.actions[0];
    expect(action?.type === "handover.start" && action.request).toEqual({
      providerId: undefined,
      provider: {},
      repeatAcceptedMessage: false,
      cancelIntent: { keywords: ["cancel", "stop"] },
      onResolve: "belowNode",
      sendQueueEvent: false,
      sendActiveEvent: false,
      sendResolveEvent: false,
      transcript: { mode: "full" },
    });
    expect(result!.state).toMatchObject({ waiting: "handover", entrypoint: null });
  });
});

describe("closeHandover, setHandoverInactivity and end nodes", () => {
  const flow = flowOf({
    toAgent: { type: "handoverToAgent", sendActiveEvent: true, next: "events" },
    events: { type: "lookup", value: "input.handover.status", cases: { active: "arm", inactivity: "bye" } },
    arm: { type: "setHandoverInactivity", seconds: 90 },
    bye: { type: "say", text: "Closing the chat for inactivity.", destination: "both", next: "close" },
    close: { type: "closeHandover", next: "back" },
    back: { type: "say", text: "You're back with the bot." },
  });

  it("arm the inactivity timer while a handover is open", async () => {
    const [, active] = await runAll(flow, [{ kind: "start" }, handover("active")]);
    expect(active!.actions).toEqual([
      { type: "handover.setInactivity", nodeId: "arm", seconds: 90, outputsBefore: 0 },
    ]);
    expect(active!.state).toMatchObject({ waiting: "handover", entrypoint: "events" });
  });

  it("close the handover after the outputs before it, and continue at once", async () => {
    const [, closed] = await runAll(flow, [
      { kind: "start" },
      handover("inactivity", { inactivityCount: 1 }),
    ]);
    expect(closed!.outputs.map((o) => [o.destination, o.text])).toEqual([
      ["both", "Closing the chat for inactivity."],
      ["user", "You're back with the bot."],
    ]);
    expect(closed!.actions).toEqual([{ type: "handover.close", nodeId: "close", outputsBefore: 1 }]);
    expect(closed!.state).toEqual({ entrypoint: null, waiting: "none", context: {} });
  });

  it("do nothing without an open handover", async () => {
    const idle = flowOf({
      arm: { type: "setHandoverInactivity", seconds: 5, next: "close" },
      close: { type: "closeHandover" },
    });
    const [result] = await runAll(idle, [{ kind: "start" }]);
    expect(result!.trace).toEqual(["arm", "close"]);
    expect(result!.actions).toEqual([]);
  });

  it("end closes an open handover before its end action", async () => {
    const ending = flowOf({
      toAgent: { type: "handoverToAgent", next: "stop" },
      stop: { type: "end" },
    });
    const [, ended] = await runAll(ending, [{ kind: "start" }, handover("queue")]);
    expect(ended!.actions).toEqual([
      { type: "handover.close", nodeId: "stop", outputsBefore: 0 },
      { type: "end", nodeId: "stop", outputsBefore: 0 },
    ]);
    expect(ended!.state).toEqual({ entrypoint: null, waiting: "none", context: {} });
  });

  it("end emits an end action and leaves the flow idle", async () => {
    const ending = flowOf({ bye: { type: "say", text: "bye", next: "stop" }, stop: { type: "end" } });
    const [result] = await runAll(ending, [{ kind: "start" }]);
    expect(result!.actions).toEqual([{ type: "end", nodeId: "stop", outputsBefore: 1 }]);
    expect(result!.state).toEqual({ entrypoint: null, waiting: "none", context: {} });
  });
});
