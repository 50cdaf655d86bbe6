import { describe, expect, it } from "vitest";
import { parseFlow } from "../../../src/flow/index.ts";
import { checkFlowHandovers, checkHandoverRequest } from "../../../src/handover/capabilities.ts";
import { eightByEightLimits } from "../../../src/providers/8x8/index.ts";
import type { ProviderCapabilities } from "../../../src/providers/port.ts";
import { handoverRequest } from "./handover-driver.ts";

const small: ProviderCapabilities = {
  maxCustomProperties: 2,
  maxTranscriptMessages: 5,
  agentLeftGraceSeconds: 0,
};

function flowWith(node: Record<string, unknown>) {
  return parseFlow(JSON.stringify({ start: "h", nodes: { h: { type: "handoverToAgent", ...node } } }), {
    file: "flows/test.yaml",
  });
}

const properties = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, "v"]));

describe("handover requests against what their provider declared", () => {
  it("8x8 takes 30 custom properties and 200 transcript messages, and 31 or 201 are refused", () => {
    expect(
      checkHandoverRequest(
        handoverRequest({ provider: { jsonProperties: properties(30) } }),
        eightByEightLimits,
        "eight",
      ),
    ).toEqual([]);
    expect(
      checkHandoverRequest(
        handoverRequest({
          provider: { jsonProperties: properties(31) },
          transcript: { mode: "last", count: 201 },
        }),
        eightByEightLimits,
        "eight",
      ).map((p) => p.field),
    ).toEqual(["jsonProperties", "transcript"]);
  });

  it("checks each handoverToAgent node of a flow against its own provider, else the endpoint's, when the flow loads", () => {
    const lookup = (id: string) => (id === "small" ? small : id === "eight" ? eightByEightLimits : undefined);
    const tooMany = flowWith({ jsonProperties: properties(3), transcript: "last:6" });
    expect(checkFlowHandovers(tooMany, "small", lookup)).toEqual([
      expect.objectContaining({
        file: "flows/test.yaml",
        nodeId: "h",
        field: "jsonProperties",
        expected: expect.stringContaining("at most 2"),
      }),
      expect.objectContaining({
        nodeId: "h",
        field: "transcript",
        expected: expect.stringContaining("at most 5"),
      }),
    ]);
    expect(checkFlowHandovers(tooMany, "eight", lookup)).toEqual([]);
    expect(
      checkFlowHandovers(flowWith({ provider: "small", jsonProperties: properties(3) }), "eight", lookup),
    ).toHaveLength(1);
  });

  it("refuses a node naming a provider that is not configured, and leaves a node without any provider to run time", () => {
    const lookup = () => undefined;
    expect(checkFlowHandovers(flowWith({ provider: "gone" }), undefined, lookup)).toEqual([
      expect.objectContaining({
        nodeId: "h",
        field: "provider",
        expected: expect.stringContaining('"gone"'),
      }),
    ]);
    expect(checkFlowHandovers(flowWith({}), undefined, lookup)).toEqual([]);
  });
});
