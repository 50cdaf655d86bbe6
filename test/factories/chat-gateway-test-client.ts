import {
  createChatGatewayClient,
  type ChatGatewayClient,
  type ChatGatewayClientOptions,
} from "../../src/providers/8x8/client.ts";
import type { ProviderMetrics } from "../../src/telemetry/metrics.ts";

export const testApiKey = "eght_TEST-SECRET-KEY-0123456789";

export interface RecordedCall {
  readonly providerId: string;
  readonly operation: string;
  readonly status: string;
  readonly seconds: number;
}

export interface TestClient {
  readonly client: ChatGatewayClient;
  /** Every delay the client asked to sleep, in order (nothing actually waits). */
  readonly sleeps: number[];
  /** Every metrics.outboundCall report, one per attempt. */
  readonly calls: RecordedCall[];
}

/**
 * A client against `baseUrl` whose sleeps are recorded instead of waited and whose jitter is fixed at 0.5, so
 * retry tests are fast and deterministic.
 */
export function createTestClient(
  baseUrl: string,
  overrides: Partial<ChatGatewayClientOptions> = {},
): TestClient {
  const sleeps: number[] = [];
  const calls: RecordedCall[] = [];
  const metrics: ProviderMetrics = {
    webhookEvent() {},
    outboundCall(providerId, operation, status, seconds) {
      calls.push({ providerId, operation, status, seconds });
    },
  };
  const client = createChatGatewayClient({
    baseUrl,
    apiKey: testApiKey,
    metrics,
    random: () => 0.5,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...overrides,
  });
  return { client, sleeps, calls };
}
