import { describe, expect, it } from "vitest";
import { effectsOf, kinds, logOf, queued, startHandover } from "./handover-driver.ts";

describe("waiting in the queue", () => {
  it("enters the queue on QUEUED: the user hears the queue's name and sees the banner with the cancel label", () => {
    const driver = startHandover({ cancelButtonText: "Stop waiting" });
    const effects = driver.send({ type: "provider.queued", queueId: "311", queueName: "Support EN" });
    expect(driver.state).toMatchObject({
      state: "queued",
      queue: { id: "311", name: "Support EN" },
      queuedAt: driver.now,
    });
    expect(effects.slice(0, -1)).toEqual([
      { type: "user.say", messageKey: "queued", params: { queueName: "Support EN" } },
      {
        type: "user.banner",
        banner: { state: "queued", queueName: "Support EN", cancelLabel: "Stop waiting" },
      },
    ]);
  });

  it("sends the flow a queue event only when the node asks for it", () => {
    expect(effectsOf(queued().history.flat(), "flow.event")).toEqual([]);
    const events = effectsOf(queued({ sendQueueEvent: true }).history.flat(), "flow.event");
    expect(events).toEqual([
      {
        type: "flow.event",
        input: {
          status: "queue",
          handoverId: "handover-1",
          providerId: "eight",
          queue: { id: "311", name: "Support EN" },
        },
      },
    ]);
  });

  it("records a queue assignment from a conversation update without leaving requested (QUEUED carries the name)", () => {
    const driver = startHandover();
    driver.send({
      type: "provider.conversationState",
      state: "active",
      assignment: { type: "queue", id: "311" },
    });
    expect(driver.state).toMatchObject({ state: "requested", queue: { id: "311" } });
    expect(kinds(driver.effects)).toEqual([]);
    driver.send({ type: "provider.queued", queueId: "311", queueName: "Support EN" });
    expect(driver.state).toMatchObject({ state: "queued", queue: { id: "311", name: "Support EN" } });
  });

  it("treats a repeated QUEUED as a no-op and a queue change as a banner update only", () => {
    const driver = queued({ sendQueueEvent: true });
    driver.send({ type: "provider.queued", queueId: "311", queueName: "Support EN" });
    expect(logOf(driver.effects).ignored).toBe(true);
    driver.send({ type: "provider.queued", queueId: "312", queueName: "Billing DE" });
    expect(driver.effects.slice(0, -1)).toEqual([
      { type: "user.banner", banner: { state: "queued", queueName: "Billing DE" } },
    ]);
    expect(driver.state.queue).toEqual({ id: "312", name: "Billing DE" });
  });

  it("passes user messages to the provider, never to the flow", () => {
    const driver = queued();
    const effects = driver.send({ type: "user.message", text: "Are you there?" });
    expect(effects.slice(0, -1)).toEqual([{ type: "provider.sendUserMessage", text: "Are you there?" }]);
    expect(kinds(effects)).not.toContain("flow.event");
    expect(kinds(effects)).not.toContain("flow.resume");
  });

  it("passes attachments on, and sends nothing for an empty message", () => {
    const driver = queued();
    const file = { name: "photo.png", url: "https://files.example/photo.png", contentType: "image/png" };
    driver.send({ type: "user.message", attachments: [file] });
    expect(driver.effects[0]).toEqual({ type: "provider.sendUserMessage", attachments: [file] });
    driver.send({ type: "user.message", text: "   " });
    expect(kinds(driver.effects)).toEqual([]);
    expect(logOf(driver.effects).ignored).toBe(true);
  });

  it("repeats the accepted message on each user message while waiting when repeatAcceptedMessage is on", () => {
    const driver = queued({
      acceptedMessage: "An agent will be with you shortly.",
      repeatAcceptedMessage: true,
    });
    driver.send({ type: "user.message", text: "hello?" });
    expect(driver.effects.slice(0, -1)).toEqual([
      { type: "provider.sendUserMessage", text: "hello?" },
      { type: "user.sayText", text: "An agent will be with you shortly." },
    ]);
    driver.send({ type: "provider.agentJoined", agentId: "agent-anna" });
    driver.send({ type: "user.message", text: "hi Anna" });
    expect(kinds(driver.effects)).toEqual(["provider.sendUserMessage"]);
  });

  it("does not repeat the accepted message when repeatAcceptedMessage is off", () => {
    const driver = queued({ acceptedMessage: "An agent will be with you shortly." });
    driver.send({ type: "user.message", text: "hello?" });
    expect(kinds(driver.effects)).toEqual(["provider.sendUserMessage"]);
  });

  it("withdraws the request when maxQueueWait passes: user leaves before the flow resumes with cancelled / timeout", () => {
    const driver = startHandover({ maxQueueWaitSeconds: 60 });
    driver.send({ type: "provider.queued", queueId: "311" });
    const effects = driver.send({ type: "timer.fired", timer: "queueWait" }, driver.state.timers.queueWait);
    expect(driver.state).toMatchObject({ state: "cancelled", endReason: "timeout" });
    expect(kinds(effects)).toEqual([
      "timer.cancel",
      "provider.userLeaves",
      "user.say",
      "user.banner",
      "flow.resume",
    ]);
    expect(effectsOf(effects, "user.say")[0]!.messageKey).toBe("timeout");
    expect(effectsOf(effects, "flow.resume")[0]).toMatchObject({
      input: { status: "cancelled", reason: "timeout", queue: { id: "311" } },
      resumeAt: "belowNode",
      trigger: "now",
    });
  });

  it("also times out while still requested (the provider never queued it)", () => {
    const driver = startHandover({ maxQueueWaitSeconds: 30 });
    driver.send({ type: "timer.fired", timer: "queueWait" }, driver.state.timers.queueWait);
    expect(driver.state).toMatchObject({ state: "cancelled", endReason: "timeout" });
  });

  it("cancels the queue-wait timer when an agent joins, and ignores its late fire", () => {
    const driver = startHandover({ maxQueueWaitSeconds: 60 });
    const due = driver.state.timers.queueWait!;
    driver.send({ type: "provider.agentJoined", agentId: "agent-anna" });
    expect(effectsOf(driver.effects, "timer.cancel")).toEqual([{ type: "timer.cancel", timer: "queueWait" }]);
    driver.send({ type: "timer.fired", timer: "queueWait" }, due);
    expect(driver.state.state).toBe("active");
    expect(logOf(driver.effects).ignored).toBe(true);
  });

  it("ends with cancelled / provider when the contact center closes the request before an agent joins", () => {
    const driver = queued();
    driver.send({ type: "provider.conversationState", state: "idle" });
    expect(driver.state).toMatchObject({ state: "cancelled", endReason: "provider" });
    expect(kinds(driver.effects)).toEqual(["user.say", "user.banner", "flow.resume"]);
    expect(kinds(driver.effects)).not.toContain("provider.userLeaves");
    expect(effectsOf(driver.effects, "user.say")[0]!.messageKey).toBe("endedByProvider");
  });

  it("passes user typing on while queued, but only starts (the provider has no stop call)", () => {
    const driver = queued();
    driver.send({ type: "user.typing", active: true });
    expect(kinds(driver.effects)).toEqual(["provider.typing"]);
    driver.send({ type: "user.typing", active: false });
    expect(kinds(driver.effects)).toEqual([]);
    expect(logOf(driver.effects).ignored).toBe(true);
  });

  it("does not pass typing on before the provider conversation exists", () => {
    const driver = startHandover();
    driver.send({ type: "user.typing", active: true });
    expect(kinds(driver.effects)).toEqual([]);
  });
});
