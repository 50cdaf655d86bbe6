import type { AddressInfo } from "node:net";
import type { HandoverProvider, ProviderEvent, ProviderEventHandler } from "../../src/providers/port.ts";
import { buildServer } from "../../src/server/app.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import { createMetrics } from "../../src/telemetry/metrics.ts";

export interface ProviderGateway {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `{url}{webhook.path}/{providerId}`: where the provider's contact center must post its events. */
  readonly webhookUrl: string;
  /** Every event the provider handed on, in hand-on order. */
  readonly events: readonly ProviderEvent[];
  eventsOf(conversationId: string): ProviderEvent[];
  /** Closes the server, then stops the provider. */
  close(): Promise<void>;
}

/**
 * The gateway's real HTTP surface for one provider: `buildServer` with just this provider (its webhook mounted
 * where it declares it), listening on 127.0.0.1 port 0, the provider started with a handler that records
 * every event. The caller closes it.
 *
 * @example
 * const gateway = await startProviderGateway(testProvider.create("test", center.config, deps));
 * center.connect(gateway.webhookUrl);
 */
export async function startProviderGateway(
  provider: HandoverProvider,
  options: {
    /** Runs before an event is recorded; when it throws, the event is not recorded (the provider may retry). */
    readonly onEvent?: ProviderEventHandler;
  } = {},
): Promise<ProviderGateway> {
  const events: ProviderEvent[] = [];
  const app = await buildServer({
    logger: createSilentLogger(),
    metrics: createMetrics({ defaultMetrics: false }),
    providers: new Map([[provider.id, provider]]),
    readiness: [],
    bodyLimit: 1024 * 1024,
  });
  try {
    await provider.start({
      onEvent: async (event) => {
        await options.onEvent?.(event);
        events.push(event);
      },
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
  } catch (error) {
    await app.close();
    await provider.stop();
    throw error;
  }
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const path = provider.webhook?.path ?? "";
  return {
    url,
    webhookUrl: `${url}${path}/${encodeURIComponent(provider.id)}`,
    events,
    eventsOf: (conversationId) => events.filter((event) => event.conversationId === conversationId),
    async close() {
      await app.close();
      await provider.stop();
    },
  };
}
