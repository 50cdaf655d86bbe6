import { describe, expect, it } from "vitest";
import { active, effectsOf, kinds, logOf, resumesIn, AGENT_LEFT_GRACE_SECONDS } from "./handover-driver.ts";

describe("transfers: an agent's left after TRANSFER is not the end", () => {
  it("follows the simulator's order TRANSFER → left → QUEUED → update → new agent back to active", () => {
    const driver = active({ sendActiveEvent: true });
    driver.send({ type: "provider.transferred" });
    expect(driver.state).toMatchObject({ state: "transferring", transferPending: true });
    expect(driver.effects.slice(0, -1)).toEqual([
      { type: "user.say", messageKey: "transferring" },
      { type: "user.banner", banner: { state: "transferring" } },
    ]);
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    expect(driver.state).toMatchObject({ state: "transferring", transferPending: false });
    expect(driver.state.agent).toBeUndefined();
    expect(kinds(driver.effects)).toEqual([]);
    driver.send({ type: "provider.queued", queueId: "312", queueName: "Billing DE" });
    driver.send({
      type: "provider.conversationState",
      state: "active",
      assignment: { type: "queue", id: "312" },
    });
    expect(driver.state).toMatchObject({ state: "transferring", queue: { id: "312", name: "Billing DE" } });
    driver.send({ type: "provider.agentJoined", agentId: "agent-clara", agentName: "Clara" });
    expect(driver.state).toMatchObject({ state: "active", agent: { id: "agent-clara", name: "Clara" } });
    expect(kinds(driver.effects)).toEqual(["user.say", "user.banner", "flow.event"]);
    driver.send({
      type: "provider.conversationState",
      state: "active",
      assignment: { type: "agent", id: "agent-clara" },
    });
    expect(logOf(driver.effects).ignored).toBe(true);
    expect(resumesIn(driver.history)).toEqual([]);
  });

  it("handles the other order, left → TRANSFER inside the grace, as a transfer", () => {
    const driver = active();
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    expect(driver.state).toMatchObject({ state: "active", agentLeftPendingSince: driver.now });
    expect(driver.effects.slice(0, -1)).toEqual([
      {
        type: "timer.set",
        timer: "agentLeftGrace",
        seconds: AGENT_LEFT_GRACE_SECONDS,
        dueAt: driver.now + AGENT_LEFT_GRACE_SECONDS * 1000,
      },
    ]);
    const graceDue = driver.state.timers.agentLeftGrace!;
    driver.send({ type: "provider.transferred" });
    expect(driver.state).toMatchObject({ state: "transferring", transferPending: false });
    expect(driver.state.agentLeftPendingSince).toBeUndefined();
    expect(kinds(driver.effects)).toEqual(["timer.cancel", "user.say", "user.banner"]);
    driver.send({ type: "timer.fired", timer: "agentLeftGrace" }, graceDue);
    expect(driver.state.state).toBe("transferring");
    expect(logOf(driver.effects).ignored).toBe(true);
    driver.send({ type: "provider.agentJoined", agentId: "agent-ben" });
    expect(driver.state.state).toBe("active");
    expect(resumesIn(driver.history)).toEqual([]);
  });

  it("takes a QUEUED inside the grace as a transfer when no TRANSFER is sent", () => {
    const driver = active();
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    driver.send({ type: "provider.queued", queueId: "312", queueName: "Billing DE" });
    expect(driver.state).toMatchObject({
      state: "transferring",
      transferPending: false,
      queue: { id: "312" },
    });
  });

  it("takes a new agent joining inside the grace as the transfer's end", () => {
    const driver = active();
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    driver.send({ type: "provider.agentJoined", agentId: "agent-ben", agentName: "Ben" });
    expect(driver.state).toMatchObject({ state: "active", agent: { id: "agent-ben", name: "Ben" } });
    expect(driver.state.agentLeftPendingSince).toBeUndefined();
    expect(driver.state.timers.agentLeftGrace).toBeUndefined();
    expect(effectsOf(driver.effects, "timer.cancel")).toEqual([
      { type: "timer.cancel", timer: "agentLeftGrace" },
    ]);
  });

  it("ignores a late assignment update naming the agent who left", () => {
    const driver = active();
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    driver.send({
      type: "provider.conversationState",
      state: "active",
      assignment: { type: "agent", id: "agent-anna" },
    });
    expect(driver.state.agentLeftPendingSince).toBeDefined();
    expect(logOf(driver.effects).ignored).toBe(true);
  });

  it("holds user messages written during the grace and passes them on, in order, when it turns out a transfer", () => {
    const driver = active();
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    driver.send({ type: "user.message", text: "hello?" });
    driver.send({ type: "user.message", text: "anyone?" });
    expect(kinds(driver.effects)).toEqual([]);
    expect(driver.state.heldUserMessages.map((message) => message.text)).toEqual(["hello?", "anyone?"]);
    driver.send({ type: "provider.transferred" });
    expect(effectsOf(driver.effects, "provider.sendUserMessage")).toEqual([
      { type: "provider.sendUserMessage", text: "hello?" },
      { type: "provider.sendUserMessage", text: "anyone?" },
    ]);
    expect(driver.state.heldUserMessages).toEqual([]);
  });

  it("passes user messages on while transferring (the next agent sees them)", () => {
    const driver = active();
    driver.send({ type: "provider.transferred" });
    driver.send({ type: "user.message", text: "still here" });
    expect(kinds(driver.effects)).toEqual(["provider.sendUserMessage"]);
  });

  it("ignores a repeated TRANSFER, a second left and the transferring agent's repeated join", () => {
    const driver = active();
    driver.send({ type: "provider.transferred" });
    driver.send({ type: "provider.agentJoined", agentId: "agent-anna" });
    expect(driver.state.state).toBe("transferring");
    expect(logOf(driver.effects).ignored).toBe(true);
    driver.send({ type: "provider.transferred" });
    expect(logOf(driver.effects).ignored).toBe(true);
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    expect(logOf(driver.effects).ignored).toBe(true);
    expect(driver.state.state).toBe("transferring");
  });

  it("relays the transferring agent's goodbye and the typing of whoever is there", () => {
    const driver = active();
    driver.send({ type: "provider.transferred" });
    driver.send({
      type: "provider.agentMessage",
      agentId: "agent-anna",
      text: "Passing you on",
      attachments: [],
      cards: [],
    });
    expect(effectsOf(driver.effects, "user.relayAgentMessage")[0]).toMatchObject({ agentName: "Anna" });
    driver.send({ type: "provider.agentTyping", active: true });
    expect(kinds(driver.effects)).toEqual(["user.typing"]);
  });

  it("ends as completed if the conversation goes idle during a transfer", () => {
    const driver = active();
    driver.send({ type: "provider.transferred" });
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    driver.send({ type: "provider.conversationState", state: "idle" });
    expect(driver.state.state).toBe("completed");
    expect(resumesIn(driver.history)).toHaveLength(1);
  });
});
