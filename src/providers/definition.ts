/**
 * How a provider implementation plugs in: the dependencies every factory gets and the definition a provider
 * folder exports. Kept apart from port.ts, which the core imports, so the core's types never pull in the
 * store's or the telemetry's.
 */
import type { Bus } from "../bus/types.ts";
import type { EventLogSink } from "../eventlog/recorder.ts";
import type { Store } from "../store/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { ProviderMetrics } from "../telemetry/metrics.ts";
import type { HandoverProvider } from "./port.ts";

/** What every provider factory receives besides its id and its own config. */
export interface ProviderDeps {
  readonly store: Pick<Store, "webhookEvents">;
  /**
   * The gateway's bus, for the per-conversation lock every instance takes before handing on a
   * conversation's events (their order must hold whichever instance each one reached).
   */
  readonly bus: Pick<Bus, "withLock">;
  readonly logger: Logger;
  readonly metrics: ProviderMetrics;
  /** The operator's event log: each webhook request and each outbound attempt is reported to it. */
  readonly eventLog?: EventLogSink;
}

/**
 * One provider implementation: the config `type` it answers to and its factory. A provider folder exports
 * exactly one of these; adding a provider is that folder, one line in registry.ts and its entry in the
 * config schema (docs/providers.md).
 *
 * @example
 * export const eightByEightProvider: ProviderDefinition<EightByEightProviderConfig> = {
 *   type: "8x8",
 *   create: (id, config, deps) => createEightByEightProvider(id, config, deps),
 * };
 */
export interface ProviderDefinition<C = unknown> {
  readonly type: string;
  create(id: string, config: C, deps: ProviderDeps): HandoverProvider;
}
