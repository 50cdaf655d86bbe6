import { describe, expect, it } from "vitest";
import { useCore } from "./core-kit.ts";
import { coreFlow } from "./flows.ts";

const core = useCore({ flow: coreFlow });

describe("a completion without sendResolveEvent", () => {
  it("reaches the flow as input.handover on the user's next message, once", async () => {
    const ana = await core().user("ana");
    await ana.say("an agent please");
    const conversation = await ana.conversationId();
    await core().event(conversation, { kind: "participant.joined", role: "agent", participantId: "agent-7" });
    await core().event(conversation, { kind: "participant.left", role: "agent", participantId: "agent-7" });
    expect((await ana.handover()).state).toBe("completed");
    // Nothing runs until the user writes (the node has no sendResolveEvent)…
    expect(await ana.shown()).not.toContain("outcome completed/");

    const next = await ana.say("thanks, bye");
    expect(next.outputs.map((o) => o.text)).toEqual(["outcome completed/"]);
    // …and the outcome is consumed: the message after that runs the flow from its start.
    const after = await ana.say("hello again");
    expect(after.outputs.map((o) => o.text)).toEqual(["bot heard hello again"]);
  });
});
