import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryBus } from "../../src/bus/memory.ts";
import { BatonError } from "../../src/errors/index.ts";
import type { HandoverProvider, ProviderEvent, ProviderEventHandler } from "../../src/providers/port.ts";
import { createStore, type Store } from "../../src/store/index.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import { noopMetrics } from "../../src/telemetry/metrics.ts";
import { startProviderGateway, type ProviderGateway } from "../factories/provider-gateway.ts";
import {
  startTestContactCenter,
  testProvider,
  type TestContactCenter,
} from "../factories/test-provider/index.ts";
import { sign, signatureHeader } from "../factories/test-provider/wire.ts";
import { waitFor } from "../factories/wait-for.ts";
import {
  runHandoverProviderContract,
  type AgentViewMessage,
  type HandoverProviderTarget,
} from "./handover-provider-contract.ts";

/** One PGlite store for the file (starting one takes seconds); each provider id keeps its own events. */
let store: Store;
beforeAll(async () => {
  store = await createStore("pglite://memory");
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
});

interface TestSetup {
  readonly center: TestContactCenter;
  readonly provider: HandoverProvider;
  readonly gateway: ProviderGateway;
  close(): Promise<void>;
}

/**
 * The test provider, as a registry would create it, on a gateway, against a fresh in-memory contact center
 * that delivers its events to that gateway.
 */
async function openTestProvider(providerId: string, onEvent?: ProviderEventHandler): Promise<TestSetup> {
  const center = await startTestContactCenter();
  const provider = testProvider.create(providerId, center.config, {
    store,
    bus: createMemoryBus(),
    logger: createSilentLogger(),
    metrics: noopMetrics,
  });
  const gateway = await startProviderGateway(provider, onEvent === undefined ? {} : { onEvent });
  center.connect(gateway.webhookUrl);
  return {
    center,
    provider,
    gateway,
    async close() {
      await gateway.close();
      await center.close();
    },
  };
}

/** The contract's target: the agent side is the contact center's own API. */
async function openTestProviderTarget(): Promise<HandoverProviderTarget> {
  const setup = await openTestProvider("test");
  const { center, provider, gateway } = setup;
  const conversation = (id: string) => {
    const found = center.conversation(id);
    if (found === undefined) throw new Error(`no conversation ${id} at the contact center`);
    return found;
  };

  return {
    provider,
    gatewayUrl: gateway.url,
    eventsOf: (conversationId) => gateway.eventsOf(conversationId),
    routing: { queueId: "support" },
    agent: {
      accept: (id) => center.agent.accept(id),
      say: (id, text) => center.agent.say(id, text),
      typing: (id) => center.agent.typing(id),
      close: (id) => center.agent.close(id),
      view(id) {
        const { user, routing, transcript, messages, userTypingCount, userLeft } = conversation(id);
        const shown: AgentViewMessage[] = [
          ...transcript.map((entry) => ({
            from: entry.source === "user" || entry.source === "agent" ? entry.source : ("bot" as const),
            text: entry.text,
            files: (entry.attachments ?? []).map((name) => ({ name })),
          })),
          ...messages.map((message) => ({
            from: message.from === "notice" ? ("bot" as const) : message.from,
            text: message.text,
            files: message.attachments.map(({ name, bytes }) => ({ name, bytes })),
          })),
        ];
        return Promise.resolve({
          user,
          properties: routing.properties ?? {},
          messages: shown,
          userTyping: userTypingCount > 0,
          userLeft,
        });
      },
    },
    deliveries: {
      forged(conversationId) {
        const eventId = randomUUID();
        const body = Buffer.from(
          JSON.stringify({
            kind: "message.received",
            conversationId,
            eventId,
            occurredAt: Date.now(),
            sender: { id: "agent-1", role: "agent" },
            text: "Forged: send me your password.",
            attachments: [],
            cards: [],
          }),
        );
        // A well-formed signature, made with a key other than the shared secret.
        const headers = {
          "content-type": "application/json",
          [signatureHeader]: sign("not-the-secret", body),
        };
        return Promise.resolve({ eventId, body, headers });
      },
      duplicate: (enabled) => Promise.resolve(center.duplicateDeliveries(enabled)),
      redelivered: (conversationId) =>
        Promise.resolve(
          center
            .deliveries(conversationId)
            .filter((d) => d.duplicate && typeof d.status === "number" && d.status < 300)
            .map((d) => d.eventId),
        ),
    },
    close: () => setup.close(),
  };
}

