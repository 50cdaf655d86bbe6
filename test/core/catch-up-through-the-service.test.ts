/**
 * Catch-up (handover/reconcile.ts) through the real services on a real store: what the provider holds and
 * its webhooks never delivered reaches the user once and in order, a webhook arriving late (or during the
 * read) is not shown again, and what the provider says about the conversation (the agent, the end) is
 * applied as its events would have been.
 */
import { describe, expect, it } from "vitest";
import { BatonError } from "../../src/errors/index.ts";
import { catchUpLookbackMs } from "../../src/handover/reconcile.ts";
import { translate } from "../../src/i18n/catalog.ts";
import type { ProviderMessageEvent } from "../../src/providers/port.ts";
import type { Store, StoreRepositories } from "../../src/store/types.ts";
import { useCore } from "./core-kit.ts";
import { coreFlow } from "./flows.ts";

const core = useCore({ flow: coreFlow });

let messageCounter = 0;

/** An agent message as both the webhook and the catch-up read carry it. */
function agentMessage(conversationId: string, text: string, occurredAt: number): ProviderMessageEvent {
  messageCounter += 1;
  return {
    kind: "message.received",
    providerId: core().fake.provider.id,
    conversationId,
    eventId: `catch-up:m-${messageCounter}`,
    occurredAt,
    sender: { id: "agent-1", role: "agent" },
    text,
    attachments: [],
    cards: [],
  };
}

/** The same message delivered by webhook: another event id, everything else the same. */
function asWebhook(message: ProviderMessageEvent): ProviderMessageEvent {
  return { ...message, eventId: `webhook-${message.eventId}` };
}

