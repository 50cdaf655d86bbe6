import { BatonError } from "../errors/index.ts";
import type { ProviderConfig } from "../config/index.ts";
import { eightByEightProvider } from "./8x8/index.ts";
import type { ProviderDefinition, ProviderDeps } from "./definition.ts";
import type { HandoverProvider } from "./port.ts";

/**
 * Provider implementations by config `type`. Adding a provider means one folder under providers/ exporting
 * one ProviderDefinition, one line here, and its entry in the config schema (docs/providers.md).
 */
export const builtInProviders: {
  readonly [T in ProviderConfig["type"]]: ProviderDefinition<Extract<ProviderConfig, { type: T }>>;
} = {
  "8x8": eightByEightProvider,
};

/**
 * Creates every configured provider; an unknown type fails at boot, never at the first handover. `definitions`
 * defaults to the built-in ones (tests add their own).
 */
export function createProviders(
  configs: Readonly<Record<string, { readonly type: string }>>,
  deps: ProviderDeps,
  definitions: Readonly<Record<string, ProviderDefinition<never>>> = builtInProviders,
): Map<string, HandoverProvider> {
  const providers = new Map<string, HandoverProvider>();
  for (const [id, config] of Object.entries(configs)) {
    const definition = Object.hasOwn(definitions, config.type) ? definitions[config.type] : undefined;
    if (definition === undefined) {
      throw new BatonError("BATON_ERR_PROVIDER_TYPE_UNKNOWN", {
        field: `providers.${id}.type`,
        expected: Object.keys(definitions).join(", "),
      });
    }
    // The config schema checked the shape per type; the definition of this type takes that shape.
    providers.set(id, (definition as ProviderDefinition<typeof config>).create(id, config, deps));
  }
  return providers;
}
