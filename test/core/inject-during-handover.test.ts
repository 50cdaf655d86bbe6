import { describe, expect, it } from "vitest";
import { useCore } from "./core-kit.ts";
import { coreFlow } from "./flows.ts";

const core = useCore({ flow: coreFlow });

describe("POST /inject while a handover is open", () => {
  it("runs the flow at its entrypoint with the injected text: a closeHandover there closes the handover", async () => {
    const { user: ben, conversation } = await core().withAgent("ben");

    const outputs = await core().service.inject({
      endpointId: "web",
      userId: "ben",
      sessionId: "ben-s",
      text: "close",
    });
    await core().settle();
    expect(outputs.map((o) => o.text)).toEqual(["You are back with the bot.", "closed by the agent's tool"]);
    expect(await ben.handover()).toMatchObject({ state: "closed_by_bot" });
    expect(core().fake.callsOf("userLeaves")).toEqual([{ op: "userLeaves", conversationId: conversation }]);
  });

  it("keeps the handover open when the flow does not close it, and what it says to the agent reaches the agent", async () => {
    const { user: cleo, conversation } = await core().withAgent("cleo");

    const outputs = await core().service.inject({
      endpointId: "web",
      userId: "cleo",
      sessionId: "cleo-s",
      text: "order 42 shipped",
    });
    await core().settle();
    expect(outputs).toEqual([]);
    expect((await cleo.handover()).state).toBe("active");
    expect(
      core()
        .fake.callsOf("notifyAgent")
        .filter((c) => c.conversationId === conversation),
    ).toContainEqual({
      op: "notifyAgent",
      conversationId: conversation,
      text: "tool says order 42 shipped",
    });
    // The user's own messages still go to the agent, not to the flow.
    await cleo.say("hello?");
    await core().settle();
    expect(
      core()
        .fake.callsOf("sendUserMessage")
        .filter((c) => c.conversationId === conversation),
    ).toEqual([{ op: "sendUserMessage", conversationId: conversation, text: "hello?", attachments: [] }]);
  });
});
