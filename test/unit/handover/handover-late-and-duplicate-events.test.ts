import { describe, expect, it } from "vitest";
import {
  eventSamples,
  lifecycleSituations,
  transition,
  type HandoverEffect,
} from "../../../src/handover/machine/index.ts";
import { terminalHandoverStates, type HandoverState } from "../../../src/handover/types.ts";
import { effectsOf, logOf } from "./handover-driver.ts";

const situations = lifecycleSituations();
const isTerminal = (state: HandoverState) =>
  (terminalHandoverStates as readonly HandoverState[]).includes(state);

describe("late, duplicate and meaningless events", () => {
  it("covers every state: the derived situations include each open and terminal state", () => {
    const states = new Set(situations.map((situation) => situation.state));
    expect([...states].sort()).toEqual(
      ["requested", "queued", "active", "transferring", ...terminalHandoverStates].sort(),
    );
  });

  it("ignores every event after a terminal state: state unchanged, one log saying ignored, nothing else", () => {
    for (const situation of situations.filter((s) => isTerminal(s.state))) {
      for (const { label, event } of eventSamples) {
        const { state, effects } = transition(situation.machine, event);
        expect(state, `${situation.id} + ${label}`).toBe(situation.machine);
        expect(effects, `${situation.id} + ${label}`).toEqual([
          expect.objectContaining({ type: "log", ignored: true, from: situation.state, to: situation.state }),
        ]);
      }
    }
  });

  it("never throws, and logs exactly once, last, on every transition of every pair of events", () => {
    for (const situation of situations) {
      for (const first of eventSamples) {
        const once = transition(situation.machine, first.event);
        expect(once.effects.at(-1)!.type).toBe("log");
        logOf(once.effects);
        for (const second of eventSamples) {
          const twice = transition(once.state, second.event);
          expect(twice.effects.at(-1)!.type).toBe("log");
          logOf(twice.effects);
        }
      }
    }
  });

  it("emits flow.resume exactly once per handover, on the transition into a terminal state, on every path", () => {
    let terminalPaths = 0;
    for (const situation of situations.filter((s) => !isTerminal(s.state))) {
      for (const first of eventSamples) {
        for (const second of eventSamples) {
          let state = situation.machine;
          const resumes: HandoverEffect[] = [];
          for (const { event } of [first, second, first, second]) {
            const before = state.state;
            const result = transition(state, event);
            const resumed = effectsOf(result.effects, "flow.resume");
            resumes.push(...resumed);
            const entered = !isTerminal(before) && isTerminal(result.state.state);
            expect(resumed.length, `${situation.id}: ${first.label} then ${second.label}`).toBe(
              entered ? 1 : 0,
            );
            state = result.state;
          }
          expect(resumes.length).toBe(isTerminal(state.state) ? 1 : 0);
          if (isTerminal(state.state)) terminalPaths += 1;
        }
      }
    }
    expect(terminalPaths).toBeGreaterThan(100);
  });

  it("puts provider.userLeaves before flow.resume and flow.resume after what the user is told, on every ending", () => {
    for (const situation of situations.filter((s) => !isTerminal(s.state))) {
      for (const { label, event } of eventSamples) {
        const types = transition(situation.machine, event).effects.map((effect) => effect.type);
        const resume = types.indexOf("flow.resume");
        if (resume === -1) continue;
        const leaves = types.indexOf("provider.userLeaves");
        if (leaves !== -1) expect(leaves, `${situation.id} + ${label}`).toBeLessThan(resume);
        expect(types.lastIndexOf("user.say"), `${situation.id} + ${label}`).toBeLessThan(resume);
        expect(types.lastIndexOf("timer.cancel"), `${situation.id} + ${label}`).toBeLessThan(resume);
        expect(types.indexOf("user.banner"), `${situation.id} + ${label}`).toBeLessThan(resume);
      }
    }
  });

  it("makes a second identical provider event a no-op wherever the first one changed something", () => {
    const providerSamples = eventSamples.filter(
      ({ event }) =>
        event.type.startsWith("provider.") &&
        event.type !== "provider.agentMessage" &&
        event.type !== "provider.agentTyping" &&
        event.type !== "provider.cardAction",
    );
    for (const situation of situations) {
      for (const { label, event } of providerSamples) {
        const once = transition(situation.machine, event);
        const twice = transition(once.state, event);
        expect(twice.state, `${situation.id} + ${label} twice`).toEqual(once.state);
        expect(effectsOf(twice.effects, "flow.resume"), `${situation.id} + ${label} twice`).toEqual([]);
        expect(effectsOf(twice.effects, "user.say"), `${situation.id} + ${label} twice`).toEqual([]);
      }
    }
  });
});
