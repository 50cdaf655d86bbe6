import { describe, expect, it } from "vitest";
import { createAi } from "../../../src/copilot/ai/index.ts";
import { validateConfig } from "../../../src/config/index.ts";
import { useFakeOpenAiServer } from "../../factories/fake-openai-server.ts";

const server = useFakeOpenAiServer();

describe("createAi", () => {
  it("is the offline AI when copilot.ai is absent", async () => {
    const result = validateConfig({}, { env: {} });
    if (!result.ok) throw new Error("the empty config is valid");
    const ai = createAi(result.config.copilot.ai);
    expect(ai.engine).toBe("offline");
    expect(await ai.sentiment(["Das ist super, danke!"])).toMatchObject({ label: "positive" });
    expect(server.requests).toHaveLength(0);
  });

  it("is the configured OpenAI-compatible model when copilot.ai is set", async () => {
    const result = validateConfig(
      {
        copilot: {
          ai: { baseUrl: server.baseUrl, model: "demo-model", apiKey: "${AI_KEY}", timeoutMs: 2000 },
        },
      },
      { env: { AI_KEY: "sk-from-env" } },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    server.reply(() => ({ content: "The customer asks about order A-1009." }));
    const ai = createAi(result.config.copilot.ai);
    expect(ai.engine).toBe("demo-model");
    expect(await ai.summarize([{ source: "user", text: "Where is order A-1009?" }])).toBe(
      "The customer asks about order A-1009.",
    );
    expect(server.requests[0]).toMatchObject({ model: "demo-model" });
    expect(server.requests[0]!.headers.authorization).toBe("Bearer sk-from-env");
  });
});
