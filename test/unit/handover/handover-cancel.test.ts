import { describe, expect, it } from "vitest";
import { HANDOVER_CANCEL_PAYLOAD, isCancelRequest } from "../../../src/handover/machine/index.ts";
import {
  active,
  effectsOf,
  handoverRequest,
  kinds,
  logOf,
  queued,
  startHandover,
} from "./handover-driver.ts";

describe("cancelling a waiting request", () => {
  const keywords = handoverRequest({ cancelIntent: { keywords: ["cancel", "never mind"] } });

  it("matches keywords as whole words, case-insensitively, anywhere in the text", () => {
    expect(isCancelRequest(keywords, "cancel")).toBe(true);
    expect(isCancelRequest(keywords, "Please CANCEL it!")).toBe(true);
    expect(isCancelRequest(keywords, "oh, never   mind.")).toBe(true);
    expect(isCancelRequest(keywords, "what is your cancellation policy")).toBe(false);
    expect(isCancelRequest(keywords, "uncancel")).toBe(false);
    expect(isCancelRequest(keywords, undefined)).toBe(false);
  });

  it("matches a keyword in other scripts by whole words too", () => {
    const german = handoverRequest({ cancelIntent: { keywords: ["abbrechen"] } });
    expect(isCancelRequest(german, "Bitte Abbrechen")).toBe(true);
    expect(isCancelRequest(german, "Abbrechenknopf")).toBe(false);
  });

  it("matches a regex cancel intent with its flags, and treats a broken pattern as no match", () => {
    const pattern = handoverRequest({ cancelIntent: { pattern: "^(stop|quit)\\b", flags: "i" } });
    expect(isCancelRequest(pattern, "Stop waiting")).toBe(true);
    expect(isCancelRequest(pattern, "please stop")).toBe(false);
    const broken = handoverRequest({ cancelIntent: { pattern: "(", flags: "" } });
    expect(isCancelRequest(broken, "(")).toBe(false);
    const sticky = handoverRequest({ cancelIntent: { pattern: "stop", flags: "gy" } });
    expect([isCancelRequest(sticky, "stop"), isCancelRequest(sticky, "stop")]).toEqual([true, true]);
  });

  it("matches the cancel quick reply's payload and the button label typed by hand", () => {
    const button = handoverRequest({ cancelButtonText: "Cancel request" });
    expect(isCancelRequest(button, HANDOVER_CANCEL_PAYLOAD)).toBe(true);
    expect(isCancelRequest(button, "cancel REQUEST")).toBe(true);
    expect(isCancelRequest(button, "cancel")).toBe(false);
  });

  it("withdraws the request on a cancel keyword: user leaves, the user is told, the flow resumes with cancelled / user", () => {
    const driver = queued({ cancelIntent: { keywords: ["cancel"] }, maxQueueWaitSeconds: 300 });
    const effects = driver.send({ type: "user.message", text: "cancel" });
    expect(driver.state).toMatchObject({ state: "cancelled", endReason: "user" });
    expect(kinds(effects)).toEqual([
      "timer.cancel",
      "provider.userLeaves",
      "user.say",
      "user.banner",
      "flow.resume",
    ]);
    expect(kinds(effects)).not.toContain("provider.sendUserMessage");
    expect(effectsOf(effects, "user.say")[0]!.messageKey).toBe("cancelled");
    expect(effectsOf(effects, "user.banner")[0]!.banner).toEqual({ state: "none" });
    expect(effectsOf(effects, "flow.resume")[0]).toMatchObject({
      input: { status: "cancelled", reason: "user" },
      resumeAt: "belowNode",
      trigger: "now",
    });
  });

  it("withdraws the request on the web chat's cancel, before the provider has even answered", () => {
    const driver = startHandover();
    driver.send({ type: "user.cancel" });
    expect(driver.state.state).toBe("cancelled");
    expect(kinds(driver.effects)).toEqual(["provider.userLeaves", "user.say", "user.banner", "flow.resume"]);
  });

  it("withdraws the request on the cancel quick reply, from the channel or from the provider's own widget", () => {
    const fromChannel = queued({ cancelButtonText: "Cancel" });
    fromChannel.send({ type: "user.message", text: HANDOVER_CANCEL_PAYLOAD });
    expect(fromChannel.state.state).toBe("cancelled");
    const fromProvider = queued({ cancelButtonText: "Cancel" });
    fromProvider.send({
      type: "provider.cardAction",
      cardKind: "quickReply",
      actionType: "postback",
      data: { title: "Cancel", payload: HANDOVER_CANCEL_PAYLOAD },
    });
    expect(fromProvider.state.state).toBe("cancelled");
  });

  it("never hands other card actions to the flow during a handover", () => {
    const driver = queued();
    driver.send({
      type: "provider.cardAction",
      cardKind: "adaptiveCard",
      actionType: "Action.Submit",
      data: { a: 1 },
    });
    expect(driver.state.state).toBe("queued");
    expect(kinds(driver.effects)).toEqual([]);
  });

  it("treats a cancel keyword in an active chat as a message for the agent", () => {
    const driver = active({ cancelIntent: { keywords: ["cancel"] }, cancelButtonText: "Cancel" });
    driver.send({ type: "user.message", text: "cancel my subscription please" });
    expect(driver.state.state).toBe("active");
    expect(driver.effects.slice(0, -1)).toEqual([
      { type: "provider.sendUserMessage", text: "cancel my subscription please" },
    ]);
    driver.send({ type: "user.cancel" });
    expect(driver.state.state).toBe("active");
    expect(logOf(driver.effects).ignored).toBe(true);
  });
});
