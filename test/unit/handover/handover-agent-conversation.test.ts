import { describe, expect, it } from "vitest";
import { active, effectsOf, kinds, logOf, queued } from "./handover-driver.ts";

describe("talking with an agent", () => {
  it("becomes active when an agent joins: the user hears the agent's name and sees the active banner", () => {
    const driver = queued();
    const effects = driver.send({ type: "provider.agentJoined", agentId: "agent-anna", agentName: "Anna" });
    expect(driver.state).toMatchObject({
      state: "active",
      agent: { id: "agent-anna", name: "Anna" },
      activeAt: driver.now,
    });
    expect(effects.slice(0, -1)).toEqual([
      { type: "user.say", messageKey: "agentJoined", params: { agentName: "Anna" } },
      { type: "user.banner", banner: { state: "active", agentName: "Anna" } },
    ]);
  });

  it("sends the flow an active event only when the node asks for it", () => {
    const driver = queued({ sendActiveEvent: true });
    driver.send({ type: "provider.agentJoined", agentId: "agent-anna" });
    expect(effectsOf(driver.effects, "flow.event")).toEqual([
      {
        type: "flow.event",
        input: {
          status: "active",
          handoverId: "handover-1",
          providerId: "eight",
          queue: { id: "311", name: "Support EN" },
          agent: { id: "agent-anna" },
        },
      },
    ]);
  });

  it("relays agent messages with the agent's name, attachments and cards", () => {
    const driver = active();
    const attachment = {
      id: "att-1",
      kind: "file",
      fileName: "receipt.pdf",
      url: "https://files.example/att-1",
    };
    const card = {
      contentType: "application/vnd.microsoft.card.adaptive",
      content: { type: "AdaptiveCard" },
    };
    driver.send({
      type: "provider.agentMessage",
      agentId: "agent-anna",
      text: "Here is your receipt",
      attachments: [attachment],
      cards: [card],
    });
    expect(driver.effects.slice(0, -1)).toEqual([
      {
        type: "user.relayAgentMessage",
        text: "Here is your receipt",
        attachments: [attachment],
        cards: [card],
        agentName: "Anna",
      },
    ]);
  });

  it("takes an agent message that arrives before the join as the join", () => {
    const driver = queued();
    driver.send({
      type: "provider.agentMessage",
      agentId: "agent-ben",
      text: "Hi!",
      attachments: [],
      cards: [],
    });
    expect(driver.state).toMatchObject({ state: "active", agent: { id: "agent-ben" } });
    expect(kinds(driver.effects)).toEqual(["user.say", "user.banner", "user.relayAgentMessage"]);
  });

  it("relays agent typing to the user and user typing to the provider", () => {
    const driver = active();
    driver.send({ type: "provider.agentTyping", active: true });
    expect(driver.effects[0]).toEqual({ type: "user.typing", active: true, agentName: "Anna" });
    driver.send({ type: "provider.agentTyping", active: false });
    expect(driver.effects[0]).toEqual({ type: "user.typing", active: false, agentName: "Anna" });
    driver.send({ type: "user.typing", active: true });
    expect(kinds(driver.effects)).toEqual(["provider.typing"]);
  });

  it("ignores agent typing while nobody has joined", () => {
    const driver = queued();
    driver.send({ type: "provider.agentTyping", active: true });
    expect(kinds(driver.effects)).toEqual([]);
    expect(logOf(driver.effects).ignored).toBe(true);
  });

  it("passes user messages to the agent, not to the flow", () => {
    const driver = active();
    driver.send({ type: "user.message", text: "thanks", data: { source: "web" } });
    expect(kinds(driver.effects)).toEqual(["provider.sendUserMessage"]);
  });

  it("ignores a repeated join of the current agent and its assignment update", () => {
    const driver = active({ sendActiveEvent: true });
    driver.send({ type: "provider.agentJoined", agentId: "agent-anna" });
    expect(logOf(driver.effects)).toMatchObject({ ignored: true, note: "duplicate" });
    driver.send({
      type: "provider.conversationState",
      state: "active",
      assignment: { type: "agent", id: "agent-anna" },
    });
    expect(logOf(driver.effects).ignored).toBe(true);
    expect(driver.state.agent).toEqual({ id: "agent-anna", name: "Anna" });
  });

  it("takes an assignment update naming an agent as the join when no MEMBERS_CHANGED came", () => {
    const driver = queued();
    driver.send({
      type: "provider.conversationState",
      state: "active",
      assignment: { type: "Agent", id: "agent-ben" },
    });
    expect(driver.state).toMatchObject({ state: "active", agent: { id: "agent-ben" } });
  });

  it("follows another agent taking over, and then ignores the first agent's late left", () => {
    const driver = active();
    driver.send({ type: "provider.agentJoined", agentId: "agent-ben", agentName: "Ben" });
    expect(driver.state.agent).toEqual({ id: "agent-ben", name: "Ben" });
    expect(effectsOf(driver.effects, "user.say")[0]).toEqual({
      type: "user.say",
      messageKey: "agentJoined",
      params: { agentName: "Ben" },
    });
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    expect(logOf(driver.effects)).toMatchObject({ ignored: true, note: "not the current agent" });
    expect(driver.state.agentLeftPendingSince).toBeUndefined();
  });
});
