import { Agent } from "undici";
import { BatonError } from "../../../src/errors/index.ts";
import type { ProviderDefinition, ProviderDeps } from "../../../src/providers/definition.ts";
import type { HandoverProvider, ProviderCapabilities, ProviderWebhook } from "../../../src/providers/port.ts";
import { createTestHandoverOperations } from "./handover-operations.ts";
import { createTestWebhookReceiver } from "./webhook-receiver.ts";
import { testProviderCapabilities } from "./wire.ts";

export interface TestProviderConfig {
  readonly type: "test";
  /** The test contact center's URL (`center.url`). */
  readonly baseUrl: string;
  /** Shared with the contact center: the HMAC key of its webhook deliveries (`center.secret`). */
  readonly secret: string;
  /** Overrides of the declared limits, e.g. a longer agent-left grace. */
  readonly capabilities?: Partial<ProviderCapabilities>;
}

export interface TestProvider extends HandoverProvider {
  readonly type: "test";
  readonly webhook: ProviderWebhook;
}

/** Where the contact center posts events: `{gateway}/handover/testProvider/{providerId}`. */
export const testProviderWebhookPath = "/handover/testProvider";

/**
 * A provider for the in-memory test contact center (contact-center.ts), built the way a real provider is:
 * the handover operations are HTTP calls, the events arrive as signed webhook deliveries.
 */
export function createTestProvider(id: string, config: TestProviderConfig, deps: ProviderDeps): TestProvider {
  const capabilities = { ...testProviderCapabilities, ...config.capabilities };
  const dispatcher = new Agent({ keepAliveTimeout: 1_000 });
  let receiver: ReturnType<typeof createTestWebhookReceiver> | undefined;
  return {
    id,
    type: "test",
    capabilities,
    handover: createTestHandoverOperations(id, config.baseUrl.replace(/\/+$/, ""), capabilities, dispatcher),
    webhook: {
      path: testProviderWebhookPath,
      async handle(request) {
        // Nothing can take events before start: 503 makes the contact center deliver them again.
        if (receiver === undefined) throw new BatonError("BATON_ERR_SERVER_SHUTTING_DOWN");
        return await receiver.handle(request);
      },
    },
    start({ onEvent }) {
      receiver ??= createTestWebhookReceiver({ providerId: id, secret: config.secret, deps, onEvent });
      return Promise.resolve();
    },
    async stop() {
      await receiver?.stop();
      await dispatcher.close();
    },
  };
}

/** The definition a registry maps `type: test` to (`createProviders(configs, deps, { test: testProvider })`). */
export const testProvider: ProviderDefinition<TestProviderConfig> = {
  type: "test",
  create: createTestProvider,
};
