import { describe, expect, it } from "vitest";
import { BatonError } from "../../src/errors/index.ts";
import { waitFor } from "../factories/wait-for.ts";
import { useCore } from "./core-kit.ts";
import { coreFlow } from "./flows.ts";

const core = useCore({ flow: coreFlow });

const gone = () =>
  new BatonError("BATON_ERR_8X8_REQUEST_REJECTED", { operation: "messages.send", status: 404 });

describe("the contact center refuses a relay call for good (its conversation is gone)", () => {
  it("ends the handover with status error / reason rejected, tells the user, and the flow continues below the node", async () => {
    const { user: dan } = await core().withAgent("dan");

    core().fake.failNext("sendUserMessage", gone());
    await dan.say("are you still there?");
    await core().settle();

    expect(await dan.handover()).toMatchObject({
      state: "error",
      machine: { endReason: "rejected", error: { reason: "error" } },
    });
    const shown = await dan.shown();
    expect(shown.slice(-2)).toEqual([
      "Sorry, the connection to the agent was lost.",
      "outcome error/rejected",
    ]);
    expect(dan.stream.filter((e) => e.type === "banner").at(-1)).toEqual({
      type: "banner",
      banner: { state: "none" },
    });

    // The next message is the bot's again, and nothing more goes to the gone conversation.
    const sends = core().fake.callsOf("sendUserMessage").length;
    const next = await dan.say("hello?");
    expect(next.outputs.map((o) => o.text)).toEqual(["bot heard hello?"]);
    await core().settle();
    expect(core().fake.callsOf("sendUserMessage")).toHaveLength(sends);
  });

  it("says so in the user's language", async () => {
    const eva = await core().service.openSession({
      endpointId: "web",
      userId: "eva",
      sessionId: "eva-s",
      locale: "de",
    });
    await core().service.userInput({ endpointId: "web", userId: "eva", sessionId: "eva-s", text: "agent" });
    await core().settle();
    const handover = await core().store.handovers.findOpenBySession(eva.id);
    await core().event(handover!.providerConversationId!, { kind: "conversation.queued", queueId: "311" });
    core().fake.failNext("notifyAgent", gone());
    await core().service.userConnection(eva, false);
    await core().settle();
    expect((await core().store.handovers.get(handover!.id))?.state).toBe("error");
    const texts = (await core().store.messages.listTranscript(eva.id)).map((m) => m.text);
    expect(texts).toContain("Leider ist die Verbindung zum Mitarbeiter abgebrochen.");
  });

  it("a refused typing call ends it too, without waiting for the next message", async () => {
    const { user: fay } = await core().withAgent("fay");
    core().fake.failNext("userTyping", gone());
    await core().service.userTyping(fay.session, true);
    await core().settle();
    expect((await fay.handover()).state).toBe("error");
    expect((await fay.shown()).at(-1)).toBe("outcome error/rejected");
  });

  it("a passing outage does not end it: the send is retried and arrives", async () => {
    const { user: gus, conversation } = await core().withAgent("gus");
    core().fake.failNext("sendUserMessage", new BatonError("BATON_ERR_8X8_UNAVAILABLE", { status: 503 }), 2);
    await gus.say("one more thing");
    await waitFor(
      () =>
        core()
          .fake.callsOf("sendUserMessage")
          .some((c) => c.conversationId === conversation),
      5_000,
      "the retried send",
    );
    expect((await gus.handover()).state).toBe("active");
    expect(
      core()
        .fake.callsOf("sendUserMessage")
        .filter((c) => c.conversationId === conversation),
    ).toEqual([
      { op: "sendUserMessage", conversationId: conversation, text: "one more thing", attachments: [] },
    ]);
  });
});
