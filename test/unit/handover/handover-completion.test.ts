import { describe, expect, it } from "vitest";
import {
  active,
  effectsOf,
  kinds,
  logOf,
  resumesIn,
  startHandover,
  AGENT_LEFT_GRACE_SECONDS,
} from "./handover-driver.ts";

describe("completion: the agent leaves without a transfer", () => {
  it("holds the agent's left, then completes when the grace passes and resumes the flow below the node", () => {
    const driver = active({ sendResolveEvent: true });
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    expect(driver.state.state).toBe("active");
    expect(resumesIn(driver.history)).toEqual([]);
    const effects = driver.send(
      { type: "timer.fired", timer: "agentLeftGrace" },
      driver.state.timers.agentLeftGrace,
    );
    expect(driver.state.state).toBe("completed");
    expect(kinds(effects)).toEqual(["timer.cancel", "user.say", "user.banner", "flow.resume"]);
    expect(effectsOf(effects, "user.say")[0]).toEqual({
      type: "user.say",
      messageKey: "agentLeft",
      params: { agentName: "Anna" },
    });
    expect(effectsOf(effects, "flow.resume")[0]).toEqual({
      type: "flow.resume",
      input: {
        status: "completed",
        handoverId: "handover-1",
        providerId: "eight",
        queue: { id: "311", name: "Support EN" },
        agent: { id: "agent-anna", name: "Anna" },
      },
      resumeAt: "belowNode",
      trigger: "now",
    });
  });

  it("waits AGENT_LEFT_GRACE_SECONDS: a fire before the due time is stale and ignored", () => {
    const driver = active();
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    const leftAt = driver.now;
    driver.send(
      { type: "timer.fired", timer: "agentLeftGrace" },
      leftAt + AGENT_LEFT_GRACE_SECONDS * 1000 - 1,
    );
    expect(driver.state.state).toBe("active");
    expect(logOf(driver.effects).ignored).toBe(true);
    driver.send({ type: "timer.fired", timer: "agentLeftGrace" }, leftAt + AGENT_LEFT_GRACE_SECONDS * 1000);
    expect(driver.state.state).toBe("completed");
  });

  it("completes at once when the conversation goes idle inside the grace, and ignores the grace's later fire", () => {
    const driver = active();
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    const due = driver.state.timers.agentLeftGrace!;
    driver.send({ type: "provider.conversationState", state: "idle" });
    expect(driver.state.state).toBe("completed");
    expect(effectsOf(driver.effects, "timer.cancel")).toEqual([
      { type: "timer.cancel", timer: "agentLeftGrace" },
    ]);
    driver.send({ type: "timer.fired", timer: "agentLeftGrace" }, due);
    expect(logOf(driver.effects).ignored).toBe(true);
    expect(resumesIn(driver.history)).toHaveLength(1);
  });

  it("completes when the conversation goes idle even if the agent's left never arrives", () => {
    const driver = active();
    driver.send({ type: "provider.conversationState", state: "idle" });
    expect(driver.state.state).toBe("completed");
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    expect(logOf(driver.effects).ignored).toBe(true);
  });

  it("resumes at the entrypoint when onResolve is entrypoint", () => {
    const driver = active({ onResolve: "entrypoint", sendResolveEvent: true });
    driver.send({ type: "provider.conversationState", state: "idle" });
    expect(resumesIn(driver.history)[0]).toMatchObject({ resumeAt: "entrypoint", trigger: "now" });
  });

  it("without sendResolveEvent, moves the flow's position and lets it run on the user's next message", () => {
    const driver = active({ sendResolveEvent: false });
    driver.send({ type: "provider.conversationState", state: "idle" });
    expect(resumesIn(driver.history)[0]).toMatchObject({ resumeAt: "belowNode", trigger: "nextUserMessage" });
  });

  it("does not pass on messages held in the grace when the handover completes, and says so in the log", () => {
    const driver = active();
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    driver.send({ type: "user.message", text: "wait!" });
    driver.send({ type: "provider.conversationState", state: "idle" });
    expect(kinds(driver.effects)).not.toContain("provider.sendUserMessage");
    expect(logOf(driver.effects).note).toContain("1 held user message(s) not passed on");
    expect(driver.state.heldUserMessages).toEqual([]);
  });

  it("does not call user-leaves on completion: the agent already ended the interaction", () => {
    const driver = active();
    driver.send({ type: "provider.conversationState", state: "idle" });
    expect(kinds(driver.effects)).not.toContain("provider.userLeaves");
  });
});

describe("a provider that announces transfers before the agent leaves (agent-left grace 0)", () => {
  it("completes at the agent's left, with no grace timer", () => {
    const driver = startHandover({}, "handover-1", { agentLeftGraceSeconds: 0 });
    driver.send({ type: "request.created", providerConversationId: "c-1" });
    driver.send({ type: "provider.agentJoined", agentId: "agent-1" });
    const effects = driver.send({ type: "provider.agentLeft", agentId: "agent-1" });
    expect(driver.state.state).toBe("completed");
    expect(effects.map((e) => e.type)).not.toContain("timer.set");
    expect(effects).toContainEqual(expect.objectContaining({ type: "flow.resume" }));
  });
});