runHandoverProviderContract("test provider", openTestProviderTarget);

/** What service tests rely on beyond the port: the contact center's fault hooks, emission and event order. */
describe("test provider hooks", () => {
  let setup: TestSetup;
  /** The first hand-on of each conversation's first event fails, as when it overtakes the create answer. */
  const refusedOnce = new Set<string>();

  beforeAll(async () => {
    setup = await openTestProvider("test-hooks", (event) => {
      if (refusedOnce.has(event.conversationId)) return Promise.resolve();
      refusedOnce.add(event.conversationId);
      return Promise.reject(new BatonError("BATON_ERR_HANDOVER_NOT_FOUND"));
    });
  });
  afterAll(async () => {
    await setup?.close();
  });

  const create = async (): Promise<string> =>
    (
      await setup.provider.handover.createConversation({
        handoverId: randomUUID(),
        user: { id: "u-1" },
        routing: { queueId: "billing" },
        transcript: [],
      })
    ).providerConversationId;

  const labels = (conversationId: string): string[] =>
    setup.gateway.eventsOf(conversationId).map((e) => ("role" in e ? `${e.kind}:${e.role}` : e.kind));

  it("fails the next calls of an operation with the injected BatonError, then works again", async () => {
    const conversationId = await create();
    setup.center.failNext(
      "sendUserMessage",
      new BatonError("BATON_ERR_PROVIDER_REQUEST_REJECTED", { status: 404 }),
      2,
    );
    for (let i = 0; i < 2; i += 1) {
      const error = await setup.provider.handover
        .sendUserMessage(conversationId, { text: "hello" })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BatonError);
      expect(error).toMatchObject({ code: "BATON_ERR_PROVIDER_REQUEST_REJECTED", details: { status: 404 } });
    }
    await setup.provider.handover.sendUserMessage(conversationId, { text: "hello" });
    expect(setup.center.conversation(conversationId)?.messages.map((m) => m.text)).toEqual(["hello"]);
    expect(
      setup.center
        .calls()
        .filter((c) => c.operation === "sendUserMessage" && c.conversationId === conversationId)
        .map((c) => c.failed),
    ).toEqual([true, true, false]);
  });

  it("refuses a call for an unknown conversation as BATON_ERR_PROVIDER_REQUEST_REJECTED with status 404", async () => {
    const error = await setup.provider.handover
      .notifyAgent("no-such-conversation", "hi")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BATON_ERR_PROVIDER_REQUEST_REJECTED", details: { status: 404 } });
  });

  it("queues a new conversation and hands the event on after a failed first hand-on", async () => {
    const conversationId = await create();
    const queued = await waitFor(
      () => setup.gateway.eventsOf(conversationId).find((e) => e.kind === "conversation.queued"),
      10_000,
      "conversation.queued",
    );
    expect(queued).toMatchObject({ providerId: "test-hooks", queueId: "billing" });
    expect(refusedOnce.has(conversationId)).toBe(true);
  });

  it("emits any ProviderEvent it is given", async () => {
    const conversationId = await create();
    const eventId = await setup.center.emit(conversationId, {
      kind: "card.action",
      cardKind: "quickReply",
      actionType: "postback",
      data: { choice: "track" },
    });
    const event = await waitFor(
      () => setup.gateway.eventsOf(conversationId).find((e) => e.eventId === eventId),
      10_000,
      "the emitted event",
    );
    expect(event).toMatchObject({
      kind: "card.action",
      providerId: "test-hooks",
      conversationId,
      data: { choice: "track" },
    } satisfies Partial<ProviderEvent>);
  });

  it("announces a transfer before the agent leaves, then queues the conversation again", async () => {
    const conversationId = await create();
    await setup.center.agent.accept(conversationId, "agent-7");
    await setup.center.agent.transfer(conversationId, "billing-2");
    await waitFor(() => labels(conversationId).length === 5, 10_000, "the transfer's events");
    expect(labels(conversationId)).toEqual([
      "conversation.queued",
      "participant.joined:agent",
      "conversation.transferred",
      "participant.left:agent",
      "conversation.queued",
    ]);
    expect(setup.center.conversation(conversationId)).toMatchObject({
      status: "queued",
      queueId: "billing-2",
    });
  });
});
