import { describe, expect, it } from "vitest";
import { active, effectsOf, kinds, logOf, queued, startHandover } from "./handover-driver.ts";

describe("user inactivity (setHandoverInactivity)", () => {
  it("arms the timer in seconds while queued or active", () => {
    for (const driver of [queued(), active()]) {
      driver.send({ type: "bot.setInactivity", seconds: 90 });
      expect(driver.effects.slice(0, -1)).toEqual([
        { type: "timer.set", timer: "inactivity", seconds: 90, dueAt: driver.now + 90_000 },
      ]);
      expect(driver.state.inactivity).toEqual({ seconds: 90, count: 0 });
    }
  });

  it("cannot be armed while requested or transferring (as in Cognigy.AI), nor with a bad duration", () => {
    const requested = startHandover();
    requested.send({ type: "bot.setInactivity", seconds: 60 });
    expect(logOf(requested.effects).ignored).toBe(true);
    const transferring = active();
    transferring.send({ type: "provider.transferred" });
    transferring.send({ type: "bot.setInactivity", seconds: 60 });
    expect(logOf(transferring.effects).ignored).toBe(true);
    const bad = active();
    for (const seconds of [0, -5, Number.NaN]) {
      bad.send({ type: "bot.setInactivity", seconds });
      expect(logOf(bad.effects).ignored).toBe(true);
    }
    expect(bad.state.timers.inactivity).toBeUndefined();
  });

  it("on expiry counts up, sends the flow an inactivity event (always) and re-arms", () => {
    const driver = active();
    driver.send({ type: "bot.setInactivity", seconds: 60 });
    for (const count of [1, 2]) {
      const due = driver.state.timers.inactivity!;
      driver.send({ type: "timer.fired", timer: "inactivity" }, due);
      expect(driver.effects.slice(0, -1)).toEqual([
        {
          type: "flow.event",
          input: {
            status: "inactivity",
            handoverId: "handover-1",
            providerId: "eight",
            queue: { id: "311", name: "Support EN" },
            agent: { id: "agent-anna", name: "Anna" },
            inactivityCount: count,
          },
        },
        { type: "timer.set", timer: "inactivity", seconds: 60, dueAt: due + 60_000 },
      ]);
    }
    expect(driver.state.inactivity.count).toBe(2);
  });

  it("resets the count to 0 and re-arms on every user message", () => {
    const driver = active();
    driver.send({ type: "bot.setInactivity", seconds: 60 });
    driver.send({ type: "timer.fired", timer: "inactivity" }, driver.state.timers.inactivity);
    expect(driver.state.inactivity.count).toBe(1);
    driver.send({ type: "user.message", text: "I'm here" });
    expect(kinds(driver.effects)).toEqual(["provider.sendUserMessage", "timer.set"]);
    expect(driver.state.inactivity.count).toBe(0);
    expect(driver.state.timers.inactivity).toBe(driver.now + 60_000);
  });

  it("keeps the count when the flow re-arms after a warning, so a warn-then-close threshold can be reached", () => {
    const driver = active();
    driver.send({ type: "bot.setInactivity", seconds: 60 });
    driver.send({ type: "timer.fired", timer: "inactivity" }, driver.state.timers.inactivity);
    driver.send({ type: "bot.setInactivity", seconds: 30 });
    driver.send({ type: "timer.fired", timer: "inactivity" }, driver.state.timers.inactivity);
    expect(effectsOf(driver.effects, "flow.event")[0]!.input.inactivityCount).toBe(2);
  });

  it("ignores a fire that raced a re-arm (earlier than the armed due time), and one never armed", () => {
    const driver = active();
    driver.send({ type: "timer.fired", timer: "inactivity" });
    expect(logOf(driver.effects)).toMatchObject({ ignored: true, note: "inactivity is not armed" });
    driver.send({ type: "bot.setInactivity", seconds: 60 });
    const firstDue = driver.state.timers.inactivity!;
    driver.send({ type: "user.message", text: "typing slowly" });
    driver.send({ type: "timer.fired", timer: "inactivity" }, firstDue);
    expect(logOf(driver.effects).ignored).toBe(true);
    expect(driver.state.inactivity.count).toBe(0);
  });

  it("keeps running through a transfer", () => {
    const driver = active();
    driver.send({ type: "bot.setInactivity", seconds: 60 });
    driver.send({ type: "provider.transferred" });
    driver.send({ type: "timer.fired", timer: "inactivity" }, driver.state.timers.inactivity);
    expect(effectsOf(driver.effects, "flow.event")[0]!.input).toMatchObject({
      status: "inactivity",
      inactivityCount: 1,
    });
  });

  it("is cancelled when the handover ends", () => {
    const driver = active();
    driver.send({ type: "bot.setInactivity", seconds: 60 });
    driver.send({ type: "bot.close" });
    expect(effectsOf(driver.effects, "timer.cancel")).toEqual([
      { type: "timer.cancel", timer: "inactivity" },
    ]);
    expect(driver.state.timers).toEqual({});
  });
});
