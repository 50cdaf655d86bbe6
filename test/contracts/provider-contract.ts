import { setTimeout as delay } from "node:timers/promises";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { BatonError } from "../../src/errors/index.ts";
import type { ChatGatewayClientOptions } from "../../src/providers/8x8/client.ts";
import { ChatGatewayError, parseProblemBody } from "../../src/providers/8x8/gateway-error.ts";
import { ensureEightByEightSetup } from "../../src/providers/8x8/setup.ts";
import type { SendMessageBody, UserData } from "../../src/providers/8x8/wire-types.ts";
import type { ProviderEvent } from "../../src/providers/port.ts";
import { createStore, type Store, type StoredWebhookEvent } from "../../src/store/index.ts";
import { createTestClient, type TestClient } from "../factories/chat-gateway-test-client.ts";
import { startEightByEightGateway, type EightByEightGateway } from "../factories/eight-by-eight-gateway.ts";
import { replayableHeaders, startRecordingProxy, type RecordingProxy } from "../factories/recording-proxy.ts";
import { waitFor } from "../factories/wait-for.ts";

/** The agent side of the contact center: what a human agent does in 8x8 (the simulator's control API). */
export interface ContractAgent {
  /** An agent (the queue's first one unless named) accepts a waiting conversation; resolves with its id. */
  accept(conversationId: string, agentId?: string): Promise<string>;
  say(conversationId: string, text: string): Promise<void>;
  /** Starts the agent's typing indicator; the target stops it on its own after a short while. */
  typing(conversationId: string): Promise<void>;
  transfer(conversationId: string, queueId: string): Promise<void>;
  /** The agent ends the interaction. */
  close(conversationId: string): Promise<void>;
}

export interface ContractFaultSettings {
  readonly errorRate: number;
  readonly errorStatus: number;
  readonly latencyMs: number;
  readonly duplicateRate: number;
  readonly reorderRate: number;
  readonly dropRate: number;
}

export interface ContractFaults {
  set(faults: Partial<ContractFaultSettings>): Promise<void>;
  /** Back to no faults; called after every test. */
  reset(): Promise<void>;
}

/** One webhook delivery attempt as the target logged it. */
export interface ContractDelivery {
  /** `x-8x8-event-id`. */
  readonly eventId: string;
  readonly eventType: string;
  readonly retry: number;
  /** `delivered` is a 2xx answer; anything else was not accepted. */
  readonly outcome: string;
  /** A deliberate second delivery (duplicate fault). */
  readonly duplicate: boolean;
}

