import { describe, expect, it } from "vitest";
import { active, kinds, logOf, startHandover } from "./handover-driver.ts";

describe("the user's connection comes and goes", () => {
  it("tells the agent once per change: user left, then user returned", () => {
    const driver = active();
    driver.send({ type: "user.connection", connected: false });
    expect(driver.effects.slice(0, -1)).toEqual([{ type: "provider.notifyAgent", messageKey: "userLeft" }]);
    driver.send({ type: "user.connection", connected: false });
    expect(kinds(driver.effects)).toEqual([]);
    expect(logOf(driver.effects).ignored).toBe(true);
    driver.send({ type: "user.connection", connected: true });
    expect(driver.effects.slice(0, -1)).toEqual([
      { type: "provider.notifyAgent", messageKey: "userReturned" },
    ]);
    driver.send({ type: "user.connection", connected: true });
    expect(kinds(driver.effects)).toEqual([]);
  });

  it("tells the agent while transferring too", () => {
    const driver = active();
    driver.send({ type: "provider.transferred" });
    driver.send({ type: "user.connection", connected: false });
    expect(kinds(driver.effects)).toEqual(["provider.notifyAgent"]);
  });

  it("only records the change while requested: there is nobody to tell yet", () => {
    const driver = startHandover();
    driver.send({ type: "user.connection", connected: false });
    expect(kinds(driver.effects)).toEqual([]);
    expect(driver.state.userConnected).toBe(false);
    driver.send({ type: "provider.queued", queueId: "311" });
    driver.send({ type: "user.connection", connected: true });
    expect(driver.effects[0]).toEqual({ type: "provider.notifyAgent", messageKey: "userReturned" });
  });

  it("tells nobody after the handover ended", () => {
    const driver = active();
    driver.send({ type: "provider.conversationState", state: "idle" });
    driver.send({ type: "user.connection", connected: false });
    expect(kinds(driver.effects)).toEqual([]);
  });
});