describe("catching a handover up with the provider", () => {
  it("shows the agent messages no webhook delivered, once and in order, and a late webhook of one not again", async () => {
    const { user: ana, conversation } = await core().withAgent("catch-ana");
    const at = Date.now();
    const missed = [
      agentMessage(conversation, "I looked into it.", at + 1),
      agentMessage(conversation, "The refund is on its way.", at + 2),
    ];
    core().fake.holds(conversation, { agent: { id: "agent-1" }, messages: missed });
    const handover = await ana.handover();

    const outcome = await core().service.handovers.reconcile.handover(handover.id);
    expect(outcome).toEqual({
      handoverId: handover.id,
      status: "caught-up",
      applied: 2,
      alreadyApplied: 0,
      state: "active",
    });
    await core().settle();
    const shown = await ana.shown();
    expect(shown.slice(-2)).toEqual(["I looked into it.", "The refund is on its way."]);

    // 8x8 retried the first one after all: its webhook arrives after the catch-up.
    await core().service.handovers.onProviderEvent(asWebhook(missed[0]!));
    await core().settle();
    expect(await ana.shown()).toEqual(shown);

    const again = await core().service.handovers.reconcile.handover(handover.id);
    expect(again).toMatchObject({ status: "caught-up", applied: 0, alreadyApplied: 2 });
    expect(await ana.shown()).toEqual(shown);
    expect((await core().store.providerMessages.listByHandover(handover.id)).map((m) => m.source)).toEqual([
      "catch-up",
      "catch-up",
    ]);
  });

  it("does not show again a message its webhook delivered before the catch-up", async () => {
    const { user: ben, conversation } = await core().withAgent("catch-ben");
    const delivered = agentMessage(conversation, "Delivered by webhook.", Date.now());
    await core().service.handovers.onProviderEvent(asWebhook(delivered));
    const missed = agentMessage(conversation, "Missed by the webhook.", delivered.occurredAt + 5);
    core().fake.holds(conversation, { agent: { id: "agent-1" }, messages: [delivered, missed] });

    const outcome = await core().service.handovers.reconcile.handover((await ben.handover()).id);
    expect(outcome).toMatchObject({ applied: 1, alreadyApplied: 1 });
    const agentTexts = (await ben.messages()).filter((m) => m.source === "agent").map((m) => m.text);
    expect(agentTexts).toEqual(["Delivered by webhook.", "Missed by the webhook."]);
  });

  it("a webhook that arrives while the catch-up reads waits for it, and the message is shown once", async () => {
    const { user: cid, conversation } = await core().withAgent("catch-cid");
    const message = agentMessage(conversation, "Only once.", Date.now());
    core().fake.holds(conversation, { agent: { id: "agent-1" }, messages: [message] });
    const read = core().fake.holdNextRead(conversation);

    const catchUp = core().service.handovers.reconcile.handover((await cid.handover()).id);
    await read.started;
    // The catch-up holds the session's lock while it reads: the webhook's apply queues behind it.
    const webhook = core().service.handovers.onProviderEvent(asWebhook(message));
    read.release();
    await Promise.all([catchUp, webhook]);
    await core().settle();
    const agentTexts = (await cid.messages()).filter((m) => m.source === "agent").map((m) => m.text);
    expect(agentTexts).toEqual(["Only once."]);
    // The catch-up applied it (the webhook waited for the lock and found it known).
    const applied = await core().store.providerMessages.listByHandover((await cid.handover()).id);
    expect(applied.map((m) => m.source)).toEqual(["catch-up"]);
  });

  it("reads from just before the newest message the last catch-up read, not from the start again", async () => {
    const { user: dot, conversation } = await core().withAgent("catch-dot");
    const at = Date.now();
    core().fake.holds(conversation, {
      agent: { id: "agent-1" },
      messages: [agentMessage(conversation, "one", at), agentMessage(conversation, "two", at + 10)],
    });
    const handoverId = (await dot.handover()).id;
    await core().service.handovers.reconcile.handover(handoverId);
    await core().service.handovers.reconcile.handover(handoverId);
    const sinces = core()
      .fake.callsOf("reconcile")
      .filter((c) => c.conversationId === conversation)
      .map((c) => c.since);
    expect(sinces).toEqual([0, at + 10 - catchUpLookbackMs]);
    expect(await core().store.providerMessages.getCatchUpMark(handoverId)).toMatchObject({
      caughtUpThrough: at + 10,
    });
  });

  it("a conversation the agent closed while the gateway was away ends the handover after its last message, and the flow resumes", async () => {
    const { user: eve, conversation } = await core().withAgent("catch-eve");
    core().fake.holds(conversation, {
      ended: true,
      agentsLeft: ["agent-1"],
      messages: [agentMessage(conversation, "Goodbye!", Date.now())],
    });
    const handover = await eve.handover();
    const outcome = await core().service.handovers.reconcile.handover(handover.id);
    expect(outcome).toMatchObject({ status: "caught-up", applied: 1, state: "completed" });
    await core().settle();
    expect((await eve.shown()).slice(-2)).toEqual(["Goodbye!", translate("en", "handover.agentLeft")]);
    expect(await core().service.handovers.openFor(eve.session.id)).toBeUndefined();
    // The node has no sendResolveEvent: the flow resumes with the outcome on the user's next message.
    const next = await eve.say("thanks");
    expect(next.outputs.map((o) => o.text)).toEqual([expect.stringMatching(/^outcome completed\//)]);
    // Ended: nothing more is read for it.
    expect(await core().service.handovers.reconcile.handover(handover.id)).toEqual({
      handoverId: handover.id,
      status: "ended",
    });
  });

  it("an agent who took a waiting request while the gateway was away joins, and their messages follow", async () => {
    const fay = await core().user("catch-fay");
    await fay.say("agent");
    const conversation = await fay.conversationId();
    await core().event(conversation, { kind: "conversation.queued", queueId: "311" });
    core().fake.holds(conversation, {
      agent: { id: "agent-7" },
      messages: [
        {
          ...agentMessage(conversation, "Hi, Fay here.", Date.now()),
          sender: { id: "agent-7", role: "agent" },
        },
      ],
    });
    await core().service.handovers.reconcile.handover((await fay.handover()).id);
    await core().settle();
    expect((await fay.handover()).state).toBe("active");
    expect((await fay.handover()).machine.agent?.id).toBe("agent-7");
    expect(await fay.shown()).toContain("Hi, Fay here.");
  });

  it("a transfer while the gateway was away makes the handover transferring, not completed", async () => {
    const { user: gil, conversation } = await core().withAgent("catch-gil");
    core().fake.holds(conversation, { agentsLeft: ["agent-1"], queueId: "312" });
    await core().service.handovers.reconcile.handover((await gil.handover()).id);
    expect(await gil.handover()).toMatchObject({ state: "transferring", machine: { queue: { id: "312" } } });
  });

  it("a sweep catches up every open handover; one whose read fails is reported and does not stop the others", async () => {
    const { user: hal, conversation: halConversation } = await core().withAgent("catch-hal");
    const { user: ida, conversation: idaConversation } = await core().withAgent("catch-ida");
    core().fake.holds(halConversation, {
      agent: { id: "agent-1" },
      messages: [agentMessage(halConversation, "For Hal.", Date.now())],
    });
    core().fake.holds(idaConversation, {
      agent: { id: "agent-1" },
      messages: [agentMessage(idaConversation, "For Ida.", Date.now())],
    });
    const halHandover = (await hal.handover()).id;
    const idaHandover = (await ida.handover()).id;
    core().fake.failReadOf(halConversation, new BatonError("BATON_ERR_8X8_UNAVAILABLE", { status: 503 }));
    const sweep = await core().service.handovers.reconcile.open({ concurrency: 1 });
    expect(sweep.failed.map((f) => f.handoverId)).toContain(halHandover);
    expect(sweep.outcomes.find((o) => o.handoverId === idaHandover)).toMatchObject({ applied: 1 });
    expect(await ida.shown()).toContain("For Ida.");
    expect(await hal.shown()).not.toContain("For Hal.");
    expect(core().logs.some((line) => line.msg === "handover catch-up failed; it is tried again later")).toBe(
      true,
    );

    // Tried again later, it works.
    await core().service.handovers.reconcile.handover(halHandover);
    expect(await hal.shown()).toContain("For Hal.");
  });

  it("after a gap, the next webhook waits for the catch-up: what 8x8 gave up on is shown before it", async () => {
    const { user: jo, conversation } = await core().withAgent("catch-jo");
    const at = Date.now();
    const missed = [
      agentMessage(conversation, "Missed one.", at + 1),
      agentMessage(conversation, "Missed two.", at + 2),
    ];
    const newer = agentMessage(conversation, "Written after.", at + 3);
    core().fake.holds(conversation, { agent: { id: "agent-1" }, messages: [...missed, newer] });
    // The receiver reported that events of this conversation may have been lost.
    await core().service.handovers.reconcile.outOfStep(core().fake.provider.id, conversation);

    await core().service.handovers.onProviderEvent(asWebhook(newer));
    await core().settle();
    expect((await jo.shown()).slice(-3)).toEqual(["Missed one.", "Missed two.", "Written after."]);

    // In step again: the next webhook is applied as it comes, with no read of the provider first.
    const reads = core().fake.callsOf("reconcile").length;
    await core().service.handovers.onProviderEvent(agentMessage(conversation, "Live.", at + 4));
    expect(core().fake.callsOf("reconcile")).toHaveLength(reads);
    expect((await jo.shown()).at(-1)).toBe("Live.");
  });

  it("a webhook whose catch-up fails is failed too (the receiver hands it on again later, still in order)", async () => {
    const { user: kim, conversation } = await core().withAgent("catch-kim");
    const at = Date.now();
    core().fake.holds(conversation, {
      agent: { id: "agent-1" },
      messages: [agentMessage(conversation, "Older.", at + 1)],
    });
    await core().service.handovers.reconcile.outOfStep(core().fake.provider.id);
    core().fake.failReadOf(conversation, new BatonError("BATON_ERR_8X8_UNAVAILABLE", { status: 503 }));
    const newer = agentMessage(conversation, "Newer.", at + 2);
    await expect(core().service.handovers.onProviderEvent(newer)).rejects.toMatchObject({
      code: "BATON_ERR_8X8_UNAVAILABLE",
    });
    expect(await kim.shown()).not.toContain("Newer.");

    // Handed on again once 8x8 answers: both, in order.
    await core().service.handovers.onProviderEvent(newer);
    await core().settle();
    expect((await kim.shown()).slice(-2)).toEqual(["Older.", "Newer."]);
  });

  it("refuses an id no handover has with BATON_ERR_HANDOVER_UNKNOWN", async () => {
    await expect(
      core().service.handovers.reconcile.handover("00000000-0000-4000-8000-000000000000"),
    ).rejects.toMatchObject({ code: "BATON_ERR_HANDOVER_UNKNOWN", details: { field: "handoverId" } });
  });
});

/** The store refuses agent messages containing "REFUSE" for good, as PostgreSQL refuses a NUL. */
function refusingAgentMessages(store: Store): Store {
  const guard = (tx: StoreRepositories): StoreRepositories => ({
    ...tx,
    messages: {
      ...tx.messages,
      append(sessionId, message) {
        if (message.source === "agent" && message.text?.includes("REFUSE")) {
          return Promise.reject(
            Object.assign(new Error("unsupported Unicode escape sequence"), { code: "22P05" }),
          );
        }
        return tx.messages.append(sessionId, message);
      },
    },
  });
  return { ...store, transaction: (fn) => store.transaction((tx) => fn(guard(tx))) };
}

const refusing = useCore({ flow: coreFlow, wrapStore: refusingAgentMessages });

describe("catching up a message the store refuses for good", () => {
  it("shows the others, tells the agent once, and does not fail every later catch-up", async () => {
    const { user: jo, conversation } = await refusing().withAgent("catch-jo");
    const at = Date.now();
    const message = (text: string, offset: number): ProviderMessageEvent => ({
      kind: "message.received",
      providerId: refusing().fake.provider.id,
      conversationId: conversation,
      eventId: `catch-up:jo-${offset}`,
      occurredAt: at + offset,
      sender: { id: "agent-1", role: "agent" },
      text,
      attachments: [],
      cards: [],
    });
    refusing().fake.holds(conversation, {
      agent: { id: "agent-1" },
      messages: [message("REFUSE me", 1), message("After it.", 2)],
    });
    const handoverId = (await jo.handover()).id;
    expect(await refusing().service.handovers.reconcile.handover(handoverId)).toMatchObject({
      status: "caught-up",
      applied: 1,
    });
    expect(await refusing().service.handovers.reconcile.handover(handoverId)).toMatchObject({ applied: 0 });
    await refusing().settle();
    expect(await jo.shown()).toContain("After it.");
    expect(await jo.shown()).not.toContain("REFUSE me");
    const notices = refusing()
      .fake.callsOf("notifyAgent")
      .filter(
        (call) =>
          call.conversationId === conversation && call.text === translate("en", "agent.messageNotShown"),
      );
    expect(notices).toHaveLength(1);
  });
});
