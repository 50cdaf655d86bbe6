import { describe, expect, it } from "vitest";
import { providerStateEvents } from "../../../src/handover/reconcile.ts";
import type { ReconciledConversation } from "../../../src/providers/port.ts";
import { startHandover, T0 } from "./handover-driver.ts";

const at = T0 + 60_000;
const read = (standing: Partial<ReconciledConversation>): ReconciledConversation => ({
  messages: [],
  agentsLeft: [],
  ended: false,
  ...standing,
});

function active(agentId = "agent-anna") {
  const driver = startHandover();
  driver.send({ type: "request.created", providerConversationId: "cv_1" });
  driver.send({ type: "provider.queued", queueId: "311" });
  driver.send({ type: "provider.agentJoined", agentId });
  return driver;
}

describe("what the provider reports of its conversation, as the events it stands for", () => {
  it("an ended conversation is an idle update, whatever the handover knew", () => {
    expect(
      providerStateEvents(active().state, read({ ended: true, agentsLeft: ["agent-anna"] }), at),
    ).toEqual([{ type: "provider.conversationState", state: "idle", at }]);
  });

  it("an agent holding a waiting request joined; the agent the handover already has is nothing new", () => {
    const waiting = startHandover();
    waiting.send({ type: "request.created", providerConversationId: "cv_1" });
    waiting.send({ type: "provider.queued", queueId: "311" });
    expect(providerStateEvents(waiting.state, read({ agent: { id: "agent-ben" } }), at)).toEqual([
      { type: "provider.agentJoined", agentId: "agent-ben", at },
    ]);
    expect(providerStateEvents(active().state, read({ agent: { id: "agent-anna" } }), at)).toEqual([]);
    expect(providerStateEvents(active().state, read({ agent: { id: "agent-ben" } }), at)).toEqual([
      { type: "provider.agentJoined", agentId: "agent-ben", at },
    ]);
  });

  it("the handover's agent gone and the conversation queued again is a transfer, announced first", () => {
    const driver = active();
    const events = providerStateEvents(
      driver.state,
      read({ agentsLeft: ["agent-anna"], queueId: "312" }),
      at,
    );
    expect(events).toEqual([
      { type: "provider.transferred", at },
      { type: "provider.agentLeft", agentId: "agent-anna", at },
      { type: "provider.queued", queueId: "312", at },
    ]);
    for (const event of events) driver.send(event, event.at);
    expect(driver.state).toMatchObject({ state: "transferring", queue: { id: "312" } });
  });

  it("a request the provider has queued, before the handover heard of it, is queued", () => {
    const requested = startHandover();
    requested.send({ type: "request.created", providerConversationId: "cv_1" });
    expect(providerStateEvents(requested.state, read({ queueId: "311" }), at)).toEqual([
      { type: "provider.queued", queueId: "311", at },
    ]);
    // Already queued there: nothing.
    requested.send({ type: "provider.queued", queueId: "311" });
    expect(providerStateEvents(requested.state, read({ queueId: "311" }), at)).toEqual([]);
  });
});
