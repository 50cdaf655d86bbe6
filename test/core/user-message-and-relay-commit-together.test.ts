import { describe, expect, it } from "vitest";
import type { Store, StoreRepositories } from "../../src/store/types.ts";
import { useCore } from "./core-kit.ts";
import { coreFlow } from "./flows.ts";

/** The store fails, once, the outbox write that relays a message containing "FAIL-ONCE" (an outage). */
function failingRelayOnce(store: Store): Store {
  let failed = false;
  const guard = (tx: StoreRepositories): StoreRepositories => ({
    ...tx,
    outbox: {
      ...tx.outbox,
      enqueue(items) {
        const relaysIt = items.some((item) => JSON.stringify(item.payload).includes("FAIL-ONCE"));
        if (relaysIt && !failed) {
          failed = true;
          return Promise.reject(Object.assign(new Error("connection lost"), { code: "ECONNRESET" }));
        }
        return tx.outbox.enqueue(items);
      },
    },
  });
  return { ...store, transaction: (fn) => store.transaction((tx) => fn(guard(tx))) };
}

const core = useCore({ flow: coreFlow, wrapStore: failingRelayOnce });

describe("a user message during a handover", () => {
  it("is stored together with its relay: a failed relay write stores nothing, and the resend reaches the agent once", async () => {
    const { user: ada, conversation } = await core().withAgent("ada");

    // The relay cannot be written: the whole input fails, so the client is not told it was received.
    await expect(ada.say("FAIL-ONCE please", { clientMessageId: "m-1" })).rejects.toMatchObject({
      code: "ECONNRESET",
    });
    expect((await ada.messages()).map((m) => m.text)).not.toContain("FAIL-ONCE please");

    // The client sends it again with the same id: it is new (not a duplicate) and is relayed.
    const resent = await ada.say("FAIL-ONCE please", { clientMessageId: "m-1" });
    expect(resent.duplicate).toBe(false);
    // A third send with that id is the duplicate, and changes nothing.
    expect((await ada.say("FAIL-ONCE please", { clientMessageId: "m-1" })).duplicate).toBe(true);
    await core().settle();

    const relayed = core()
      .fake.callsOf("sendUserMessage")
      .filter((call) => call.conversationId === conversation && call.text === "FAIL-ONCE please");
    expect(relayed).toHaveLength(1);
    expect((await ada.messages()).filter((m) => m.text === "FAIL-ONCE please")).toHaveLength(1);
  });
});
