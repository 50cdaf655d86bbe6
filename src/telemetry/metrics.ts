import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * What providers and receivers report. A small interface rather than prom-client types, so a provider can be
 * used (and tested) without a registry.
 */
export interface ProviderMetrics {
  /** One inbound webhook event and what became of it (accepted, duplicate, rejected_signature, ...). */
  webhookEvent(providerId: string, eventType: string, outcome: string, seconds: number): void;
  /** One outbound Chat Gateway call attempt; `status` is the HTTP status or "network" / "timeout". */
  outboundCall(providerId: string, operation: string, status: string, seconds: number): void;
}

export interface Metrics extends ProviderMetrics {
  readonly registry: Registry;
  /** Prometheus text exposition of every metric. */
  render(): Promise<string>;
  readonly contentType: string;
}

const latencyBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A fresh registry per gateway instance, so two gateways in one process (tests) do not collide. */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "baton_" });

  const webhookEvents = new Counter({
    name: "baton_webhook_events_total",
    help: "Inbound provider webhook events by provider, event type and outcome.",
    labelNames: ["provider", "type", "outcome"] as const,
    registers: [registry],
  });
  const webhookLatency = new Histogram({
    name: "baton_webhook_handling_seconds",
    help: "Time from receiving a provider webhook to answering it.",
    labelNames: ["provider", "type"] as const,
    buckets: latencyBuckets,
    registers: [registry],
  });
  const outboundCalls = new Counter({
    name: "baton_provider_calls_total",
    help: "Outbound provider API call attempts by provider, operation and status.",
    labelNames: ["provider", "operation", "status"] as const,
    registers: [registry],
  });
  const outboundLatency = new Histogram({
    name: "baton_provider_call_seconds",
    help: "Latency of outbound provider API call attempts.",
    labelNames: ["provider", "operation"] as const,
    buckets: latencyBuckets,
    registers: [registry],
  });

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    webhookEvent(provider, type, outcome, seconds) {
      webhookEvents.inc({ provider, type, outcome });
      webhookLatency.observe({ provider, type }, seconds);
    },
    outboundCall(provider, operation, status, seconds) {
      outboundCalls.inc({ provider, operation, status });
      outboundLatency.observe({ provider, operation }, seconds);
    },
  };
}

/** Metrics that record nothing, for code paths used outside a gateway (the CLI's `8x8 setup`). */
export const noopMetrics: ProviderMetrics = {
  webhookEvent() {},
  outboundCall() {},
};
