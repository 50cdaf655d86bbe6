import { describe, expect, it } from "vitest";
import {
  createOfflineAi,
  createOpenAiCompatibleAi,
  type AiLogger,
  type KnowledgePassage,
} from "../../../src/copilot/ai/index.ts";
import { useFakeOpenAiServer } from "../../factories/fake-openai-server.ts";

const server = useFakeOpenAiServer();
const apiKey = "sk-test-0123456789abcdef";

const passages: KnowledgePassage[] = [
  {
    title: "Returns and refunds",
    source: "returns-and-refunds.md",
    excerpt: "You can send back any item within 30 days of delivery.",
    score: 12,
  },
  {
    title: "Returns and refunds",
    source: "returns-and-refunds.md",
    excerpt: "We refund the purchase price within 5 working days after the parcel arrives.",
    score: 9,
  },
  {
    title: "Delivery and tracking",
    source: "delivery-and-tracking.md",
    excerpt: "Standard delivery takes 2 to 4 working days.",
    score: 3,
  },
];

function recordingLogger() {
  const records: { details: Record<string, unknown>; message: string }[] = [];
  const logger: AiLogger = { warn: (details, message) => records.push({ details, message }) };
  return { logger, records };
}

function ai(options: { timeoutMs?: number; logger?: AiLogger } = {}) {
  return createOpenAiCompatibleAi({ baseUrl: server.baseUrl, model: "test-model-7b", apiKey, ...options });
}

