import { describe, expect, it } from "vitest";
import { terminalHandoverStates, type HandoverState } from "../../../src/handover/types.ts";
import { handoverStateKeys } from "../../../web/copilot/src/messages.ts";

// The workspace page may import only the wire types, so it keeps its own list of states to label; this
// fails `tsc` when the gateway gains a state the page has no label for.
const labelled: Readonly<Record<HandoverState, string>> = handoverStateKeys;

describe("the copilot page's handover labels", () => {
  it("cover the gateway's lifecycle states", () => {
    for (const state of terminalHandoverStates) expect(labelled[state]).toBeDefined();
    for (const state of ["requested", "queued", "active", "transferring"] satisfies HandoverState[]) {
      expect(labelled[state]).toBeDefined();
    }
  });
});
