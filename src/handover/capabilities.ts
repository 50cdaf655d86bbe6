/**
 * Handover requests checked against what their provider declared (ProviderCapabilities): custom properties
 * and transcript length. Flows are checked when they load, so a flow that asks for more than its provider
 * takes never boots; the bot API checks each request the same way before anything changes.
 */
import type { FlowIssue } from "../flow/load.ts";
import type { Flow } from "../flow/types.ts";
import type { ProviderCapabilities } from "../providers/port.ts";
import type { HandoverRequest } from "./types.ts";

/** One way a request asks for more than its provider takes: the request's field and what was expected. */
export interface CapabilityProblem {
  readonly field: "jsonProperties" | "transcript" | "provider";
  readonly expected: string;
}

/** What providers are configured, by id, with what they declared. */
export type ProviderCapabilityLookup = (providerId: string) => ProviderCapabilities | undefined;

/**
 * @example
 * checkHandoverRequest(request, eightByEightLimits, "eight") // [] or [{ field: "jsonProperties", expected: "at most 30 …" }]
 */
export function checkHandoverRequest(
  request: Pick<HandoverRequest, "provider" | "transcript">,
  capabilities: ProviderCapabilities,
  providerId: string,
): CapabilityProblem[] {
  const problems: CapabilityProblem[] = [];
  const properties = Object.keys(request.provider.jsonProperties ?? {}).length;
  if (properties > capabilities.maxCustomProperties) {
    problems.push({
      field: "jsonProperties",
      expected: `at most ${capabilities.maxCustomProperties} custom properties (what provider "${providerId}" takes; ${properties} given)`,
    });
  }
  if (request.transcript.mode === "last" && request.transcript.count > capabilities.maxTranscriptMessages) {
    problems.push({
      field: "transcript",
      expected: `"full", "none" or "last:N" with N at most ${capabilities.maxTranscriptMessages} (what provider "${providerId}" takes)`,
    });
  }
  return problems;
}

/**
 * Every handoverToAgent node of a flow against the provider it hands over to (its own `provider`, else the
 * endpoint's). A node naming a provider that is not configured is a problem too; a node with no provider at
 * all is not (the handover then ends in `error` / `unsupported` at run time, as documented).
 */
export function checkFlowHandovers(
  flow: Flow,
  endpointProviderId: string | undefined,
  capabilitiesOf: ProviderCapabilityLookup,
): FlowIssue[] {
  const issues: FlowIssue[] = [];
  for (const node of flow.nodes.values()) {
    if (node.type !== "handoverToAgent") continue;
    const providerId = node.provider ?? endpointProviderId;
    if (providerId === undefined) continue;
    const capabilities = capabilitiesOf(providerId);
    if (capabilities === undefined) {
      issues.push({
        file: flow.file,
        nodeId: node.id,
        field: node.provider !== undefined ? "provider" : "(endpoint handover.provider)",
        expected: `the id of a configured provider ("${providerId}" is not one)`,
      });
      continue;
    }
    const request = {
      provider:
        node.jsonProperties === undefined ? {} : { jsonProperties: placeholders(node.jsonProperties) },
      transcript: node.transcript,
    };
    for (const problem of checkHandoverRequest(request, capabilities, providerId)) {
      issues.push({ file: flow.file, nodeId: node.id, field: problem.field, expected: problem.expected });
    }
  }
  return issues;
}

/** Only the keys count at load time; values are templates rendered when the node runs. */
function placeholders(properties: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(Object.keys(properties).map((key) => [key, ""]));
}
