import { describe, expect, it } from "vitest";
import { isBatonError } from "../../src/errors/index.ts";
import { waitFor } from "../factories/wait-for.ts";
import { useCore } from "./core-kit.ts";
import { coreFlow } from "./flows.ts";

/** Set by a test: runs once, right before the services' next store transaction starts. */
let beforeNextTransaction: (() => Promise<void>) | undefined;

const core = useCore({
  flow: coreFlow,
  wrapStore: (store) => ({
    ...store,
    async transaction(fn) {
      const interpose = beforeNextTransaction;
      beforeNextTransaction = undefined;
      await interpose?.();
      return store.transaction(fn);
    },
  }),
});

/**
 * What another instance leaves when it took a session's lock over (this instance stalled past the lock's
 * TTL) and wrote: the session's fence at its token, which is newer than any this instance's stalled turn
 * holds. Tokens are microseconds of the clock, so a fence `aheadMs` in the future also stands for "a newer
 * holder" to every turn that starts before then.
 */
async function takenOverBy(sessionKey: string, aheadMs: number): Promise<void> {
  await core().store.sessions.fence(sessionKey, (Date.now() + aheadMs) * 1000);
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  return isBatonError(error) ? error.code : undefined;
}

describe("a turn whose session lock another instance has taken over", () => {
  it("is run again under a fresh lock when it was refused before it stored anything", async () => {
    const cem = await core().user("cem");
    // Between this turn's lock and its first write, a newer holder (its token from the same bus, so newer
    // than this turn's and older than the next one's) writes the session.
    beforeNextTransaction = async () => {
      const newer = await core().bus.withLock("another-holder", (lock) => Promise.resolve(lock.token));
      await core().store.sessions.fence(cem.session.id, newer);
    };
    const result = await cem.say("hello again");
    expect(beforeNextTransaction).toBeUndefined();
    expect(result.duplicate).toBe(false);
    expect((await cem.messages()).map((m) => `${m.source}: ${m.text}`)).toEqual([
      "user: hello again",
      "bot: bot heard hello again",
    ]);
    expect(
      core().logs.some((line) =>
        String(line.msg).startsWith("another instance took this session's lock over"),
      ),
    ).toBe(true);
  });

  it("stores nothing of a user's message, shows and publishes nothing", async () => {
    const ana = await core().user("ana");
    await ana.say("hello");
    expect(await ana.shown()).toEqual(["bot heard hello"]);
    const before = { messages: await ana.messages(), stream: ana.stream.length };

    await takenOverBy(ana.session.id, 60_000);
    expect(await codeOf(ana.say("are you there?"))).toBe("BATON_ERR_LOCK_LOST");

    expect(await ana.messages()).toEqual(before.messages);
    expect(ana.stream).toHaveLength(before.stream);
  });

  it("applies nothing of a provider event to the handover; the event's redo under a fresh lock lands once", async () => {
    const { user: bo, conversation } = await core().withAgent("bo");
    const handover = await bo.handover();
    const shownBefore = await bo.shown();

    // The newer holder's token stays ahead for 300 ms: every attempt until then is refused.
    await takenOverBy(bo.session.id, 300);
    const agentSays = () =>
      core().event(conversation, {
        kind: "message.received",
        sender: { id: "agent-1", role: "agent" },
        text: "Your refund is on its way.",
        attachments: [],
        cards: [],
      });
    expect(await codeOf(agentSays())).toBe("BATON_ERR_LOCK_LOST");
    expect(await bo.handover()).toMatchObject({ version: handover.version, state: handover.state });
    expect(await bo.shown()).toEqual(shownBefore);

    // What the webhook receiver does with a failed event: it tries again, each time under a fresh lock, whose
    // token passes the fence once the clock does.
    await waitFor(async () => (await codeOf(agentSays())) === undefined, 5_000, "a retry to be accepted");
    expect(await bo.shown()).toEqual([...shownBefore, "Your refund is on its way."]);
  });
});
