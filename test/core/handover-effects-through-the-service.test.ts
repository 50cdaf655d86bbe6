/**
 * Every effect the handover machine can ask for, and every outbox kind, executed by the real services on a
 * real store: what the user is shown, what the provider is asked, what is armed, what the Copilot is told.
 */
import { describe, expect, it } from "vitest";
import { createAgentNotifier } from "../../src/handover/outbox-items.ts";
import { translate } from "../../src/i18n/catalog.ts";
import { BatonError } from "../../src/errors/index.ts";
import { handoverTimerId } from "../../src/handover/effects.ts";
import { waitFor } from "../factories/wait-for.ts";
import { useCore } from "./core-kit.ts";
import { coreFlow } from "./flows.ts";

const core = useCore({ flow: coreFlow });

describe("handover effects, executed by the service", () => {
  it("a start creates the provider conversation with user, properties and transcript, says the accepted message with a cancel button, shows the queue banner and arms maxQueueWait", async () => {
    const ana = await core().user("effects-ana");
    await ana.say("hello");
    const start = await ana.say("I want an agent");
    expect(start.outputs).toEqual([
      expect.objectContaining({
        source: "bot",
        text: "Connecting you.",
        quickReplies: [{ title: "Cancel", payload: "baton:handover:cancel" }],
      }),
    ]);
    expect(ana.stream).toContainEqual({ type: "banner", banner: { state: "queued", cancelLabel: "Cancel" } });
    const handover = await ana.handover();
    const timer = await core().store.timers.get(handoverTimerId(handover.id, "queueWait"));
    expect(timer).toMatchObject({ status: "scheduled", kind: "handover.timer" });

    const conversation = await ana.conversationId();
    const [created] = core()
      .fake.callsOf("createConversation")
      .filter((c) => c.conversationId === conversation);
    expect(created?.input).toMatchObject({
      handoverId: handover.id,
      user: { id: "effects-ana" },
      routing: { properties: { Plan: "gold" } },
      transcript: [
        expect.objectContaining({ source: "user", text: "hello" }),
        expect.objectContaining({ source: "bot", text: "bot heard hello" }),
        expect.objectContaining({ source: "user", text: "I want an agent" }),
        expect.objectContaining({ source: "bot", text: "Connecting you." }),
      ],
    });
    expect(core().observed).toContainEqual({ kind: "started", state: "requested" });
  });

  it("queued: says the queue, updates the banner, and the queue event runs the flow, whose note reaches the agent", async () => {
    const ben = await core().user("effects-ben");
    await ben.say("agent");
    const conversation = await ben.conversationId();
    await core().event(conversation, { kind: "conversation.queued", queueId: "311", queueName: "Support" });
    expect(await ben.shown()).toContain(translate("en", "handover.queued", { queueName: "Support" }));
    expect(ben.stream.at(-1)).toEqual({
      type: "banner",
      banner: { state: "queued", queueName: "Support", cancelLabel: "Cancel" },
    });
    expect(core().fake.callsOf("notifyAgent")).toContainEqual({
      op: "notifyAgent",
      conversationId: conversation,
      text: "Note for the agent: a gold customer",
    });
    expect(core().observed).toContainEqual({ kind: "changed", state: "queued" });
  });

  it("active: an agent joins, messages, files and a card reach the user, agent typing shows, user typing reaches the provider", async () => {
    const cleo = await core().user("effects-cleo");
    await cleo.say("agent");
    const conversation = await cleo.conversationId();
    await core().event(conversation, { kind: "participant.joined", role: "agent", participantId: "agent-9" });
    expect(await cleo.shown()).toContain(translate("en", "handover.agentJoined", {}));
    expect(cleo.stream).toContainEqual({ type: "banner", banner: { state: "active" } });
    const handover = await cleo.handover();
    // The active event ran the flow, which armed the inactivity timer.
    expect(await core().store.timers.get(handoverTimerId(handover.id, "inactivity"))).toMatchObject({
      status: "scheduled",
    });
    // …and joining cancelled the queue-wait timer.
    expect(await core().store.timers.get(handoverTimerId(handover.id, "queueWait"))).toMatchObject({
      status: "cancelled",
    });

    await core().event(conversation, {
      kind: "message.received",
      sender: { id: "agent-9", role: "agent" },
      text: "Here is your invoice",
      attachments: [
        { id: "f1", kind: "file", fileName: "invoice.pdf", url: "https://files.example/invoice.pdf" },
      ],
      cards: [
        {
          contentType: "application/vnd.microsoft.card.adaptive",
          content: { type: "AdaptiveCard", body: [] },
        },
      ],
    });
    expect((await cleo.messages()).at(-1)).toMatchObject({
      source: "agent",
      text: "Here is your invoice",
      attachments: [
        { name: "invoice.pdf", url: "https://files.example/invoice.pdf", contentType: "application/pdf" },
      ],
      card: { type: "AdaptiveCard", body: [] },
    });

    await core().event(conversation, { kind: "typing", typists: [{ id: "agent-9", role: "agent" }] });
    expect(cleo.stream.at(-1)).toEqual({ type: "typing", source: "agent", active: true });

    await core().service.userTyping(cleo.session, true);
    expect(core().fake.callsOf("userTyping")).toContainEqual({
      op: "userTyping",
      conversationId: conversation,
    });

    await cleo.say("thanks", {
      attachments: [{ name: "photo.png", contentType: "image/png", base64: "iVBORw0KGgo=" }],
    });
    await core().settle();
    const [sent] = core()
      .fake.callsOf("sendUserMessage")
      .filter((c) => c.conversationId === conversation);
    expect(sent).toMatchObject({
      text: "thanks",
      attachments: [{ name: "photo.png", contentType: "image/png" }],
    });
    expect(Buffer.from(sent!.attachments[0]!.bytes).toString("base64")).toBe("iVBORw0KGgo=");
  });

  it("the user's presence is told to the agent in the session's language", async () => {
    const { user: dan, conversation } = await core().withAgent("effects-dan");
    await core().service.userConnection(dan.session, false);
    await core().service.userConnection(dan.session, true);
    await core().settle();
    const notices = core()
      .fake.callsOf("notifyAgent")
      .filter((c) => c.conversationId === conversation);
    expect(notices.map((n) => n.text)).toEqual([
      translate("en", "agent.userLeft"),
      translate("en", "agent.userReturned"),
    ]);
  });

  it("the inactivity timer runs the flow with inactivityCount, and what it says goes to both sides", async () => {
    const { user: eva, conversation } = await core().withAgent("effects-eva");
    await core().fireTimer((await eva.handover()).id, "inactivity");
    expect((await eva.shown()).at(-1)).toBe("Still there? (1)");
    expect(core().fake.callsOf("notifyAgent")).toContainEqual({
      op: "notifyAgent",
      conversationId: conversation,
      text: "Still there? (1)",
    });
  });

  it("maxQueueWait: the request is withdrawn (the user leaves the provider conversation) and the flow hears cancelled/timeout", async () => {
    const fay = await core().user("effects-fay");
    await fay.say("agent");
    const conversation = await fay.conversationId();
    const handover = await fay.handover();
    await core().fireTimer(handover.id, "queueWait");
    expect((await fay.handover()).state).toBe("cancelled");
    expect(core().fake.callsOf("userLeaves")).toContainEqual({
      op: "userLeaves",
      conversationId: conversation,
    });
    expect((await fay.shown()).slice(-2)).toEqual([
      translate("en", "handover.timeout"),
      "outcome cancelled/timeout",
    ]);
    expect(core().observed).toContainEqual({ kind: "changed", state: "cancelled" });
  });

  it("the Copilot's notices reach the agent through the outbox, after the create call", async () => {
    const gus = await core().user("effects-gus");
    await gus.say("agent");
    const handover = await gus.handover();
    const agent = createAgentNotifier({ store: core().store, kickOutbox: () => core().outbox.kick() });
    await agent.notifyAgent(handover.id, "Open the Copilot: https://copilot.example/x");
    const conversation = await gus.conversationId();
    await core().settle();
    const calls = core()
      .fake.calls.filter((c) => c.conversationId === conversation)
      .map((c) => c.op);
    expect(calls.indexOf("createConversation")).toBeLessThan(calls.indexOf("notifyAgent"));
    expect(core().fake.callsOf("notifyAgent")).toContainEqual({
      op: "notifyAgent",
      conversationId: conversation,
      text: "Open the Copilot: https://copilot.example/x",
    });
  });

  it("a create that keeps failing ends the handover in error after a few tries and tells the user", async () => {
    const hal = await core().user("effects-hal");
    core().fake.failNext("createConversation", new BatonError("BATON_ERR_8X8_UNAVAILABLE"), 3);
    await hal.say("agent");
    // Each failed try is retried after a short backoff: wait for the outcome, not for a fixed time.
    await waitFor(
      async () => (await hal.handover()).state === "error",
      5_000,
      "the handover to end in error",
    );
    expect((await hal.shown()).slice(-2)).toEqual([translate("en", "handover.error"), "outcome error/error"]);
  });
});

describe("stored outbox payloads", () => {
  it("a malformed one fails for good with BATON_ERR_RUNTIME_PAYLOAD_INVALID naming the field, and calls nobody", async () => {
    const calls = core().fake.calls.length;
    const [item] = await core().store.outbox.enqueue([
      { orderingKey: "handover:malformed", kind: "handover.send", payload: { handoverId: 42, text: "x" } },
    ]);
    await core().settle();
    const stored = await core().store.outbox.get(item!.id);
    expect(stored).toMatchObject({ status: "failed" });
    expect(stored?.lastError).toContain("BATON_ERR_RUNTIME_PAYLOAD_INVALID");
    expect(core().fake.calls).toHaveLength(calls);
  });
});
