import { afterAll, beforeAll, expect, onTestFinished } from "vitest";
import { createMemoryBus } from "../../src/bus/memory.ts";
import { BatonError } from "../../src/errors/index.ts";
import {
  createWebhookReceiver,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from "../../src/providers/8x8/webhook-receiver.ts";
import type { ProviderEvent, WebhookRequest, WebhookResponse } from "../../src/providers/port.ts";
import { createStore, type Store } from "../../src/store/index.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import type { ProviderMetrics } from "../../src/telemetry/metrics.ts";
import {
  createFakeJwkSource,
  createSigningKey,
  signedDelivery,
  type DeliveryOptions,
  type SigningKey,
} from "./eight-by-eight-webhooks.ts";

/** RSA key generation is slow; one issuer key serves every receiver test in a file. */
let sharedIssuerKey: SigningKey | undefined;
export function issuerKey(): SigningKey {
  sharedIssuerKey ??= createSigningKey("key1");
  return sharedIssuerKey;
}

export interface RecordedMetric {
  readonly eventType: string;
  readonly outcome: string;
}

let fileStore: Store | undefined;
let harnessCount = 0;

/**
 * Call once at the top of a test file: its receivers then share one in-memory PGlite store (booting PGlite
 * takes a second or two) and each gets its own provider id, which keeps their events apart.
 */
export function shareReceiverStoreInFile(): void {
  beforeAll(async () => {
    fileStore = await createStore("pglite://memory");
    await fileStore.migrate();
  });
  afterAll(async () => {
    await fileStore?.close();
    fileStore = undefined;
  });
}

/**
 * A webhook receiver on a real in-memory PGlite store, with a fake 8x8 key source, a recording handler and
 * recording metrics. Stopped (and its own store closed) when the test finishes.
 */
export async function createReceiverHarness(overrides: Partial<WebhookReceiverOptions> = {}) {
  const ownStore = fileStore === undefined;
  const store: Store = fileStore ?? (await createStore("pglite://memory"));
  if (ownStore) await store.migrate();
  const providerId = `eight-${(harnessCount += 1)}`;
  const key = issuerKey();
  const source = createFakeJwkSource(key);
  const handed: ProviderEvent[] = [];
  const metrics: RecordedMetric[] = [];
  let now = 1_767_225_600_000;
  const recordingMetrics: ProviderMetrics = {
    webhookEvent: (_providerId, eventType, outcome) => void metrics.push({ eventType, outcome }),
    outboundCall: () => undefined,
  };
  const options: WebhookReceiverOptions = {
    providerId,
    fetchJwk: source.fetchJwk,
    events: store.webhookEvents,
    bus: createMemoryBus(),
    onEvent: (event) => {
      handed.push(event);
      return Promise.resolve();
    },
    logger: createSilentLogger(),
    metrics: recordingMetrics,
    clock: () => now,
    handlerRetry: { initialDelayMs: 1, maxDelayMs: 5 },
    ...overrides,
  };
  const receiver = createWebhookReceiver(options);
  const peers: WebhookReceiver[] = [];
  onTestFinished(async () => {
    await Promise.all([receiver, ...peers].map((r) => r.stop()));
    if (ownStore) await store.close();
  });

  /** Signs `body` as 8x8 would (at the harness clock) and hands it to `target`. */
  function deliverTo(
    target: WebhookReceiver,
    body: string | object,
    delivery: Partial<Omit<DeliveryOptions, "body">> = {},
  ): Promise<WebhookResponse> & { eventId: string } {
    const request = signedDelivery({ key, transmissionTime: now, ...delivery, body });
    return Object.assign(target.handle(request), { eventId: request.eventId });
  }

  /**
   * Another instance of the gateway: a receiver of the same provider on the same store and bus (a load
   * balancer sends each delivery to one of them), with its own handler (default: recording into its own
   * `handed`).
   */
  function peer(peerOverrides: Partial<WebhookReceiverOptions> = {}) {
    const peerHanded: ProviderEvent[] = [];
    const other = createWebhookReceiver({
      ...options,
      onEvent: (event) => {
        peerHanded.push(event);
        return Promise.resolve();
      },
      ...peerOverrides,
    });
    peers.push(other);
    return {
      receiver: other,
      handed: peerHanded,
      deliver: (body: string | object, delivery: Partial<Omit<DeliveryOptions, "body">> = {}) =>
        deliverTo(other, body, delivery),
    };
  }

  return {
    providerId,
    store,
    receiver,
    source,
    key,
    handed,
    metrics,
    deliver: (body: string | object, delivery: Partial<Omit<DeliveryOptions, "body">> = {}) =>
      deliverTo(receiver, body, delivery),
    peer,
    handle: (request: WebhookRequest) => receiver.handle(request),
    now: () => now,
    advanceClock: (ms: number) => void (now += ms),
  };
}

/** The BatonError a request was refused with (fails the test when it was not refused with one). */
export async function rejectionOf(promise: Promise<unknown>): Promise<BatonError> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(BatonError);
  return error as BatonError;
}
