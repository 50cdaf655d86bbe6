import { createMemoryBus } from "../../src/bus/memory.ts";
import type { Bus } from "../../src/bus/types.ts";
import { validateConfig } from "../../src/config/index.ts";
import { createEightByEightProvider, type EightByEightProvider } from "../../src/providers/8x8/index.ts";
import { webhookUriFor } from "../../src/providers/8x8/setup.ts";
import type { ProviderEvent } from "../../src/providers/port.ts";
import type { Store } from "../../src/store/index.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import { createMetrics } from "../../src/telemetry/metrics.ts";
import { startProviderGateway } from "./provider-gateway.ts";

export interface EightByEightGatewayOptions {
  /** A migrated store; several gateways may share one, each under its own provider id. */
  readonly store: Store;
  /** The bus whose lock orders each conversation's events (default: a memory bus of its own). */
  readonly bus?: Bus;
  readonly providerId: string;
  /** The 8x8 API (or the simulator) the provider talks to. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly tenant?: string;
}

export interface EightByEightGateway {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `{url}/handover/eightByEight/{providerId}`: where 8x8 must post this provider's events. */
  readonly webhookUri: string;
  readonly provider: EightByEightProvider;
  /** Every ProviderEvent the provider handed on, in hand-on order. */
  readonly events: readonly ProviderEvent[];
  /** The handed-on events of one conversation, in hand-on order. */
  eventsOf(conversationId: string): ProviderEvent[];
  close(): Promise<void>;
}

/**
 * The gateway's real HTTP surface for one 8x8 provider: the provider built from a validated config
 * (`createEightByEightProvider`), mounted by startProviderGateway, recording every event it hands on. The
 * caller closes it.
 *
 * @example
 * const gateway = await startEightByEightGateway({ store, providerId: "eight-1", baseUrl: sim.url, apiKey });
 * await ensureEightByEightSetup(gateway.provider.client, { providerId: "eight-1", publicUrl: gateway.url });
 * await gateway.close();
 */
export async function startEightByEightGateway(
  options: EightByEightGatewayOptions,
): Promise<EightByEightGateway> {
  const { providerId } = options;
  const validated = validateConfig(
    {
      providers: {
        [providerId]: {
          type: "8x8",
          baseUrl: options.baseUrl,
          apiKey: options.apiKey,
          ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
        },
      },
    },
    { env: {} },
  );
  if (!validated.ok) throw new Error(`invalid provider config: ${JSON.stringify(validated.issues)}`);
  const config = validated.config.providers[providerId];
  if (config === undefined) throw new Error(`provider ${providerId} missing from the validated config`);

  const provider = createEightByEightProvider(providerId, config, {
    store: options.store,
    bus: options.bus ?? createMemoryBus(),
    logger: createSilentLogger(),
    metrics: createMetrics({ defaultMetrics: false }),
  });
  const gateway = await startProviderGateway(provider);
  return {
    url: gateway.url,
    webhookUri: webhookUriFor(gateway.url, providerId),
    provider,
    events: gateway.events,
    eventsOf: (conversationId) => gateway.eventsOf(conversationId),
    close: () => gateway.close(),
  };
}
