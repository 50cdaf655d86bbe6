import { BatonError } from "../errors/index.ts";
import type { ProviderConfig } from "../config/index.ts";
import type { Store } from "../store/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { ProviderMetrics } from "../telemetry/metrics.ts";
import { createEightByEightProvider } from "./8x8/index.ts";
import type { HandoverProvider, ProviderEventHandler } from "./port.ts";

/** What every provider factory receives besides its own config. */
export interface ProviderDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: ProviderMetrics;
  readonly onEvent: ProviderEventHandler;
}

type ProviderFactory<C extends ProviderConfig> = (
  id: string,
  config: C,
  deps: ProviderDeps,
) => HandoverProvider;

/**
 * Provider implementations by config `type`. Adding a provider means one folder under providers/ with one
 * public factory, and one line here.
 */
const factories: { [T in ProviderConfig["type"]]: ProviderFactory<Extract<ProviderConfig, { type: T }>> } = {
  "8x8": createEightByEightProvider,
};

/** Creates every configured provider; an unknown type fails at boot, never at the first handover. */
export function createProviders(
  configs: Readonly<Record<string, ProviderConfig>>,
  deps: ProviderDeps,
): Map<string, HandoverProvider> {
  const providers = new Map<string, HandoverProvider>();
  for (const [id, config] of Object.entries(configs)) {
    const factory = factories[config.type] as ProviderFactory<ProviderConfig> | undefined;
    if (factory === undefined) {
      throw new BatonError("BATON_ERR_PROVIDER_TYPE_UNKNOWN", {
        field: `providers.${id}.type`,
        expected: Object.keys(factories).join(", "),
      });
    }
    providers.set(id, factory(id, config, deps));
  }
  return providers;
}
