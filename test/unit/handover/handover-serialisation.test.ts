import { describe, expect, it } from "vitest";
import {
  eventSamples,
  lifecycleSituations,
  transition,
  type HandoverMachineState,
} from "../../../src/handover/machine/index.ts";
import { active, startHandover } from "./handover-driver.ts";

const roundTrip = (state: HandoverMachineState): HandoverMachineState =>
  JSON.parse(JSON.stringify(state)) as HandoverMachineState;

describe("the machine state is plain JSON (stored as jsonb)", () => {
  it("survives JSON.stringify / JSON.parse unchanged in every situation", () => {
    for (const situation of lifecycleSituations()) {
      expect(roundTrip(situation.machine), situation.id).toStrictEqual(situation.machine);
    }
  });

  it("behaves the same after a round trip: same next state, same effects, for every event", () => {
    for (const situation of lifecycleSituations()) {
      const restored = roundTrip(situation.machine);
      for (const { label, event } of eventSamples) {
        expect(transition(restored, event), `${situation.id} + ${label}`).toStrictEqual(
          transition(situation.machine, event),
        );
      }
    }
  });

  it("holds no undefined values, so the stored JSON is exactly the state", () => {
    const driver = active({ maxQueueWaitSeconds: 60, cancelButtonText: "Cancel" });
    driver.send({ type: "bot.setInactivity", seconds: 30 });
    driver.send({ type: "provider.agentLeft", agentId: "agent-anna" });
    driver.send({ type: "user.message", text: "hello?" });
    const json = JSON.stringify(driver.state);
    expect(Object.keys(JSON.parse(json) as object).sort()).toEqual(Object.keys(driver.state).sort());
  });
});

describe("a second handover in the same session", () => {
  it("starts from scratch: nothing of the first (agent, queue, counts, timers, connection, id) leaks", () => {
    const fresh = startHandover({ sendQueueEvent: true }, "handover-2");
    const first = active({ sendQueueEvent: true });
    first.send({ type: "bot.setInactivity", seconds: 30 });
    first.send({ type: "timer.fired", timer: "inactivity" }, first.state.timers.inactivity);
    first.send({ type: "user.connection", connected: false });
    first.send({ type: "provider.conversationState", state: "idle" });
    expect(first.state.state).toBe("completed");

    const second = startHandover({ sendQueueEvent: true }, "handover-2");
    expect(second.state).toStrictEqual(fresh.state);
    expect(second.state).toMatchObject({ state: "requested", transferPending: false, userConnected: true });
    expect(second.state.agent).toBeUndefined();
    expect(second.state.queue).toBeUndefined();
    expect(second.state.inactivity).toEqual({ count: 0 });

    second.send({ type: "provider.queued", queueId: "312", queueName: "Billing DE" });
    fresh.send({ type: "provider.queued", queueId: "312", queueName: "Billing DE" });
    expect(second.effects).toStrictEqual(fresh.effects);
    expect(second.effects).toContainEqual(
      expect.objectContaining({
        type: "flow.event",
        input: expect.objectContaining({ handoverId: "handover-2" }),
      }),
    );
  });
});
