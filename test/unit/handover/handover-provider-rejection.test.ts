import { describe, expect, it } from "vitest";
import { active, effectsOf, kinds, queued, resumesIn } from "./handover-driver.ts";

describe("the provider refuses a call of the open handover for good", () => {
  it("ends an active handover with status error, reason rejected, tells the user the connection was lost and resumes below the node", () => {
    const driver = active();
    const effects = driver.send({
      type: "provider.rejected",
      operation: "send",
      message: "BATON_ERR_8X8_REQUEST_REJECTED: 8x8 rejected the request.",
    });
    expect(driver.state.state).toBe("error");
    expect(driver.state.endReason).toBe("rejected");
    expect(effectsOf(effects, "user.say")).toEqual([{ type: "user.say", messageKey: "lost" }]);
    expect(kinds(effects)).not.toContain("provider.userLeaves");
    expect(resumesIn([effects])[0]).toMatchObject({
      input: {
        status: "error",
        reason: "rejected",
        error: { reason: "error", message: "BATON_ERR_8X8_REQUEST_REJECTED: 8x8 rejected the request." },
      },
      resumeAt: "belowNode",
      trigger: "now",
    });
  });

  it("ends a queued handover the same way (8x8 forgot the conversation while the user waited)", () => {
    const driver = queued();
    driver.send({ type: "provider.rejected", operation: "send", message: "gone" });
    expect(driver.state.state).toBe("error");
    expect(driver.state.timers).toEqual({});
  });

  it("is ignored once the handover has ended", () => {
    const driver = active();
    driver.send({ type: "bot.close" });
    const effects = driver.send({ type: "provider.rejected", operation: "send", message: "late" });
    expect(driver.state.state).toBe("closed_by_bot");
    expect(kinds(effects)).toEqual([]);
  });
});