/** What `runProviderContract` runs against. */
export interface ProviderContractTarget {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** The tenant the key belongs to (sent as X-8x8-Tenant, and the card actions' path tenant). */
  readonly tenant: string;
  readonly agent: ContractAgent;
  /** At least two queues that have agents; the first is the one channels route to. */
  readonly queues: readonly { readonly id: string; readonly name?: string }[];
  /**
   * Fault injection and the delivery log are required: the suite's reliability tests cannot run without them,
   * and a contract test that cannot run must fail rather than be skipped.
   */
  readonly faults: ContractFaults;
  /** Every delivery attempt of one conversation's events, in the order the target sent them. */
  deliveries(conversationId: string): Promise<ContractDelivery[]>;
  close(): Promise<void>;
}

const contractUser = {
  name: "Ana Pereira",
  userId: "crm-88231",
  email: "ana.pereira@example.org",
  language: "pt",
  additionalProperties: [
    { key: "Plan", value: "gold" },
    { key: "Order", value: "A-1009" },
  ],
} satisfies UserData;

const quickReplies = {
  contentType: "application/8x8.quick.replies",
  content: { options: [{ title: "Track order", data: { postback: "track" } }] },
};

/** How long an event may take from the target's API to the provider's handler (reorder window included). */
const eventTimeoutMs = 10_000;

/**
 * The behaviour every 8x8 Chat Gateway target must show to Baton's real client (`createChatGatewayClient`) and
 * real provider (`createEightByEightProvider` behind the gateway's HTTP server, on a PGlite store), over real
 * HTTP. Run against the simulator in `npm test`.
 *
 * One target and one store per run; every test that needs events gets its own provider id, gateway, webhook
 * and channel, so tests cannot see each other's events.
 *
 * @example
 * // test/contracts/provider-simulator.test.ts: a fresh simulator whose agent side is its control API
 * runProviderContract("8x8 simulator", openSimulatorTarget);
 */
export function runProviderContract(name: string, openTarget: () => Promise<ProviderContractTarget>): void {
  describe(`provider contract: ${name}`, () => {
    let target: ProviderContractTarget;
    let store: Store;
    /** Answers every delivery 200: the webhook of conversations whose events no test reads. */
    let sink: RecordingProxy;
    let sinkWebhookId: string;
    let sinkChannelId: string;
    let counter = 0;

    const unique = (what: string): string => `contract-${what}-${Date.now().toString(36)}-${(counter += 1)}`;
    const queue = (index: number): { id: string; name?: string } => {
      const found = target.queues[index];
      if (found === undefined) throw new Error(`the target must offer at least ${index + 1} queues`);
      return found;
    };

    beforeAll(async () => {
      [target, store, sink] = await Promise.all([
        openTarget(),
        createStore("pglite://memory"),
        startRecordingProxy(),
      ]);
      await store.migrate();
      const { client } = createTestClient(target.baseUrl, clientOptions());
      try {
        sinkWebhookId = (await client.webhooks.create({ name: unique("sink"), uri: sink.url })).id;
        const channel = await client.channels.create({
          name: unique("sink"),
          webHookId: sinkWebhookId,
          routingOptions: { type: "queue", id: queue(0).id },
        });
        sinkChannelId = channel.id;
      } finally {
        await client.close();
      }
    });
    afterEach(async () => {
      await target.faults?.reset();
    });
    afterAll(async () => {
      await target?.close();
      await store?.close();
      await sink?.close();
    });

    function clientOptions(overrides: Partial<ChatGatewayClientOptions> = {}): ChatGatewayClientOptions {
      return {
        baseUrl: target.baseUrl,
        apiKey: target.apiKey,
        ...(target.tenant === undefined ? {} : { tenant: target.tenant }),
        retry: { baseDelayMs: 1, maxDelayMs: 5 },
        ...overrides,
      };
    }

    /** The real client with recorded attempts (metrics) and recorded, not waited, backoff sleeps. */
    function openClient(overrides: Partial<ChatGatewayClientOptions> = {}): TestClient {
      const test = createTestClient(target.baseUrl, clientOptions(overrides));
      onTestFinished(() => test.client.close());
      return test;
    }

    async function newConversation(client: TestClient["client"], channelId = sinkChannelId): Promise<string> {
      const { conversationId } = await client.conversations.create({ channelId, user: contractUser });
      return conversationId;
    }

    // ------------------------------------------------------------------------------------- client surface

    describe("client operations", () => {
      it("creates, reads, lists page by page, updates, verifies and deletes webhooks", async () => {
        const { client } = openClient();
        const name = unique("webhook");
        const created = await client.webhooks.create({ name, uri: sink.url });
        expect(created).toEqual({
          id: expect.any(String),
          name,
          uri: sink.url,
          version: "Chat Gateway v1.0",
        });
        expect(await client.webhooks.get(created.id)).toEqual(created);
        const second = await client.webhooks.create({ name: `${name}-b`, uri: sink.url });

        const page = await client.webhooks.list({ size: 1, page: 0 });
        expect(page.items).toHaveLength(1);
        expect(page.page).toMatchObject({ number: 0, size: 1 });
        expect(page.page.totalElements).toBeGreaterThanOrEqual(3);
        expect(page.page.totalPages).toBe(page.page.totalElements);
        const all = [];
        for await (const webhook of client.webhooks.listAll({ size: 2 })) all.push(webhook);
        expect(all).toHaveLength(page.page.totalElements);
        expect(all).toEqual(expect.arrayContaining([created, second]));

        const updated = await client.webhooks.update(created.id, {
          name: `${name}-renamed`,
          uri: `${sink.url}/v2`,
        });
        expect(updated).toMatchObject({ id: created.id, name: `${name}-renamed`, uri: `${sink.url}/v2` });
        expect(await client.webhooks.get(created.id)).toEqual(updated);

        const verifyPath = `/verify/${name}`;
        await expect(
          client.webhooks.verify({ uri: `${new URL(sink.url).origin}${verifyPath}` }),
        ).resolves.toBeUndefined();
        const hello = sink.requests.find((r) => r.path === verifyPath);
        expect(JSON.parse(hello?.rawBody.toString("utf8") ?? "{}")).toEqual({
          notificationVersion: "Chat Gateway v1.0",
          eventType: "WEB_HOOK_VERIFY",
        });

        await client.webhooks.delete(second.id);
        await client.webhooks.delete(created.id);
        const gone = await rejection(client.webhooks.get(created.id));
        expect(gone).toMatchObject({ code: "BATON_ERR_8X8_REQUEST_REJECTED", httpStatus: 404 });
      });

      it("serves the public signing key of its deliveries without an API key", async () => {
        const signed = await waitFor(
          () => sink.requests.find((r) => typeof r.headers["x-8x8-signature"] === "string"),
          eventTimeoutMs,
          "a signed delivery to the sink",
        );
        const [protectedHeader] = String(signed.headers["x-8x8-signature"]).split(".");
        const { kid } = JSON.parse(Buffer.from(protectedHeader ?? "", "base64url").toString("utf8")) as {
          kid: string;
        };
        const { client, calls } = openClient({ apiKey: "not-the-api-key" });
        const jwk = await client.jwk.getPublicJwk(kid);
        expect(jwk).toMatchObject({ kty: "RSA", kid, n: expect.any(String), e: "AQAB" });
        expect(client.jwkUrl(kid).startsWith(target.baseUrl)).toBe(true);
        expect(calls.map((c) => [c.operation, c.status])).toEqual([["jwk.get", "200"]]);
        const unknown = await rejection(client.jwk.getPublicJwk(`${kid}-unknown`));
        expect(unknown.httpStatus).toBe(404);
      });

      it("creates, reads, lists page by page, updates and deletes channels", async () => {
        const { client } = openClient();
        const name = unique("channel");
        const created = await client.channels.create({
          name,
          webHookId: sinkWebhookId,
          routingOptions: { type: "queue", id: queue(0).id },
        });
        expect(created).toEqual({
          id: expect.any(String),
          name,
          type: "ChatAPI",
          webHookId: sinkWebhookId,
          routingOptions: { type: "queue", id: queue(0).id },
        });
        expect(await client.channels.get(created.id)).toEqual(created);

        const page = await client.channels.list({ size: 1 });
        expect(page.items).toHaveLength(1);
        expect(page.page.totalElements).toBeGreaterThanOrEqual(2);
        const all = [];
        for await (const channel of client.channels.listAll({ size: 2 })) all.push(channel);
        expect(all).toHaveLength(page.page.totalElements);
        expect(all).toContainEqual(created);

        const updated = await client.channels.update(created.id, {
          name: `${name}-moved`,
          webHookId: sinkWebhookId,
          routingOptions: { id: queue(1).id },
        });
        expect(updated).toMatchObject({
          id: created.id,
          name: `${name}-moved`,
          routingOptions: { id: queue(1).id },
        });
        expect(await client.channels.get(created.id)).toEqual(updated);

        await client.channels.delete(created.id);
        expect((await rejection(client.channels.get(created.id))).httpStatus).toBe(404);
      });

      it("creates a conversation with user data, custom properties, a queue assignment and history, and reads it back", async () => {
        const { client } = openClient();
        const history: SendMessageBody[] = [
          { authorType: "user", text: "I was charged twice" },
          { authorType: "bot", text: "Let me get you an agent.", cards: [quickReplies] },
        ];
        const created = await client.conversations.create({
          channelId: sinkChannelId,
          user: contractUser,
          assignment: { type: "queue", id: queue(0).id },
          history: { messages: history },
        });
        expect(created).toEqual({ conversationId: expect.any(String), createdAt: expect.any(String) });
        const conversation = await client.conversations.get(created.conversationId);
        expect(conversation).toMatchObject({
          id: created.conversationId,
          channelId: sinkChannelId,
          state: "active",
          assignment: { type: "queue", id: queue(0).id },
          user: contractUser,
        });
        const transcript = [];
        for await (const message of client.messages.listAll(created.conversationId, {
          sort: "createdAt:asc",
        }))
          transcript.push(message);
        expect(transcript).toMatchObject([
          { text: "I was charged twice", author: { type: "user" }, cards: [] },
          { text: "Let me get you an agent.", author: { type: "bot" }, cards: [quickReplies] },
        ]);
      });

      it("updates a conversation with put and patch and reports its interactions, participants and a user who left", async () => {
        const { client } = openClient();
        const conversationId = await newConversation(client);
        const renamed = { ...contractUser, name: "Ana P." };
        const put = await client.conversations.put(conversationId, {
          channelId: sinkChannelId,
          user: renamed,
          assignment: { type: "queue", id: queue(0).id },
        });
        expect(put).toMatchObject({ id: conversationId, user: { name: "Ana P." } });
        const patched = await client.conversations.patch(conversationId, {
          assignment: { type: "queue", id: queue(1).id },
        });
        expect(patched).toMatchObject({ id: conversationId, assignment: { type: "queue", id: queue(1).id } });
        expect(await client.conversations.get(conversationId)).toMatchObject({
          user: { name: "Ana P." },
          assignment: { id: queue(1).id },
        });

        const interactions = await client.conversations.interactions(conversationId);
        expect(interactions.length).toBeGreaterThanOrEqual(1);
        for (const interaction of interactions)
          expect(interaction).toMatchObject({ id: expect.any(String), startTime: expect.any(String) });

        await expect(
          client.conversations.postAgentAssignment(conversationId, {
            id: sinkWebhookId,
            configuration: {
              notifyChannelWebhookIfExists: true,
              maxTotalMinutes: 30,
              userTimeoutInMinutes: 15,
            },
          }),
        ).resolves.toBeUndefined();
        await expect(
          client.conversations.typing(conversationId, { authorType: "user" }),
        ).resolves.toBeUndefined();
        await expect(client.conversations.thinking(conversationId)).resolves.toBeUndefined();
        await expect(
          client.conversations.thinking(conversationId, { maxThinkingTimeSeconds: 5 }),
        ).resolves.toBeUndefined();
        await expect(
          client.conversations.readReceipt(conversationId, { authorType: "bot", readAt: Date.now() }),
        ).resolves.toBeUndefined();

        const before = await client.conversations.participants(conversationId);
        expect(before).toContainEqual(expect.objectContaining({ type: "user", removed: false }));
        await expect(client.conversations.userLeaves(conversationId)).resolves.toBeUndefined();
        const after = await client.conversations.participants(conversationId);
        expect(after).toContainEqual(expect.objectContaining({ type: "user", removed: true }));
        expect(after.filter((p) => p.type === "user" && !p.removed)).toEqual([]);
      });

      it("lists conversations page by page and all at once", async () => {
        const { client } = openClient();
        const ids = [await newConversation(client), await newConversation(client)];
        const page = await client.conversations.list({ size: 1, page: 1 });
        expect(page.items).toHaveLength(1);
        expect(page.page).toMatchObject({ number: 1, size: 1 });
        const all = [];
        for await (const conversation of client.conversations.listAll({ size: 3 })) all.push(conversation.id);
        expect(all).toHaveLength(page.page.totalElements);
        expect(all).toEqual(expect.arrayContaining(ids));
        expect(new Set(all).size).toBe(all.length);
      });

      it("sends text messages and lists them oldest or newest first, page by page and all at once", async () => {
        const { client } = openClient();
        const conversationId = await newConversation(client);
        for (const text of ["one", "two", "three"])
          await client.messages.send(conversationId, { authorType: "user", text });

        const ascending = await client.messages.list(conversationId, { sort: "createdAt:asc" });
        expect(ascending.items.map((m) => m.text)).toEqual(["one", "two", "three"]);
        expect(ascending.items[0]).toMatchObject({ author: { type: "user" }, attachments: [], cards: [] });
        const descending = await client.messages.list(conversationId, { sort: "createdAt:desc" });
        expect(descending.items.map((m) => m.text)).toEqual(["three", "two", "one"]);
        const byDefault = await client.messages.list(conversationId);
        expect(byDefault.items.map((m) => m.text)).toEqual(["three", "two", "one"]);

        const second = await client.messages.list(conversationId, {
          sort: "createdAt:asc",
          size: 2,
          page: 1,
        });
        expect(second.items.map((m) => m.text)).toEqual(["three"]);
        expect(second.page).toMatchObject({ number: 1, size: 2, totalElements: 3, totalPages: 2 });
        const all = [];
        for await (const message of client.messages.listAll(conversationId, {
          sort: "createdAt:asc",
          size: 2,
        }))
          all.push(message.text);
        expect(all).toEqual(["one", "two", "three"]);

        const first = ascending.items[0]!;
        expect(await client.messages.get(conversationId, first.id)).toEqual(first);
      });

      it("uploads attachments, lists, reads and downloads them, and sends a message carrying one", async () => {
        const { client } = openClient();
        const conversationId = await newConversation(client);
        const bytes = Buffer.from("%PDF-1.4 refund receipt\n", "utf8");
        const uploaded = await client.attachments.upload(conversationId, {
          bytes,
          fileName: "refund-receipt.pdf",
          contentType: "application/pdf",
          authorType: "user",
        });
        expect(uploaded).toMatchObject({
          id: expect.any(String),
          filename: "refund-receipt.pdf",
          sizeInBytes: bytes.length,
        });
        const other = await client.attachments.upload(conversationId, {
          bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]),
          fileName: "photo.png",
          contentType: "image/png",
          authorType: "bot",
        });

        expect(await client.attachments.get(conversationId, uploaded.id)).toEqual(uploaded);
        const page = await client.attachments.list(conversationId, { size: 1 });
        expect(page.items).toHaveLength(1);
        expect(page.page).toMatchObject({ totalElements: 2, totalPages: 2 });
        const all = [];
        for await (const attachment of client.attachments.listAll(conversationId, { size: 1 }))
          all.push(attachment);
        expect(all).toHaveLength(2);
        expect(all).toEqual(expect.arrayContaining([uploaded, other]));

        const downloaded = await client.attachments.download(conversationId, uploaded.id);
        expect(downloaded.bytes.equals(bytes)).toBe(true);
        expect(downloaded.fileName).toBe("refund-receipt.pdf");

        await client.messages.send(conversationId, {
          authorType: "user",
          attachments: [{ id: uploaded.id }],
        });
        await client.messages.send(conversationId, {
          authorType: "user",
          text: "and a photo",
          attachments: [{ id: other.id }],
        });
        const messages = await client.messages.list(conversationId, { sort: "createdAt:asc" });
        expect(messages.items).toMatchObject([
          { text: "", attachments: [{ id: uploaded.id }] },
          { text: "and a photo", attachments: [{ id: other.id }] },
        ]);
      });

      it("sends a card message and marks its card submitted and executed", async () => {
        const tenant = target.tenant;
        const { client } = openClient();
        const conversationId = await newConversation(client);
        const adaptive = {
          contentType: "application/vnd.microsoft.card.adaptive",
          content: { type: "AdaptiveCard", version: "1.3", body: [], actions: [] },
        };
        await client.messages.send(conversationId, {
          authorType: "bot",
          text: "Pick one",
          cards: [quickReplies, adaptive],
        });
        const [message] = (await client.messages.list(conversationId)).items;
        expect(message).toMatchObject({ text: "Pick one", cards: [quickReplies, adaptive] });

        const cards = await client.messages.cards(conversationId, message!.id, { sort: "createdAt:asc" });
        expect(cards.items).toMatchObject([
          { ...quickReplies, id: expect.any(String), actionSubmitted: false, actionExecuted: false },
          { ...adaptive, id: expect.any(String), actionSubmitted: false, actionExecuted: false },
        ]);
        const cardId = cards.items[1]!.id!;
        await expect(
          client.cards.actionSubmit({ conversationId, cardId, name: "8x8" }),
        ).resolves.toBeUndefined();
        await expect(
          client.cards.actionExecute({ conversationId, cardId, name: "8x8-Int", tenantId: tenant }),
        ).resolves.toBeUndefined();
        const flagged = await client.messages.cards(conversationId, message!.id, { sort: "createdAt:asc" });
        expect(flagged.items.map((c) => [c.actionSubmitted, c.actionExecuted])).toEqual([
          [false, false],
          [true, true],
        ]);
        const unknown = await rejection(
          client.cards.actionSubmit({ conversationId, cardId: "no-such-card", name: "8x8" }),
        );
        expect(unknown).toMatchObject({
          httpStatus: 404,
          details: { fieldErrors: [{ code: "resource_not_found" }] },
        });
      });
    });

    // ------------------------------------------------------------------------------------- error shapes

    describe("error answers", () => {
      it("rejects a wrong API key with 401 and 8x8's reference id, after one attempt", async () => {
        const { client, calls } = openClient({ apiKey: "eght_wrong-key" });
        const error = await rejection(client.conversations.list());
        expect(error.code).toBe("BATON_ERR_8X8_REQUEST_REJECTED");
        expect(error.httpStatus).toBe(401);
        expect(error.details).toMatchObject({
          operation: "conversations.list",
          attempts: 1,
          referenceId: expect.any(String),
          fieldErrors: [{ code: "access_denied", message: expect.any(String) }],
        });
        expect(JSON.stringify(error.details)).not.toContain("eght_wrong-key");
        expect(calls).toHaveLength(1);
      });

      it("rejects a tenant the key does not belong to with 403", async () => {
        const tenant = target.tenant;
        const { client } = openClient({ tenant: `${tenant}-other` });
        const error = await rejection(client.webhooks.list());
        expect(error.code).toBe("BATON_ERR_8X8_REQUEST_REJECTED");
        expect(error.httpStatus).toBe(403);
        expect(error.details.providerMessage).toEqual(expect.any(String));
        expect(error.details.fieldErrors.length).toBeGreaterThan(0);
      });

      it("rejects an unknown conversation with 404", async () => {
        const { client } = openClient();
        const error = await rejection(client.conversations.get("no-such-conversation"));
        expect(error.code).toBe("BATON_ERR_8X8_REQUEST_REJECTED");
        expect(error.httpStatus).toBe(404);
        expect(error.details.fieldErrors).toEqual([{ message: expect.any(String) }]);
      });

      it("rejects an unknown queue with 400 and the invalid_queue code", async () => {
        const { client } = openClient();
        const error = await rejection(
          client.conversations.create({
            channelId: sinkChannelId,
            user: contractUser,
            assignment: { type: "queue", id: "no-such-queue" },
          }),
        );
        expect(error.code).toBe("BATON_ERR_8X8_REQUEST_REJECTED");
        expect(error.httpStatus).toBe(400);
        expect(error.details.fieldErrors).toContainEqual(expect.objectContaining({ code: "invalid_queue" }));
      });

      it("answers a bad send-message body with a single-object errors field, which the client reads", async () => {
        const { client, calls } = openClient();
        const conversationId = await newConversation(client);
        // The client refuses an authorType 8x8 does not accept from callers before anything is sent …
        const refused = await client.messages
          .send(conversationId, { authorType: "agent", text: "x" } as unknown as SendMessageBody)
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        expect(refused).toBeInstanceOf(BatonError);
        expect(refused).toMatchObject({
          code: "BATON_ERR_8X8_INPUT_INVALID",
          details: { field: "authorType" },
        });
        expect(calls.filter((c) => c.operation === "messages.send")).toEqual([]);

        // … so the raw body shape is checked with a plain request, and parsed the way the client parses it.
        const response = await request(
          `${target.baseUrl}/chat-gateway/v1/conversations/${conversationId}/messages`,
          {
            method: "POST",
            headers: {
              "x-api-key": target.apiKey,
              ...(target.tenant === undefined ? {} : { "x-8x8-tenant": target.tenant }),
              "content-type": "application/json",
            },
            body: JSON.stringify({ authorType: "agent", text: "x" }),
          },
        );
        const raw = Buffer.from(await response.body.arrayBuffer());
        expect(response.statusCode).toBe(400);
        expect(response.headers["content-type"]).toBe("application/problem+json");
        const body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
        expect(body).toEqual({
          message: expect.stringContaining("authorType"),
          errors: { code: "invalid_json_object", message: expect.stringContaining("authorType") },
          referenceId: expect.any(String),
        });
        expect(parseProblemBody(raw, "application/problem+json", target.apiKey)).toEqual({
          providerMessage: body["message"],
          fieldErrors: [{ code: "invalid_json_object", message: body["message"] }],
          referenceId: body["referenceId"],
        });

        // A body the client cannot judge locally (an attachment of another conversation) earns the same shape.
        const error = await rejection(
          client.messages.send(conversationId, {
            authorType: "user",
            attachments: [{ id: "no-such-attachment" }],
          }),
        );
        expect(error.httpStatus).toBe(400);
        expect(error.details.fieldErrors).toEqual([
          { code: "invalid_json_object", message: expect.any(String) },
        ]);
        expect(error.details.referenceId).toEqual(expect.any(String));
      });

      it("does not retry a 4xx answer", async () => {
        const { client, calls, sleeps } = openClient({ retry: { maxAttempts: 4, baseDelayMs: 1 } });
        const wrongKey = openClient({ apiKey: "eght_wrong-key", retry: { maxAttempts: 4, baseDelayMs: 1 } });
        await rejection(wrongKey.client.webhooks.list());
        await rejection(client.conversations.get("no-such-conversation"));
        await rejection(
          client.channels.create({
            name: unique("c"),
            webHookId: sinkWebhookId,
            routingOptions: { id: "nope" },
          }),
        );
        expect(wrongKey.calls.map((c) => [c.operation, c.status])).toEqual([["webhooks.list", "401"]]);
        expect(calls.map((c) => [c.operation, c.status])).toEqual([
          ["conversations.get", "404"],
          ["channels.create", "400"],
        ]);
        expect([...sleeps, ...wrongKey.sleeps]).toEqual([]);
      });
    });

    // ------------------------------------------------------------------------------------------ retries

    describe("retries", () => {
      it("retries 503 answers and succeeds once the outage is over, creating the webhook once", async () => {
        const faults = target.faults;
        await faults.set({ errorRate: 1, errorStatus: 503 });
        let waits = 0;
        const { client, calls } = openClient({
          retry: { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 20 },
          // The outage ends while the client waits for its second retry.
          sleep: async (ms) => {
            waits += 1;
            if (waits === 2) await faults.set({ errorRate: 0 });
            await delay(ms);
          },
        });
        const name = unique("retried");
        const created = await client.webhooks.create({ name, uri: sink.url });
        expect(calls.map((c) => c.status)).toEqual(["503", "503", "200"]);
        const all = [];
        for await (const webhook of client.webhooks.listAll({ size: 50 }))
          if (webhook.name === name) all.push(webhook);
        expect(all).toEqual([created]);
      });

      it("gives up with BATON_ERR_8X8_UNAVAILABLE after its attempts and leaves nothing behind", async () => {
        const faults = target.faults;
        const { client, calls, sleeps } = openClient({ retry: { maxAttempts: 3, baseDelayMs: 5 } });
        const before = (await client.conversations.list({ size: 1 })).page.totalElements;
        calls.length = 0;
        await faults.set({ errorRate: 1, errorStatus: 503 });
        const error = await rejection(
          client.conversations.create({ channelId: sinkChannelId, user: contractUser }),
        );
        expect(error.code).toBe("BATON_ERR_8X8_UNAVAILABLE");
        expect(error.httpStatus).toBe(503);
        expect(error.details.attempts).toBe(3);
        expect(calls.map((c) => c.status)).toEqual(["503", "503", "503"]);
        expect(sleeps).toHaveLength(2);
        await faults.reset();
        expect((await client.conversations.list({ size: 1 })).page.totalElements).toBe(before);
      });

      it("times out with BATON_ERR_8X8_TIMEOUT when answers are slower than timeoutMs", async () => {
        const faults = target.faults;
        await faults.set({ latencyMs: 400 });
        const { client, calls } = openClient({ timeoutMs: 100, retry: { maxAttempts: 2, baseDelayMs: 1 } });
        const error = await rejection(client.webhooks.list());
        expect(error.code).toBe("BATON_ERR_8X8_TIMEOUT");
        expect(error.details).toMatchObject({ reason: "timeout", attempts: 2 });
        expect(error.httpStatus).toBeUndefined();
        expect(calls.map((c) => c.status)).toEqual(["timeout", "timeout"]);
      });
    });

    // ------------------------------------------------------------------------------ events end to end

    interface EventHarness {
      readonly gateway: EightByEightGateway;
      readonly channelId: string;
      readonly client: TestClient["client"];
    }

    /** A gateway with its own provider id, whose webhook and channel (first queue) exist at the target. */
    async function openGateway(): Promise<EventHarness> {
      const providerId = `contract-${(counter += 1)}`;
      const gateway = await startEightByEightGateway({
        store,
        providerId,
        baseUrl: target.baseUrl,
        apiKey: target.apiKey,
        ...(target.tenant === undefined ? {} : { tenant: target.tenant }),
      });
      onTestFinished(() => gateway.close());
      const setup = await ensureEightByEightSetup(gateway.provider.client, {
        providerId,
        publicUrl: gateway.url,
        queueId: queue(0).id,
      });
      return { gateway, channelId: setup.channel!.id, client: gateway.provider.client };
    }

    function eventsUntil(
      gateway: EightByEightGateway,
      conversationId: string,
      done: (labels: string[]) => boolean,
      what: string,
    ): Promise<ProviderEvent[]> {
      return waitFor(
        () => {
          const events = gateway.eventsOf(conversationId);
          return done(events.map(label)) && events;
        },
        eventTimeoutMs,
        what,
      );
    }

    /** The stored event once the provider marked it processed (that mark follows the hand-on). */
    function processed(providerId: string, eventId: string): Promise<StoredWebhookEvent> {
      return waitFor(
        async () => {
          const stored = await store.webhookEvents.find(providerId, eventId);
          return stored?.status === "processed" && stored;
        },
        eventTimeoutMs,
        `event ${eventId} marked processed`,
      );
    }

    const has = (wanted: string) => (labels: string[]) => labels.some((l) => matches(l, wanted));

    /** Creates a conversation and waits until it is queued. */
    async function queuedConversation(harness: EventHarness): Promise<string> {
      const { conversationId } = await harness.client.conversations.create({
        channelId: harness.channelId,
        user: contractUser,
      });
      await eventsUntil(harness.gateway, conversationId, has(`queued:${queue(0).id}`), "conversation.queued");
      return conversationId;
    }

    /** Creates a conversation, lets an agent accept it and waits for the agent assignment. */
    async function conversationWithAgent(
      harness: EventHarness,
    ): Promise<{ conversationId: string; agentId: string }> {
      const conversationId = await queuedConversation(harness);
      const agentId = await target.agent.accept(conversationId);
      await eventsUntil(harness.gateway, conversationId, has("state:active/agent"), "the agent assignment");
      return { conversationId, agentId };
    }

    describe("events handed on through signed delivery", () => {
      it("hands on conversation.state created, then active, then conversation.queued with the queue when a conversation is created", async () => {
        const harness = await openGateway();
        const conversationId = await queuedConversation(harness);
        const events = harness.gateway.eventsOf(conversationId);
        expectInOrder(events.map(label), ["state:created", "state:active/queue", `queued:${queue(0).id}`]);
        const providerId = harness.gateway.provider.id;
        for (const event of events) {
          expect(event).toMatchObject({ providerId, conversationId, eventId: expect.any(String) });
          expect(event.occurredAt).toBeGreaterThan(0);
        }
        expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
        expect(events.find((e) => e.kind === "conversation.state" && e.state === "created")).toMatchObject({
          user: contractUser,
          channel: expect.any(String),
        });
        expect(events.find((e) => e.kind === "conversation.state" && e.state === "active")).toMatchObject({
          assignment: { type: "queue", id: queue(0).id },
        });
        expect(events.find((e) => e.kind === "conversation.queued")).toEqual(
          expect.objectContaining({ queueId: queue(0).id, queueName: queue(0).name ?? expect.any(String) }),
        );
      });

      it("hands on participant.joined for the agent and conversation.state with the agent assignment when an agent accepts", async () => {
        const harness = await openGateway();
        const { conversationId, agentId } = await conversationWithAgent(harness);
        const events = harness.gateway.eventsOf(conversationId);
        expectInOrder(events.map(label), [
          `queued:${queue(0).id}`,
          "participant.joined:agent",
          "state:active/agent",
        ]);
        expect(events.find((e) => e.kind === "participant.joined")).toMatchObject({
          role: "agent",
          participantId: agentId,
        });
        expect(events.findLast((e) => e.kind === "conversation.state")).toMatchObject({
          state: "active",
          assignment: { type: "agent", id: agentId },
        });
      });

      it("hands on an agent's message as message.received from the agent", async () => {
        const harness = await openGateway();
        const { conversationId, agentId } = await conversationWithAgent(harness);
        await target.agent.say(conversationId, "Hi Ana, I refunded the duplicate charge.");
        const events = await eventsUntil(
          harness.gateway,
          conversationId,
          has("message:agent"),
          "message.received",
        );
        expect(events.find((e) => e.kind === "message.received")).toMatchObject({
          sender: { id: agentId, role: "agent" },
          text: "Hi Ana, I refunded the duplicate charge.",
          attachments: [],
          cards: [],
        });
      });

      it("hands on typing with the agent, then typing with nobody", async () => {
        const harness = await openGateway();
        const { conversationId, agentId } = await conversationWithAgent(harness);
        await target.agent.typing(conversationId);
        const events = await eventsUntil(
          harness.gateway,
          conversationId,
          has("typing:none"),
          "typing stopped",
        );
        const typing = events.filter((e) => e.kind === "typing");
        expect(typing.map((e) => e.typists)).toEqual([[{ id: agentId, role: "agent" }], []]);
      });

      it("does not hand on the user and bot messages the integration posted itself (echoes)", async () => {
        const harness = await openGateway();
        const { conversationId } = await conversationWithAgent(harness);
        await harness.client.messages.send(conversationId, { authorType: "user", text: "from the user" });
        await harness.client.messages.send(conversationId, { authorType: "bot", text: "from the bot" });
        await target.agent.say(conversationId, "after the echoes");
        // The target sends a conversation's events in order, so the echoes arrived before the agent's message.
        const events = await eventsUntil(
          harness.gateway,
          conversationId,
          has("message:agent"),
          "the agent's message",
        );
        expect(events.filter((e) => e.kind === "message.received")).toEqual([
          expect.objectContaining({
            text: "after the echoes",
            sender: expect.objectContaining({ role: "agent" }),
          }),
        ]);
        const ignored = await store.webhookEvents.list({
          providerId: harness.gateway.provider.id,
          conversationId,
          status: "ignored",
        });
        expect(ignored.map((e) => e.eventType)).toEqual(["MESSAGE", "MESSAGE"]);
      });

      it("hands on conversation.transferred, the agent leaving and conversation.queued for the new queue on a transfer", async () => {
        const harness = await openGateway();
        const { conversationId, agentId } = await conversationWithAgent(harness);
        await target.agent.transfer(conversationId, queue(1).id);
        const events = await eventsUntil(
          harness.gateway,
          conversationId,
          has(`queued:${queue(1).id}`),
          "the new queue",
        );
        expectInOrder(events.map(label), ["transferred", "participant.left:agent", `queued:${queue(1).id}`]);
        expect(events.find((e) => e.kind === "participant.left")).toMatchObject({
          role: "agent",
          participantId: agentId,
        });
        expect(events.findLast((e) => e.kind === "conversation.queued")).toMatchObject({
          queueId: queue(1).id,
          ...(queue(1).name === undefined ? {} : { queueName: queue(1).name }),
        });
      });

      it("hands on the agent leaving and conversation.state idle when the agent closes", async () => {
        const harness = await openGateway();
        const { conversationId, agentId } = await conversationWithAgent(harness);
        await target.agent.close(conversationId);
        const events = await eventsUntil(harness.gateway, conversationId, has("state:idle"), "idle");
        expectInOrder(events.map(label), ["state:active/agent", "participant.left:agent", "state:idle"]);
        expect(events.find((e) => e.kind === "participant.left")).toMatchObject({ participantId: agentId });
        expect(events.map(label)).not.toContain("transferred");
      });

      it("hands on the user leaving, then the agent leaving and conversation.state idle when the user leaves", async () => {
        const harness = await openGateway();
        const { conversationId } = await conversationWithAgent(harness);
        await harness.client.conversations.userLeaves(conversationId);
        const events = await eventsUntil(harness.gateway, conversationId, has("state:idle"), "idle");
        expectInOrder(events.map(label), ["participant.left:user", "participant.left:agent", "state:idle"]);
        expect(events.find((e) => e.kind === "participant.left")).toMatchObject({ role: "user" });
      });

      it("hands on a conversation's events in the order the target sent them", async () => {
        const deliveries = target.deliveries.bind(target);
        const harness = await openGateway();
        const { conversationId } = await conversationWithAgent(harness);
        await target.agent.typing(conversationId);
        await target.agent.say(conversationId, "One moment, I'll pass you to billing.");
        await target.agent.transfer(conversationId, queue(1).id);
        await target.agent.accept(conversationId);
        await target.agent.say(conversationId, "Billing here.");
        await target.agent.close(conversationId);
        await eventsUntil(harness.gateway, conversationId, has("state:idle"), "idle");
        const sent = firstDeliveries(await deliveries(conversationId));
        const handed = await waitFor(
          () => {
            const ids = harness.gateway.eventsOf(conversationId).map((e) => e.eventId);
            return ids.length === sent.length && ids;
          },
          eventTimeoutMs,
          "every sent event",
        );
        expect(handed).toEqual(sent);
        const times = harness.gateway.eventsOf(conversationId).map((e) => e.occurredAt);
        expect(times).toEqual([...times].sort((a, b) => a - b));
      });
    });

    // ----------------------------------------------------------------------------- delivery faults

    describe("delivery faults", () => {
      it("hands on each event exactly once when every event is delivered twice", async () => {
        const faults = target.faults;
        const deliveries = target.deliveries.bind(target);
        await faults.set({ duplicateRate: 1 });
        const harness = await openGateway();
        const { conversationId } = await conversationWithAgent(harness);
        const sent = await waitFor(
          async () => {
            const log = await deliveries(conversationId);
            const firsts = firstDeliveries(log);
            const repeated = new Set(
              log.filter((d) => d.duplicate && d.outcome === "delivered").map((d) => d.eventId),
            );
            return firsts.length >= 5 && firsts.every((id) => repeated.has(id)) && firsts;
          },
          eventTimeoutMs,
          "every event delivered a second time",
        );
        const handed = harness.gateway.eventsOf(conversationId).map((e) => e.eventId);
        expect(handed).toEqual(sent);
        for (const eventId of sent) {
          const stored = await processed(harness.gateway.provider.id, eventId);
          expect(stored.duplicates).toBeGreaterThanOrEqual(1);
        }
      });

      it("hands on events in timestamp order when the target delivers them out of order", async () => {
        const faults = target.faults;
        const deliveries = target.deliveries.bind(target);
        await faults.set({ reorderRate: 1 });
        const harness = await openGateway();
        const conversationId = await queuedConversation(harness);
        const events = harness.gateway.eventsOf(conversationId);
        expect(events.map(label)).toEqual(["state:created", "state:active/queue", `queued:${queue(0).id}`]);
        const times = events.map((e) => e.occurredAt);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        const arrived = firstDeliveries(await deliveries(conversationId));
        expect([...arrived].sort()).toEqual(events.map((e) => e.eventId).sort());
        // The fault really swapped deliveries: what arrived first is not what was handed on first.
        expect(arrived).not.toEqual(events.map((e) => e.eventId));
      });

      it("hands on dropped events later, once the target retries them, and exactly once", async () => {
        const faults = target.faults;
        const deliveries = target.deliveries.bind(target);
        await faults.set({ dropRate: 1 });
        const harness = await openGateway();
        const { conversationId } = await harness.client.conversations.create({
          channelId: harness.channelId,
          user: contractUser,
        });
        await waitFor(
          async () => (await deliveries(conversationId)).some((d) => d.outcome === "dropped"),
          eventTimeoutMs,
          "a dropped delivery",
        );
        expect(harness.gateway.eventsOf(conversationId)).toEqual([]);
        await faults.set({ dropRate: 0 });
        const events = await eventsUntil(
          harness.gateway,
          conversationId,
          has(`queued:${queue(0).id}`),
          "queued",
        );
        expect(events.map(label)).toEqual(["state:created", "state:active/queue", `queued:${queue(0).id}`]);
        const log = await deliveries(conversationId);
        const first = log.find((d) => d.eventId === events[0]!.eventId && d.outcome === "delivered");
        expect(first?.retry).toBeGreaterThanOrEqual(1);
        expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
      });

      it("answers a byte-identical replay of a signed delivery as a duplicate and hands it on once", async () => {
        const harness = await openGateway();
        const proxy = await startRecordingProxy(harness.gateway.webhookUri);
        onTestFinished(() => proxy.close());
        const webhook = await harness.client.webhooks.create({ name: unique("replay"), uri: proxy.url });
        const channel = await harness.client.channels.create({
          name: unique("replay"),
          webHookId: webhook.id,
          routingOptions: { id: queue(0).id },
        });
        const { conversationId } = await harness.client.conversations.create({
          channelId: channel.id,
          user: contractUser,
        });
        await eventsUntil(harness.gateway, conversationId, has(`queued:${queue(0).id}`), "queued");
        const original = proxy.requests.find((r) =>
          r.rawBody.includes(`"conversationId":"${conversationId}"`),
        );
        expect(original?.status).toBe(200);
        const eventId = String(original!.headers["x-8x8-event-id"]);

        const replay = await request(harness.gateway.webhookUri, {
          method: "POST",
          headers: replayableHeaders(original!.headers),
          body: original!.rawBody,
        });
        expect(replay.statusCode).toBe(200);
        expect(await replay.body.json()).toEqual({ outcome: "duplicate" });
        expect(harness.gateway.eventsOf(conversationId).filter((e) => e.eventId === eventId)).toHaveLength(1);
        expect((await processed(harness.gateway.provider.id, eventId)).duplicates).toBe(1);
      });
    });
  });
}

