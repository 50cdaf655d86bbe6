import { describe, expect, it } from "vitest";
import type { Store, StoreRepositories } from "../../src/store/types.ts";
import { useCore } from "./core-kit.ts";
import { coreFlow } from "./flows.ts";

/** The store refuses agent messages with "REFUSE" as PostgreSQL refuses a NUL, and fails on "OUTAGE". */
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
        if (message.source === "agent" && message.text?.includes("OUTAGE"))
          return Promise.reject(Object.assign(new Error("connection lost"), { code: "ECONNRESET" }));
        return tx.messages.append(sessionId, message);
      },
    },
  });
  return { ...store, transaction: (fn) => store.transaction((tx) => fn(guard(tx))) };
}

const core = useCore({ flow: coreFlow, wrapStore: refusingAgentMessages });

const notice =
  "Your last message could not be shown to the customer. Please send it again, worded differently.";

describe("an agent message the store refuses for good", () => {
  it("fails the event (the receiver keeps it as failed) and tells the agent once, however often it is retried", async () => {
    const { user: ada, conversation } = await core().withAgent("ada");

    const event = {
      kind: "message.received" as const,
      sender: { id: "agent-1", role: "agent" as const },
      text: "REFUSE me",
      attachments: [],
      cards: [],
    };
    const handOn = () =>
      core().service.handovers.onProviderEvent({
        ...event,
        providerId: core().fake.provider.id,
        conversationId: conversation,
        eventId: "refused-1",
        occurredAt: Date.now(),
      });
    // The receiver hands a failing event on a few times before it marks it failed.
    await expect(handOn()).rejects.toMatchObject({ code: "22P05" });
    await expect(handOn()).rejects.toMatchObject({ code: "22P05" });
    await core().settle();

    const notices = core()
      .fake.callsOf("notifyAgent")
      .filter((call) => call.conversationId === conversation && call.text === notice);
    expect(notices).toHaveLength(1);
    expect(await ada.shown()).not.toContain("REFUSE me");
    expect((await ada.handover()).state).toBe("active");

    // The conversation goes on: the agent's next message reaches the user.
    await core().event(conversation, { ...event, text: "second try" });
    expect(await ada.shown()).toContain("second try");
  });

  it("does not tell the agent when the failure is an outage (a retry may store it)", async () => {
    const { conversation } = await core().withAgent("bo");
    const before = core().fake.callsOf("notifyAgent").length;
    await expect(
      core().service.handovers.onProviderEvent({
        kind: "message.received",
        sender: { id: "agent-1", role: "agent" },
        text: "OUTAGE",
        attachments: [],
        cards: [],
        providerId: core().fake.provider.id,
        conversationId: conversation,
        eventId: "outage-1",
        occurredAt: Date.now(),
      }),
    ).rejects.toMatchObject({ code: "ECONNRESET" });
    await core().settle();
    expect(core().fake.callsOf("notifyAgent").length).toBe(before);
  });

  it("really is what the store does with a NUL: a data exception (SQLSTATE class 22)", async () => {
    const { user: cy } = await core().withAgent("cy");
    await expect(
      core().store.messages.append(cy.session.id, { direction: "out", source: "agent", text: "a\u0000b" }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^22/) });
  });
});
