import { describe, expect, it } from "vitest";
import {
  HANDOVER_CANCEL_PAYLOAD,
  initialState,
  unsupportedState,
} from "../../../src/handover/machine/index.ts";
import { effectsOf, handoverRequest, kinds, logOf, startHandover, T0 } from "./handover-driver.ts";

describe("starting a handover", () => {
  it("creates the provider conversation, says the accepted message with a cancel quick reply, shows the queue banner and arms maxQueueWait", () => {
    const { state, effects } = initialState(
      handoverRequest({
        acceptedMessage: "One moment…",
        cancelButtonText: "Cancel",
        maxQueueWaitSeconds: 120,
      }),
      T0,
      "handover-1",
      { agentLeftGraceSeconds: 10 },
    );
    expect(state).toMatchObject({
      state: "requested",
      handoverId: "handover-1",
      requestedAt: T0,
      userConnected: true,
    });
    expect(effects).toEqual([
      { type: "provider.create" },
      {
        type: "user.sayText",
        text: "One moment…",
        quickReplies: [{ title: "Cancel", payload: HANDOVER_CANCEL_PAYLOAD }],
      },
      { type: "user.banner", banner: { state: "queued", cancelLabel: "Cancel" } },
      { type: "timer.set", timer: "queueWait", seconds: 120, dueAt: T0 + 120_000 },
      {
        type: "log",
        from: "none",
        to: "requested",
        event: "start",
        ignored: false,
        note: "handover requested",
      },
    ]);
  });

  it("says the catalog's 'connecting' text when the node has no accepted message, and arms no timer without maxQueueWait", () => {
    const { effects } = initialState(handoverRequest(), T0, "handover-1", { agentLeftGraceSeconds: 10 });
    expect(kinds(effects)).toEqual(["provider.create", "user.say", "user.banner"]);
    expect(effectsOf(effects, "user.say")[0]).toEqual({ type: "user.say", messageKey: "connecting" });
    expect(effectsOf(effects, "user.banner")[0]!.banner).toEqual({ state: "queued" });
  });

  it("records the provider conversation id once, and ignores a repeat or a different id", () => {
    const driver = startHandover();
    driver.send({ type: "request.created", providerConversationId: "cv-1" });
    expect(driver.state.providerConversationId).toBe("cv-1");
    expect(logOf(driver.effects).ignored).toBe(false);
    driver.send({ type: "request.created", providerConversationId: "cv-1" });
    expect(logOf(driver.effects).ignored).toBe(true);
    driver.send({ type: "request.created", providerConversationId: "cv-2" });
    expect(logOf(driver.effects).ignored).toBe(true);
    expect(driver.state.providerConversationId).toBe("cv-1");
  });

  it("accepts provider events that arrive before the create call's answer", () => {
    const driver = startHandover();
    driver.send({ type: "provider.queued", queueId: "311", queueName: "Support EN" });
    expect(driver.state.state).toBe("queued");
    driver.send({ type: "request.created", providerConversationId: "cv-1" });
    expect(driver.state.providerConversationId).toBe("cv-1");
    expect(driver.state.state).toBe("queued");
  });

  it("ends in error with reason error when the create call fails: the user is told and the flow resumes below the node", () => {
    const driver = startHandover({ maxQueueWaitSeconds: 60 });
    const effects = driver.send({ type: "request.failed", reason: "error", message: "8x8 answered 503" });
    expect(driver.state).toMatchObject({
      state: "error",
      endReason: "error",
      error: { reason: "error", message: "8x8 answered 503" },
    });
    expect(kinds(effects)).toEqual(["timer.cancel", "user.say", "user.banner", "flow.resume"]);
    expect(effectsOf(effects, "user.say")[0]!.messageKey).toBe("error");
    expect(effectsOf(effects, "flow.resume")[0]).toEqual({
      type: "flow.resume",
      input: {
        status: "error",
        handoverId: "handover-1",
        providerId: "eight",
        reason: "error",
        error: { reason: "error", message: "8x8 answered 503" },
      },
      resumeAt: "belowNode",
      trigger: "now",
    });
  });

  it("ends in error with reason unsupported when the provider refuses the channel", () => {
    const driver = startHandover();
    driver.send({ type: "request.failed", reason: "unsupported", message: "no channelId" });
    expect(effectsOf(driver.effects, "flow.resume")[0]!.input).toMatchObject({
      status: "error",
      error: { reason: "unsupported", message: "no channelId" },
    });
  });

  it("starts an unsupported handover already in error, without asking any provider", () => {
    const { state, effects } = unsupportedState(
      handoverRequest(),
      T0,
      "handover-1",
      "webhook channel cannot hand over",
    );
    expect(state.state).toBe("error");
    expect(kinds(effects)).toEqual(["user.say", "user.banner", "flow.resume"]);
    expect(effectsOf(effects, "flow.resume")[0]!.input).toMatchObject({
      status: "error",
      reason: "unsupported",
      error: { reason: "unsupported", message: "webhook channel cannot hand over" },
    });
    expect(logOf(effects)).toMatchObject({ from: "none", to: "error", event: "request.failed" });
  });

  it("ignores a failure report once the provider has accepted the request", () => {
    const driver = startHandover();
    driver.send({ type: "provider.queued", queueId: "311" });
    driver.send({ type: "request.failed", reason: "error", message: "late" });
    expect(driver.state.state).toBe("queued");
    expect(logOf(driver.effects).ignored).toBe(true);
  });
});