describe("OpenAI-compatible AI against a fake chat completions server", () => {
  it("names the model as its engine and sends model, bearer key, passages and question", async () => {
    server.reply(() => ({ content: "Items can be returned within 30 days [1]." }));
    const service = ai();
    expect(service.engine).toBe("test-model-7b");

    await service.answer("Can I still return my shoes?", passages);

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.path).toBe("/v1/chat/completions");
    expect(request!.model).toBe("test-model-7b");
    expect(request!.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(request!.prompt).toContain("Can I still return my shoes?");
    for (const passage of passages) expect(request!.prompt).toContain(passage.excerpt);
    expect(request!.prompt).toContain("[1] Returns and refunds (returns-and-refunds.md)");
    expect(request!.prompt).toContain("[3] Delivery and tracking (delivery-and-tracking.md)");
    expect(request!.messages[0]).toMatchObject({ role: "system" });
    expect(request!.messages[0]!.content).toMatch(/only the numbered knowledge base passages/);
  });

  it("keeps only the cited passages, in the order of first use, and renumbers the markers", async () => {
    server.reply(() => ({
      content: "Refunds take 5 working days [2]. Returns are free within 30 days [1][2]. See also [7].",
    }));
    const answer = await ai().answer("How do refunds work?", passages);
    expect(answer.text).toBe(
      "Refunds take 5 working days [1]. Returns are free within 30 days [2] [1]. See also.",
    );
    expect(answer.citations).toEqual([
      { title: passages[1]!.title, source: passages[1]!.source, excerpt: passages[1]!.excerpt },
      { title: passages[0]!.title, source: passages[0]!.source, excerpt: passages[0]!.excerpt },
    ]);
  });

  it("answers without asking the model when no passage was found", async () => {
    const answer = await ai().answer("quantum physics", []);
    expect(answer).toEqual({
      text: 'I found nothing in the knowledge base for "quantum physics".',
      citations: [],
    });
    expect(server.requests).toHaveLength(0);
  });

  it("asks for sentiment in JSON mode and validates the answer", async () => {
    server.reply(() => ({ content: '{"label": "negative", "score": -0.8}' }));
    const result = await ai().sentiment(["Where is my parcel?", "This is the third time I ask!"]);
    expect(result).toEqual({ label: "negative", score: -0.8 });
    const [request] = server.requests;
    expect(request!.responseFormat).toEqual({ type: "json_object" });
    expect(request!.prompt).toContain("1. Where is my parcel?");
    expect(request!.prompt).toContain("2. This is the third time I ask!");
  });

  it("reads a sentiment answer wrapped in a Markdown code fence", async () => {
    server.reply(() => ({ content: '```json\n{"label": "positive", "score": 0.6}\n```' }));
    expect(await ai().sentiment(["Thanks a lot!"])).toEqual({ label: "positive", score: 0.6 });
  });

  it.each([
    ["not JSON", "The customer seems annoyed.", "the answer was not JSON"],
    ["off-schema JSON", '{"label": "angry", "score": -3}', "the answer did not match the expected JSON"],
  ])("falls back to the offline sentiment on %s", async (_case, content, reason) => {
    server.reply(() => ({ content }));
    const { logger, records } = recordingLogger();
    const texts = ["Das funktioniert leider nicht"];
    const result = await ai({ logger }).sentiment(texts);
    expect(result).toEqual(await createOfflineAi().sentiment(texts));
    expect(result.label).toBe("negative");
    expect(records).toEqual([
      {
        details: {
          code: "BATON_ERR_COPILOT_AI_UNAVAILABLE",
          operation: "sentiment",
          model: "test-model-7b",
          reason,
        },
        message: expect.any(String) as string,
      },
    ]);
  });

  it("summarizes only the bot part of the conversation with the model", async () => {
    server.reply(() => ({ content: "  The customer wants to return order A-1009; the bot handed over.  " }));
    const summary = await ai().summarize([
      { source: "user", text: "I want to return order A-1009" },
      { source: "bot", text: "Let me connect you to an agent." },
      { source: "agent", text: "Hello, this is Anna from the agent desk" },
    ]);
    expect(summary).toBe("The customer wants to return order A-1009; the bot handed over.");
    const [request] = server.requests;
    expect(request!.prompt).toContain("Customer: I want to return order A-1009");
    expect(request!.prompt).toContain("Bot: Let me connect you to an agent.");
    expect(request!.prompt).not.toContain("Anna from the agent desk");
  });

  it("falls back to the offline answer on HTTP 500 and logs why, never the key", async () => {
    server.reply(() => ({ status: 500 }));
    const { logger, records } = recordingLogger();
    const answer = await ai({ logger }).answer("How long do refunds take?", passages);

    expect(answer).toEqual(await createOfflineAi().answer("How long do refunds take?", passages));
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(1); // no retries: the agent is waiting
    expect(records).toHaveLength(1);
    expect(records[0]!.details).toMatchObject({
      code: "BATON_ERR_COPILOT_AI_UNAVAILABLE",
      operation: "answer",
      reason: "HTTP 500",
    });
    expect(JSON.stringify(records)).not.toContain(apiKey);
  });

  it("falls back to the offline summary when the model answers nothing", async () => {
    server.reply(() => ({ content: "   " }));
    const { logger, records } = recordingLogger();
    const lines = [{ source: "user" as const, text: "My invoice 2024-118 is wrong." }];
    expect(await ai({ logger }).summarize(lines)).toBe(await createOfflineAi().summarize(lines));
    expect(records[0]!.details).toMatchObject({ operation: "summarize", reason: "the answer was empty" });
  });

  it("falls back to the offline answer when the server hangs past the timeout", async () => {
    server.reply(() => ({ hang: true }));
    const { logger, records } = recordingLogger();
    const started = Date.now();
    const result = await ai({ timeoutMs: 300, logger }).sentiment(["This is great, thank you!"]);
    const elapsed = Date.now() - started;

    expect(result).toEqual({ label: "positive", score: expect.any(Number) as number });
    expect(result).toEqual(await createOfflineAi().sentiment(["This is great, thank you!"]));
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5_000);
    expect(records[0]!.details).toMatchObject({
      code: "BATON_ERR_COPILOT_AI_UNAVAILABLE",
      reason: "no answer within 300 ms",
    });
  });

  it("falls back when nothing listens at the base URL", async () => {
    const { logger, records } = recordingLogger();
    const service = createOpenAiCompatibleAi({
      baseUrl: "http://127.0.0.1:1/v1",
      model: "absent",
      timeoutMs: 2_000,
      logger,
    });
    expect(await service.sentiment(["not good"])).toEqual({
      label: "negative",
      score: expect.any(Number) as number,
    });
    expect(records[0]!.details).toMatchObject({ operation: "sentiment", model: "absent" });
  });

  it("sends no authorization header without an API key (local servers)", async () => {
    server.reply(() => ({ content: '{"label": "neutral", "score": 0}' }));
    const service = createOpenAiCompatibleAi({ baseUrl: server.baseUrl, model: "llama3.1" });
    expect(await service.sentiment(["Where is my order?"])).toEqual({ label: "neutral", score: 0 });
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });
});