/** A compact, order-comparable label of a ProviderEvent, e.g. `state:active/agent`, `queued:311`. */
function label(event: ProviderEvent): string {
  switch (event.kind) {
    case "conversation.state":
      return `state:${event.state}${event.assignment ? `/${event.assignment.type}` : ""}`;
    case "conversation.queued":
      return `queued:${event.queueId}`;
    case "participant.joined":
    case "participant.left":
      return `${event.kind}:${event.role}`;
    case "conversation.transferred":
      return "transferred";
    case "message.received":
      return `message:${event.sender.role}`;
    case "typing":
      return `typing:${event.typists.map((t) => t.role).join(",") || "none"}`;
    case "card.action":
      return `card:${event.actionType}`;
    case "read.receipt":
      return "read-receipt";
  }
}

/** `state:idle` matches `state:idle` and `state:idle/agent`: a label without a detail leaves it open. */
function matches(actual: string, wanted: string): boolean {
  return actual === wanted || actual.startsWith(`${wanted}/`);
}

/** `expected` occurs in `actual` in this order (other labels may sit between them). */
function expectInOrder(actual: readonly string[], expected: readonly string[]): void {
  let found = 0;
  for (const item of actual) if (found < expected.length && matches(item, expected[found]!)) found += 1;
  expect(found, `${JSON.stringify(expected)} in order within ${JSON.stringify(actual)}`).toBe(
    expected.length,
  );
}

/** Event ids in the order their first accepted delivery happened (duplicates and failed attempts left out). */
function firstDeliveries(log: readonly ContractDelivery[]): string[] {
  const ids: string[] = [];
  for (const delivery of log) {
    if (delivery.outcome !== "delivered" || delivery.duplicate || ids.includes(delivery.eventId)) continue;
    ids.push(delivery.eventId);
  }
  return ids;
}

/** The ChatGatewayError a call rejects with (fails the test if it resolves or throws something else). */
async function rejection(call: Promise<unknown>): Promise<ChatGatewayError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ChatGatewayError);
  return error as ChatGatewayError;
}
