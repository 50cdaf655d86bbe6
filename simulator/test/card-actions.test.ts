import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSimulator, type Simulator } from "../src/index.ts";
import { api, cardAction, createChannel, createConversation } from "./support/gateway-client.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

type CardsPage = {
  _embedded: { cards: Array<{ id: string; actionSubmitted: boolean; actionExecuted: boolean }> };
};

const adaptiveCard = {
  contentType: "application/vnd.microsoft.card.adaptive",
  content: { type: "AdaptiveCard", version: "1.3", body: [], actions: [] },
};

let sim: Simulator;
let receiver: WebhookReceiver;
let conversationId: string;
beforeEach(async () => {
  sim = await createSimulator({ apiKey: "sim_cards", tenant: "acme01", customerId: "cust-1" });
  receiver = await startWebhookReceiver();
  conversationId = await createConversation(sim, await createChannel(sim, receiver));
});
afterEach(async () => {
  await sim.close();
  await receiver.close();
});

/** Posts one bot message with `cards` and returns its id. */
async function postCards(cards: object[]): Promise<string> {
  const sent = await api(sim, "POST", `/conversations/${conversationId}/messages`, {
    authorType: "bot",
    cards,
  });
  expect(sent.status).toBe(202);
  const list = await api<{ _embedded: { messages: Array<{ id: string }> } }>(
    sim,
    "GET",
    `/conversations/${conversationId}/messages?sort=createdAt:desc&size=1`,
  );
  return list.body._embedded.messages[0]?.id ?? "";
}

async function cardsOf(messageId: string): Promise<CardsPage["_embedded"]["cards"]> {
  const page = await api<CardsPage>(
    sim,
    "GET",
    `/conversations/${conversationId}/messages/${messageId}/cards?sort=createdAt:asc`,
  );
  expect(page.status).toBe(200);
  return page.body._embedded.cards;
}

describe("card ids", () => {
  it("keeps a card id the integration gave and generates a stable one otherwise", async () => {
    const messageId = await postCards([{ id: "card-given", ...adaptiveCard }, adaptiveCard]);
    const first = await cardsOf(messageId);
    expect(first.map((card) => card.id)).toEqual(["card-given", expect.any(String)]);
    expect(first[1]?.id).not.toBe("");
    expect((await cardsOf(messageId)).map((card) => card.id)).toEqual(first.map((card) => card.id));
  });
});

describe("PUT …/cards/{cardId}/action-submit and action-execute", () => {
  it("sets actionSubmitted, then actionExecuted, each answered 204 with no body", async () => {
    const messageId = await postCards([
      { id: "card-1", ...adaptiveCard },
      { id: "card-2", ...adaptiveCard },
    ]);
    const submitted = await cardAction(
      sim,
      "action-submit",
      { conversationId, cardId: "card-1" },
      { name: "8x8" },
    );
    expect(submitted.status).toBe(204);
    expect(submitted.body).toBeUndefined();
    expect(await cardsOf(messageId)).toMatchObject([
      { id: "card-1", actionSubmitted: true, actionExecuted: false },
      { id: "card-2", actionSubmitted: false, actionExecuted: false },
    ]);

    const executed = await cardAction(
      sim,
      "action-execute",
      { conversationId, cardId: "card-1" },
      { name: "8x8-Int" },
    );
    expect(executed.status).toBe(204);
    expect(await cardsOf(messageId)).toMatchObject([
      { id: "card-1", actionSubmitted: true, actionExecuted: true },
      { id: "card-2", actionSubmitted: false, actionExecuted: false },
    ]);
  });

  it("finds a card by its generated id", async () => {
    const messageId = await postCards([adaptiveCard]);
    const [card] = await cardsOf(messageId);
    const result = await cardAction(
      sim,
      "action-execute",
      { conversationId, cardId: card?.id ?? "" },
      { name: "x" },
    );
    expect(result.status).toBe(204);
    expect(await cardsOf(messageId)).toMatchObject([{ actionSubmitted: false, actionExecuted: true }]);
  });

  it("answers 401 UnauthorizedProblem without a valid x-api-key", async () => {
    await postCards([{ id: "card-1", ...adaptiveCard }]);
    const cases: Array<Record<string, string>> = [{}, { "x-api-key": "sim_wrong" }];
    for (const headers of cases) {
      const result = await cardAction(
        sim,
        "action-submit",
        { conversationId, cardId: "card-1" },
        { name: "8x8" },
        headers,
      );
      expect(result.status).toBe(401);
      expect(result.contentType).toBe("application/problem+json");
      expect(result.body).toEqual({
        message: "Access Denied",
        errors: [{ message: "Access Denied", code: "access_denied" }],
        referenceId: expect.any(String) as unknown,
      });
    }
  });

  it("answers 403 ForbiddenViolationProblem when the path names another tenant", async () => {
    const messageId = await postCards([{ id: "card-1", ...adaptiveCard }]);
    const result = await cardAction(
      sim,
      "action-submit",
      { tenantId: "other-tenant", conversationId, cardId: "card-1" },
      { name: "8x8" },
    );
    expect(result.status).toBe(403);
    expect(result.contentType).toBe("application/problem+json");
    expect(result.body).toEqual({
      message: "The tenant does not belong to customer.",
      errors: ["Path parameter tenantId doesn't match tenant information for customerId=cust-1"],
    });
    expect(await cardsOf(messageId)).toMatchObject([{ actionSubmitted: false }]);
  });

  it("answers 404 ResourceNotFoundExceptionPayload for an unknown conversation or card", async () => {
    await postCards([{ id: "card-1", ...adaptiveCard }]);
    const cases = [
      { conversationId: "no-such-conversation", cardId: "card-1", entity: "Conversation" },
      { conversationId, cardId: "no-such-card", entity: "Card" },
    ];
    for (const { entity, ...target } of cases) {
      const result = await cardAction(sim, "action-execute", target, { name: "8x8" });
      expect(result.status).toBe(404);
      expect(result.contentType).toBe("application/problem+json");
      expect(result.body).toEqual({
        message: "Resource not found",
        errors: [
          {
            code: "resource_not_found",
            message: expect.stringMatching(
              new RegExp(`^Entity of type ${entity} with id .+ was not found\\.$`),
            ) as unknown,
          },
        ],
      });
    }
  });

  it("answers 400 GenericExceptionPayload when name is missing or blank, and changes nothing", async () => {
    const messageId = await postCards([{ id: "card-1", ...adaptiveCard }]);
    for (const body of [undefined, {}, { name: "" }, { name: "   " }, { name: 7 }]) {
      const result = await cardAction<{ message: string; errors: Array<{ code: string }> }>(
        sim,
        "action-submit",
        { conversationId, cardId: "card-1" },
        body,
      );
      expect(result.status).toBe(400);
      expect(result.contentType).toBe("application/problem+json");
      expect(result.body.errors).toEqual([
        { code: "invalid_parameter", message: expect.stringContaining("name") as unknown },
      ]);
    }
    expect(await cardsOf(messageId)).toMatchObject([{ actionSubmitted: false, actionExecuted: false }]);
  });

  it("is subject to injected API faults like every other 8x8 operation", async () => {
    const messageId = await postCards([{ id: "card-1", ...adaptiveCard }]);
    sim.setFaults({ errorRate: 1, errorStatus: 503 });
    const result = await cardAction(
      sim,
      "action-submit",
      { conversationId, cardId: "card-1" },
      { name: "8x8" },
    );
    expect(result.status).toBe(503);
    sim.resetFaults();
    expect(await cardsOf(messageId)).toMatchObject([{ actionSubmitted: false }]);
  });
});
