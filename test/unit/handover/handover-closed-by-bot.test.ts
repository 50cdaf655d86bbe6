import { describe, expect, it } from "vitest";
import { active, effectsOf, kinds, logOf, queued, resumesIn } from "./handover-driver.ts";

describe("the bot closes the handover (closeHandover)", () => {
  it("lets the user leave on the provider's side before the flow continues, with completed / closed at the close node", () => {
    const driver = active();
    driver.send({ type: "bot.setInactivity", seconds: 60 });
    const effects = driver.send({ type: "bot.close" });
    expect(driver.state).toMatchObject({ state: "closed_by_bot", endReason: "closed" });
    expect(kinds(effects)).toEqual([
      "timer.cancel",
      "provider.userLeaves",
      "user.say",
      "user.banner",
      "flow.resume",
    ]);
    expect(effectsOf(effects, "user.say")[0]!.messageKey).toBe("closed");
    expect(effectsOf(effects, "flow.resume")[0]).toMatchObject({
      input: { status: "completed", reason: "closed", agent: { id: "agent-anna" } },
      resumeAt: "current",
      trigger: "now",
    });
  });

  it("withdraws a request that is still waiting", () => {
    const driver = queued();
    driver.send({ type: "bot.close" });
    expect(driver.state.state).toBe("closed_by_bot");
    expect(kinds(driver.effects)).toContain("provider.userLeaves");
  });

  it("ignores the agent's later resolve: left, idle and messages start no flow", () => {
    const driver = active({ sendResolveEvent: true });
    driver.send({ type: "bot.close" });
    for (const event of [
      { type: "provider.agentLeft", agentId: "agent-anna" },
      { type: "provider.conversationState", state: "idle" },
      { type: "provider.agentMessage", agentId: "agent-anna", text: "bye", attachments: [], cards: [] },
      { type: "bot.close" },
    ] as const) {
      driver.send(event);
      expect(logOf(driver.effects)).toMatchObject({
        ignored: true,
        from: "closed_by_bot",
        to: "closed_by_bot",
      });
      expect(kinds(driver.effects)).toEqual([]);
    }
    expect(resumesIn(driver.history)).toHaveLength(1);
  });
});

describe("the user leaves on the provider's side", () => {
  it("abandons the handover without calling user-leaves again, and resumes the flow with cancelled / user_left", () => {
    const driver = active();
    const effects = driver.send({ type: "provider.userLeft" });
    expect(driver.state).toMatchObject({ state: "abandoned", endReason: "user_left" });
    expect(kinds(effects)).toEqual(["user.banner", "flow.resume"]);
    expect(effectsOf(effects, "flow.resume")[0]).toMatchObject({
      input: { status: "cancelled", reason: "user_left" },
      resumeAt: "belowNode",
      trigger: "now",
    });
  });

  it("ignores the user-left that follows Baton's own user-leaves call", () => {
    const driver = queued({ cancelIntent: { keywords: ["cancel"] } });
    driver.send({ type: "user.message", text: "cancel" });
    driver.send({ type: "provider.userLeft" });
    expect(driver.state.state).toBe("cancelled");
    expect(logOf(driver.effects).ignored).toBe(true);
  });
});
