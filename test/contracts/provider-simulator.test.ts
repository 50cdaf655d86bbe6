import { request } from "undici";
import { createSimulator } from "../../simulator/src/index.ts";
import {
  runProviderContract,
  type ContractDelivery,
  type ContractFaultSettings,
  type ProviderContractTarget,
} from "./provider-contract.ts";

const noFaults: ContractFaultSettings = {
  errorRate: 0,
  errorStatus: 503,
  latencyMs: 0,
  duplicateRate: 0,
  reorderRate: 0,
  dropRate: 0,
};

/**
 * A fresh simulator on port 0, with a tenant (so X-8x8-Tenant is enforced), a short agent-typing timeout and
 * fast delivery retries. The agent side, faults and the delivery log go through its control API over HTTP,
 * as the agent console does.
 */
async function openSimulatorTarget(): Promise<ProviderContractTarget> {
  const sim = await createSimulator({
    tenant: "contract-tenant",
    customerId: "contract-customer",
    typingTimeoutMs: 300,
    retry: { baseDelayMs: 20 },
  });

  async function control<T>(method: "GET" | "POST" | "PUT", path: string, body?: object): Promise<T> {
    const response = await request(`${sim.url}/sim${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    const text = await response.body.text();
    if (response.statusCode >= 300)
      throw new Error(`${method} /sim${path} answered ${response.statusCode}: ${text}`);
    return JSON.parse(text) as T;
  }
  const conversation = (id: string, action: string): string =>
    `/conversations/${encodeURIComponent(id)}/${action}`;

  const { queues } = await control<{ queues: Array<{ id: string; name: string }> }>("GET", "/queues");
  return {
    baseUrl: sim.url,
    apiKey: sim.apiKey,
    tenant: sim.tenant,
    queues: queues.map(({ id, name }) => ({ id, name })),
    agent: {
      accept: async (id, agentId) =>
        (
          await control<{ agentId: string }>(
            "POST",
            conversation(id, "accept"),
            agentId === undefined ? {} : { agentId },
          )
        ).agentId,
      say: async (id, text) => void (await control("POST", conversation(id, "messages"), { text })),
      typing: async (id) => void (await control("POST", conversation(id, "typing"), {})),
      transfer: async (id, queueId) =>
        void (await control("POST", conversation(id, "transfer"), { queueId })),
      close: async (id) => void (await control("POST", conversation(id, "close"), {})),
    },
    faults: {
      set: async (faults) => void (await control("PUT", "/faults", faults)),
      reset: async () => void (await control("PUT", "/faults", noFaults)),
    },
    async deliveries(conversationId) {
      const log = await control<{
        attempts: Array<{
          eid: string;
          eventType: string;
          conversationId?: string;
          retry: number;
          outcome: string;
          duplicate?: boolean;
        }>;
      }>("GET", "/webhook-log");
      return log.attempts
        .filter((attempt) => attempt.conversationId === conversationId)
        .map((attempt): ContractDelivery => ({
          eventId: attempt.eid,
          eventType: attempt.eventType,
          retry: attempt.retry,
          outcome: attempt.outcome,
          duplicate: attempt.duplicate === true,
        }));
    },
    close: () => sim.close(),
  };
}

runProviderContract("8x8 simulator", openSimulatorTarget);
