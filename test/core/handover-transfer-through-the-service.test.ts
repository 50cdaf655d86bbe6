import { describe, expect, it } from "vitest";
import { BatonError } from "../../src/errors/index.ts";
import { handoverTimerId } from "../../src/handover/effects.ts";
import type { Store, StoreRepositories } from "../../src/store/types.ts";
import { useCore } from "./core-kit.ts";
import { coreFlow } from "./flows.ts";

/** Before each of the next `count` handover writes, another writer bumps the handover's version. */
let conflictsToMake = 0;
/** The next outbox enqueue inside a transaction fails (the database went away mid-write). */
let failNextEnqueue = false;

function interposeConflicts(store: Store): Store {
  const withConflicts = (tx: StoreRepositories): StoreRepositories => ({
    ...tx,
    outbox: {
      ...tx.outbox,
      enqueue(items) {
        if (!failNextEnqueue) return tx.outbox.enqueue(items);
        failNextEnqueue = false;
        return Promise.reject(new Error("the database went away"));
      },
    },
    handovers: {
      ...tx.handovers,
      async update(id, update, expectedVersion) {
        if (conflictsToMake > 0) {
          conflictsToMake -= 1;
          const current = await tx.handovers.get(id);
          if (current !== undefined)
            await tx.handovers.update(
              id,
              { state: current.state, machine: current.machine },
              current.version,
            );
        }
        return tx.handovers.update(id, update, expectedVersion);
      },
    },
  });
  return { ...store, transaction: (fn) => store.transaction((tx) => fn(withConflicts(tx))) };
}

// A provider that makes the gateway wait 10 s after an agent's left for a transfer (8x8 does).
const core = useCore({
  flow: coreFlow,
  capabilities: { maxCustomProperties: 30, maxTranscriptMessages: 200, agentLeftGraceSeconds: 10 },
  wrapStore: interposeConflicts,
});

describe("a transfer, with the provider's agent-left grace", () => {
  it("holds the agent's left for the grace; a TRANSFER makes it a transfer; the next agent continues the chat", async () => {
    const { user: ana, conversation } = await core().withAgent("transfer-ana");
    const handover = await ana.handover();
    expect(handover.machine.policy).toEqual({ agentLeftGraceSeconds: 10 });

    await core().event(conversation, { kind: "participant.left", role: "agent", participantId: "agent-1" });
    expect((await ana.handover()).state).toBe("active");
    const grace = await core().store.timers.get(handoverTimerId(handover.id, "agentLeftGrace"));
    expect(grace).toMatchObject({ status: "scheduled" });
    expect(grace!.dueAt.getTime() - grace!.createdAt.getTime()).toBeGreaterThan(9_000);

    await core().event(conversation, { kind: "conversation.transferred" });
    expect((await ana.handover()).state).toBe("transferring");
    expect(await core().store.timers.get(handoverTimerId(handover.id, "agentLeftGrace"))).toMatchObject({
      status: "cancelled",
    });
    expect(ana.stream).toContainEqual({ type: "banner", banner: { state: "transferring" } });

    await core().event(conversation, { kind: "participant.joined", role: "agent", participantId: "agent-2" });
    expect((await ana.handover()).machine.agent).toEqual({ id: "agent-2" });
    expect(
      core()
        .observed.filter((o) => o.kind === "changed")
        .map((o) => o.state),
    ).toContain("transferring");
  });

  it("without a transfer, the grace timer ends it: completed, and every transition was logged", async () => {
    const { user: ben, conversation } = await core().withAgent("transfer-ben");
    await core().event(conversation, { kind: "participant.left", role: "agent", participantId: "agent-1" });
    const handover = await ben.handover();
    await core().fireTimer(handover.id, "agentLeftGrace");
    expect((await ben.handover()).state).toBe("completed");
    const transitions = core()
      .logs.filter((line) => line.handoverId === handover.id && line.msg === "handover transition")
      .map((line) => `${String(line.from)}→${String(line.to)}`);
    expect(transitions).toEqual(
      expect.arrayContaining(["none→requested", "requested→active", "active→active", "active→completed"]),
    );
  });
});

describe("writes that race with another writer", () => {
  it("decide again on the fresh state a few times, and then apply", async () => {
    const cleo = await core().user("race-cleo");
    await cleo.say("agent");
    const conversation = await cleo.conversationId();
    conflictsToMake = 3;
    await core().event(conversation, { kind: "participant.joined", role: "agent", participantId: "agent-1" });
    expect(conflictsToMake).toBe(0);
    expect((await cleo.handover()).state).toBe("active");
  });

  it("give up with BATON_ERR_HANDOVER_CONFLICT when the handover keeps changing, and apply nothing", async () => {
    const dan = await core().user("race-dan");
    await dan.say("agent");
    const conversation = await dan.conversationId();
    conflictsToMake = 100;
    const error: unknown = await core()
      .event(conversation, { kind: "participant.joined", role: "agent", participantId: "agent-1" })
      .catch((e: unknown) => e);
    conflictsToMake = 0;
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).code).toBe("BATON_ERR_HANDOVER_CONFLICT");
    expect((await dan.handover()).state).toBe("requested");
  });
});

describe("a write that fails", () => {
  it("rolls back and publishes nothing it had shown: the user never sees a message that was not stored", async () => {
    const eva = await core().user("rollback-eva");
    failNextEnqueue = true;
    await expect(eva.say("agent")).rejects.toThrow("the database went away");
    expect(await core().store.handovers.findOpenBySession(eva.session.id)).toBeUndefined();
    const shown = eva.stream.filter((e) => e.type === "message" && e.message.source !== "user");
    expect(shown).toEqual([]);
    expect(eva.stream.filter((e) => e.type === "banner")).toEqual([]);
    // The next try works as if nothing had happened.
    const retry = await eva.say("agent");
    expect(retry.outputs.map((o) => o.text)).toEqual(["Connecting you."]);
  });
});
