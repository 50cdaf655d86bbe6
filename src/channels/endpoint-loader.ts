import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { BatonConfig } from "../config/index.ts";
import type { EndpointRuntime } from "../conversation/types.ts";
import { loadFlowFile } from "../flow/index.ts";
import { resolveLocale } from "../i18n/catalog.ts";
import type { Store } from "../store/types.ts";

/**
 * Turns `endpoints:` into runtime endpoints: each gets its URL token (configured, or generated once and kept
 * in the store, so it survives restarts) and its flow, loaded and validated now — a bad flow stops the boot
 * with every problem listed, instead of failing on the first user.
 */
export async function loadEndpoints(
  config: BatonConfig,
  baseDir: string,
  store: Store,
): Promise<Map<string, EndpointRuntime>> {
  const endpoints = new Map<string, EndpointRuntime>();
  for (const [id, endpoint] of Object.entries(config.endpoints)) {
    const urlToken = await store.endpoints.ensureToken(id, endpoint.urlToken);
    const flow =
      endpoint.flow === undefined
        ? undefined
        : await loadFlowFile(resolve(baseDir, endpoint.flow), (path) => readFile(path, "utf8"));
    const copilotFlow =
      endpoint.copilot === undefined
        ? undefined
        : await loadFlowFile(resolve(baseDir, endpoint.copilot.flow), (path) => readFile(path, "utf8"), {
            kind: "copilot",
          });
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
