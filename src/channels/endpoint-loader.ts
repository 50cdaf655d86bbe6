import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { BatonConfig } from "../config/index.ts";
import type { EndpointRuntime } from "../conversation/types.ts";
import { BatonError } from "../errors/index.ts";
import { loadFlowFile } from "../flow/index.ts";
import { iframeOriginIssues } from "../flow/iframe-origins.ts";
import { checkFlowHandovers } from "../handover/capabilities.ts";
import type { HandoverProvider } from "../providers/port.ts";
import { resolveLocale } from "../i18n/catalog.ts";
import type { Store } from "../store/types.ts";

/**
 * Turns `endpoints:` into runtime endpoints: each gets its URL token (configured, or generated once and kept
 * in the store, so it survives restarts) and its flow, loaded and validated now (its handover nodes against
 * their providers' capabilities too): a bad flow stops the boot with every problem listed, instead of failing
 * on the first user.
 */
export async function loadEndpoints(
  config: BatonConfig,
  baseDir: string,
  store: Store,
  providers: ReadonlyMap<string, Pick<HandoverProvider, "capabilities">>,
): Promise<Map<string, EndpointRuntime>> {
  const endpoints = new Map<string, EndpointRuntime>();
  for (const [id, endpoint] of Object.entries(config.endpoints)) {
    const urlToken = await store.endpoints.ensureToken(id, endpoint.urlToken);
    const flow =
      endpoint.flow === undefined
        ? undefined
        : await loadFlowFile(resolve(baseDir, endpoint.flow), (path) => readFile(path, "utf8"));
    if (flow !== undefined) {
      // Each handover node against what its provider takes: a flow asking for more never boots.
      const issues = checkFlowHandovers(
        flow,
        endpoint.handover?.provider,
        (id) => providers.get(id)?.capabilities,
      );
      if (issues.length > 0) throw new BatonError("BATON_ERR_FLOW_INVALID", { file: flow.file, issues });
    }
    const copilotFlow =
      endpoint.copilot === undefined
        ? undefined
        : await loadFlowFile(resolve(baseDir, endpoint.copilot.flow), (path) => readFile(path, "utf8"), {
            kind: "copilot",
          });
    if (copilotFlow !== undefined) {
      // An iFrame tile may show only the applications the operator listed (they are also the page's CSP).
      const issues = iframeOriginIssues(copilotFlow, config.copilot.iframeOrigins);
      if (issues.length > 0)
        throw new BatonError("BATON_ERR_FLOW_INVALID", { file: copilotFlow.file, issues });
    }
    endpoints.set(id, {
      id,
      channel: endpoint.channel,
      urlToken,
      locale: resolveLocale(endpoint.locale),
      presenceGraceMs: endpoint.presenceNotices.enabled ? endpoint.presenceNotices.graceSeconds * 1000 : null,
      ...(flow !== undefined ? { flow } : {}),
      ...(copilotFlow !== undefined ? { copilotFlow } : {}),
      ...(endpoint.handover?.provider !== undefined ? { providerId: endpoint.handover.provider } : {}),
      // Both are present exactly when the channel is webhook (config validation's cross-check).
      ...(endpoint.callbackUrl !== undefined && endpoint.callbackSecret !== undefined
        ? { callback: { url: endpoint.callbackUrl, secret: endpoint.callbackSecret } }
        : {}),
    });
  }
  return endpoints;
}
