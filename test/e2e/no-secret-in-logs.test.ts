import { request } from "undici";
import { describe, expect, it } from "vitest";
import { connectCopilot, copilotLinkAtAgent, copilotSocketUrl } from "../factories/copilot-client.ts";
import { botSecret } from "../factories/bot-gateway.ts";
import { startBotReceiver } from "../factories/bot-receiver.ts";
import { demoCopilotFlow, repoKnowledge, startEmbedded } from "../factories/embedded-gateway.ts";
import { createSigningKey, signedDelivery } from "../factories/eight-by-eight-webhooks.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { capturedLogger } from "../unit/runtime/runtime-test-kit.ts";

/**
 * Every string under a key that names a credential, anywhere in an endpoint's runtime: the URL token
 * today, and whatever secrets the endpoint grows (inject/notify secrets, callback secrets) without this
 * test having to know their names.
 */
function secretsOf(value: unknown, key = "", seen = new Set<unknown>()): string[] {
  if (typeof value === "string")
    return /token|secret|password|apikey/i.test(key) && value.length >= 16 ? [value] : [];
  if (typeof value !== "object" || value === null || seen.has(value)) return [];
  seen.add(value);
  if (value instanceof Map) return [...value.entries()].flatMap(([k, v]) => secretsOf(v, String(k), seen));
  return Object.entries(value).flatMap(([k, v]) => secretsOf(v, k, seen));
}

describe("no secret reaches a log line", () => {
  it("logs a whole journey (web chat, handover, copilot, webhooks, bot API) without any secret", async () => {
    const { logger, lines } = capturedLogger();
    const bot = await startBotReceiver(botSecret);
    const { simulator, gateway, webToken } = await startEmbedded({
      logger,
      copilotFlow: demoCopilotFlow,
      copilot: { knowledge: { folder: repoKnowledge } },
      endpoints: {
        bot: {
          channel: "webhook",
          callbackUrl: bot.url,
          callbackSecret: botSecret,
          handover: { provider: "eight" },
        },
      },
    });
    const agent = simulatorAgent(simulator);
    const botToken = gateway.endpoints.get("bot")!.urlToken;

    // Web chat: hello, messages, a handover the agent accepts and answers.
    const chat = await connectWebchat(gateway.url, webToken, { userId: "ana", sessionId: "s-logs" });
    await chat.waitForMessage((m) => m.source === "bot");
    await chat.say("I want a refund");
    await chat.waitForMessage((m) => m.source === "bot");
    await chat.say("talk to a human");
    const conversation = await agent.waitForConversation((c) => c.user?.userId === "ana");
    await agent.accept(conversation.id, "agent-anna");
    await agent.say(conversation.id, "Hello Ana, how can I help?");
    await chat.waitForMessage((m) => m.text === "Hello Ana, how can I help?");
    await chat.say("my order never arrived");

    // The Copilot workspace, from the link the agent received: the page and the socket.
    const link = await copilotLinkAtAgent(agent, conversation.id);
    const page = await request(link);
    await page.body.dump();
    const workspace = connectCopilot(copilotSocketUrl(link));
    await workspace.waitForTile("transcript", (t) => t.content?.kind === "transcript");

    // REST on the web endpoint's token, notify/inject (whatever they answer with today's auth), the bot API.
    for (const path of [`/endpoints/${webToken}`, `/inject/${webToken}`, `/notify/${webToken}`]) {
      const answer = await request(`${gateway.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ userId: "rest-user", sessionId: "s-rest", text: "hello" }),
      });
      await answer.body.dump();
    }
    const botCall = await request(`${gateway.url}/endpoints/${botToken}/sessions/s-none?userId=u`, {
      headers: { authorization: `Bearer ${botSecret}` },
    });
    await botCall.body.dump();
    const unknownPath = await request(`${gateway.url}/endpoints/${botToken}/nowhere?URLToken=${webToken}`);
    await unknownPath.body.dump();

    // A forged 8x8 webhook (a key 8x8 never published): refused, and its signature not logged.
    const forged = signedDelivery({
      key: createSigningKey(simulator.currentKid()),
      body: { eventType: "MESSAGE", conversationId: conversation.id, timestamp: Date.now() },
      transmissionTime: Date.now(),
    });
    const refused = await request(`${gateway.url}/handover/eightByEight/eight`, {
      method: "POST",
      headers: forged.headers as Record<string, string>,
      body: forged.rawBody,
    });
    await refused.body.dump();
    expect(refused.statusCode).toBe(401);
    // One line for the refusal, at warn (the receiver's), not a second one from the HTTP error handler.
    const forgedId = forged.headers["x-8x8-event-id"];
    const aboutForged = lines.filter(
      (line) => line.eventId === forgedId || String(line.code).startsWith("BATON_ERR_WEBHOOK_"),
    );
    expect(aboutForged.map((line) => [line.level, line.msg])).toEqual([[40, "8x8 webhook request rejected"]]);

    // Signed webhooks from the simulator (the agent's message, the close) keep arriving and being logged.
    await agent.close(conversation.id);
    await chat.waitForMessage((m) => m.source === "bot" && (m.text ?? "").includes("Welcome back"));
    expect(simulator.webhookLog().length).toBeGreaterThan(0);

    const secrets = [
      ...[...gateway.endpoints.values()].flatMap((endpoint) => secretsOf(endpoint)),
      webToken,
      botToken,
      botSecret,
      simulator.apiKey,
      new URL(link).searchParams.get("auth")!,
      new URL(link).searchParams.get("URLToken")!,
      forged.headers["x-8x8-signature"]!,
      forged.headers["x-8x8-signature"]!.split("..")[1]!,
    ].filter((secret) => secret !== "");
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    expect(lines.length).toBeGreaterThan(20);
    const output = lines.map((line) => JSON.stringify(line));
    for (const secret of new Set(secrets)) {
      const leaking = output.filter((line) => line.includes(secret));
      expect(leaking, `a log line contains a secret (${secret.slice(0, 6)}…)`).toEqual([]);
    }
    // The routes stay readable.
    expect(output.some((line) => line.includes("/endpoints/[redacted]/ws"))).toBe(true);
    expect(output.some((line) => line.includes("URLToken=[redacted]"))).toBe(true);
  });
});
