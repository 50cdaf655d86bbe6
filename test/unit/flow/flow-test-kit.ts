import { stringify } from "yaml";
import type { FlowHandoverInput, FlowHandoverStatus } from "../../../src/handover/types.ts";
import {
  parseFlow,
  runFlow,
  type Flow,
  type FlowHttpRequest,
  type FlowHttpResponse,
  type FlowPorts,
  type FlowRunResult,
  type FlowState,
  type FlowTrigger,
} from "../../../src/flow/index.ts";

/** A flow from node objects, through the real YAML loader (so tests exercise validation too). */
export function flowOf(nodes: Record<string, unknown>, start = Object.keys(nodes)[0]!): Flow {
  return parseFlow(stringify({ id: "test", start, nodes }), { file: "test.yaml" });
}

export interface FakePorts extends FlowPorts {
  readonly requests: FlowHttpRequest[];
}

/** Ports with a fixed session, a clock that advances 5 ms per reading, and a scripted HTTP answer. */
export function fakePorts(
  answer: (request: FlowHttpRequest) => Promise<FlowHttpResponse> = () =>
    Promise.resolve({ status: 200, headers: {}, body: null }),
): FakePorts {
  const requests: FlowHttpRequest[] = [];
  let clock = 1_000;
  return {
    requests,
    http: (request) => {
      requests.push(request);
      return answer(request);
    },
    now: () => (clock += 5),
    session: { endpointId: "web", userId: "user-1", sessionId: "session-1", locale: "en" },
  };
}

export function handover(
  status: FlowHandoverStatus,
  extra: Partial<FlowHandoverInput> = {},
): Extract<FlowTrigger, { kind: "handover" }> {
  return { kind: "handover", handover: { status, handoverId: "h-1", providerId: "eight", ...extra } };
}

export const input = (text: string, data?: Record<string, unknown>): FlowTrigger =>
  data === undefined ? { kind: "input", text } : { kind: "input", text, data };

/** Runs a sequence of triggers, threading the state; returns every result. */
export async function runAll(
  flow: Flow,
  triggers: readonly FlowTrigger[],
  ports: FlowPorts = fakePorts(),
  state?: FlowState,
): Promise<FlowRunResult[]> {
  const results: FlowRunResult[] = [];
  let current = state;
  for (const trigger of triggers) {
    const result = await runFlow(flow, current, trigger, ports);
    results.push(result);
    current = result.state;
  }
  return results;
}

/** The texts of a run's outputs, in order. */
export const texts = (result: FlowRunResult) => result.outputs.map((output) => output.text);
