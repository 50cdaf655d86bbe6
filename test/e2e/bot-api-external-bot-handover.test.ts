import { describe, expect, it } from "vitest";
import { startBotGateway } from "../factories/bot-gateway.ts";
import type { DeliveryBody } from "../factories/bot-receiver.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { waitFor } from "../factories/wait-for.ts";

const session = { userId: "ana", sessionId: "s-bot" };
const handoverEvent = (status: string) => (b: DeliveryBody) =>
  b.type === "handover" && b.handover?.status === status;

describe("bot API: an external bot hands its user to an 8x8 agent and takes them back", () => {
  it("relays the user to the bot, starts a handover, reports queue/active/completed, and closes a second one", async () => {
    const { api, bot, botToken, gateway, simulator } = await startBotGateway();
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, botToken, session);

    // The user writes (REST); the bot gets it at its callback URL and answers through /notify.
    await api("POST", `/endpoints/${botToken}`, { ...session, text: "I want a human" }, null);
    const asked = await bot.waitForBody((b) => b.type === "userMessage");
    expect(asked).toMatchObject({ endpointId: "bot", ...session, message: { text: "I want a human" } });
    // Notify acts as the bot: it needs a server-side secret, here the endpoint's callbackSecret (api's default).
    await api("POST", `/notify/${botToken}`, { ...session, text: "Sure, one moment." });
    await chat.waitForMessage((m) => m.source === "bot" && m.text === "Sure, one moment.");

    // The bot starts a handover.
    const started = await api("POST", `/endpoints/${botToken}/handover`, {
      ...session,
      queueId: "311",
      acceptedMessage: "Connecting you with a person…",
      cancelButtonText: "Cancel",
      jsonProperties: { Reason: "asked for a human" },
      transcript: "full",
    });
    expect(started.status).toBe(202);
    const handoverId = (started.body as { handoverId: string }).handoverId;
    expect(handoverId).toMatch(/^[0-9a-f-]{36}$/);

    await chat.waitForMessage((m) => m.text === "Connecting you with a person…");
    const queued = await bot.waitForBody(handoverEvent("queue"));
    expect(queued.handover).toMatchObject({ handoverId, providerId: "eight", queue: { id: "311" } });
    await bot.waitForBody((b) => b.type === "banner" && b.banner?.state === "queued");

    const again = await api("POST", `/endpoints/${botToken}/handover`, { ...session });
    expect(again).toMatchObject({
      status: 409,
      body: { error: { code: "BATON_ERR_HANDOVER_ALREADY_OPEN", handoverId } },
    });

    const waiting = await agent.waitForConversation((c) => c.status === "queued" && c.user?.userId === "ana");
    expect(waiting.customProperties).toEqual(
      expect.arrayContaining([{ key: "Reason", value: "asked for a human" }]),
    );
    expect((await agent.transcript(waiting.id)).map((m) => m.text)).toEqual(
      expect.arrayContaining(["I want a human", "Sure, one moment."]),
    );
    await agent.accept(waiting.id, "agent-anna");
    const active = await bot.waitForBody(handoverEvent("active"));
    expect(active.handover).toMatchObject({ handoverId, agent: { id: "agent-anna" } });

    // Agent → user (web chat), and the bot sees the agent's message too; user → agent, not to the bot.
    await agent.say(waiting.id, "Hello, I'm Anna.");
    await chat.waitForMessage((m) => m.source === "agent" && m.text === "Hello, I'm Anna.");
    await bot.waitForBody((b) => b.type === "message" && b.message?.source === "agent");
    await api("POST", `/endpoints/${botToken}`, { ...session, text: "My invoice is wrong" }, null);
    await waitFor(
      async () => (await agent.transcript(waiting.id)).some((m) => m.text === "My invoice is wrong"),
      10_000,
      "the user's message at the agent",
    );
    expect(bot.received().filter((b) => b.type === "userMessage")).toHaveLength(1);

    // The session as the bot reads it: messages paged by afterSeq, and the open handover.
    const snapshot = await api("GET", `/endpoints/${botToken}/sessions/s-bot?userId=ana`);
    expect(snapshot.status).toBe(200);
    expect(snapshot.body.handover).toMatchObject({ handoverId, state: "active", providerId: "eight" });
    expect(snapshot.body.banner).toMatchObject({ state: "active" });
    const texts = (snapshot.body.messages ?? []).map((m) => m.text);
    expect(texts).toEqual(
      expect.arrayContaining(["I want a human", "Hello, I'm Anna.", "My invoice is wrong"]),
    );
    const page = await api("GET", `/endpoints/${botToken}/sessions/s-bot?userId=ana&afterSeq=1&limit=2`);
    expect((page.body.messages ?? []).map((m) => m.seq)).toEqual([2, 3]);
    expect(page.body.hasMore).toBe(true);

    // The agent closes: the bot gets the outcome; the user is back with the bot.
    await agent.close(waiting.id);
    const completed = await bot.waitForBody(handoverEvent("completed"), 20_000);
    expect(completed.handover).toMatchObject({ handoverId, status: "completed" });
    await chat.waitForFrame(
      (f): f is Extract<typeof f, { type: "handover" }> => f.type === "handover" && f.banner.state === "none",
    );
    await api("POST", `/endpoints/${botToken}`, { ...session, text: "thanks" }, null);
    await bot.waitForBody((b) => b.type === "userMessage" && b.message?.text === "thanks");

    // A second handover in the same session, closed by the bot.
    const second = await api("POST", `/endpoints/${botToken}/handover`, { ...session });
    expect(second.status).toBe(202);
    const secondId = (second.body as { handoverId: string }).handoverId;
    expect(secondId).not.toBe(handoverId);
    await bot.waitForBody((b) => handoverEvent("queue")(b) && b.handover?.handoverId === secondId);
    const inactivity = await api("POST", `/endpoints/${botToken}/handover/inactivity`, {
      ...session,
      seconds: 600,
    });
    expect(inactivity).toMatchObject({ status: 200, body: { handoverId: secondId } });
    const closed = await api("DELETE", `/endpoints/${botToken}/handover`, session);
    expect(closed).toMatchObject({ status: 200, body: { handoverId: secondId } });
    const outcome = await bot.waitForBody(
      (b) => handoverEvent("completed")(b) && b.handover?.handoverId === secondId,
    );
    expect(outcome.handover?.reason).toBe("closed");
    await waitFor(
      () =>
        simulator
          .conversations()
          .filter((c) => c.user?.userId === "ana")
          .every((c) => c.status === "idle"),
      10_000,
      "the withdrawn request at the simulator",
    );
    const none = await api("DELETE", `/endpoints/${botToken}/handover`, session);
    expect(none).toMatchObject({ status: 409, body: { error: { code: "BATON_ERR_HANDOVER_NOT_OPEN" } } });

    // Every delivery verified, and the session's deliveries arrived in message order.
    expect(bot.attempts.every((a) => a.verified)).toBe(true);
    const seqs = bot.received().flatMap((b) => (b.message !== undefined ? [b.message.seq] : []));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }, 60_000);

  it("refuses bad input with catalog errors and changes nothing", async () => {
    const { api, bot, botToken, webToken } = await startBotGateway();
    const path = `/endpoints/${botToken}/handover`;
    const cases: [unknown, string, string][] = [
      [{ ...session, queueId: 311 }, "queueId", "BATON_ERR_HTTP_BAD_REQUEST"],
      [{ ...session, colour: "red" }, "(body)", "BATON_ERR_HTTP_BAD_REQUEST"],
      [{ userId: "ana" }, "sessionId", "BATON_ERR_HTTP_BAD_REQUEST"],
      [{ ...session, transcript: "last:0" }, "transcript", "BATON_ERR_HTTP_BAD_REQUEST"],
      [{ ...session, maxQueueWait: 0 }, "maxQueueWait", "BATON_ERR_HTTP_BAD_REQUEST"],
      [{ ...session, cancelIntent: "/(/" }, "cancelIntent", "BATON_ERR_HTTP_BAD_REQUEST"],
      [{ ...session, provider: "genesys" }, "provider", "BATON_ERR_HTTP_BAD_REQUEST"],
      [
        {
          ...session,
          jsonProperties: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, "v"])),
        },
        "jsonProperties",
        "BATON_ERR_HTTP_BAD_REQUEST",
      ],
    ];
    for (const [body, field, code] of cases) {
      const answer = await api("POST", path, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error?.code).toBe(code);
      expect(answer.body.error?.field, JSON.stringify(body)).toBe(field);
      expect(typeof answer.body.error?.expected).toBe("string");
    }
    const inactivity = await api("POST", `${path}/inactivity`, { ...session, seconds: 0 });
    expect(inactivity).toMatchObject({ status: 400, body: { error: { field: "seconds" } } });
    const noHandover = await api("POST", `${path}/inactivity`, { ...session, seconds: 30 });
    expect(noHandover).toMatchObject({
      status: 409,
      body: { error: { code: "BATON_ERR_HANDOVER_NOT_OPEN" } },
    });

    // Nothing was created: no session, no delivery.
    const read = await api("GET", `/endpoints/${botToken}/sessions/s-bot?userId=ana`);
    expect(read).toMatchObject({ status: 404, body: { error: { code: "BATON_ERR_SESSION_NOT_FOUND" } } });
    const badQuery = await api("GET", `/endpoints/${botToken}/sessions/s-bot?userId=ana&limit=0`);
    expect(badQuery).toMatchObject({ status: 400, body: { error: { field: "limit" } } });
    expect(bot.attempts).toHaveLength(0);

    // Authentication: the bearer must be the callback secret; the URL token must be an external-bot endpoint.
    for (const bearer of [null, "wrong-secret-0123456789abcdef", ""]) {
      const answer = await api("POST", path, { ...session }, bearer);
      expect(answer).toMatchObject({
        status: 401,
        body: { error: { code: "BATON_ERR_BOT_API_UNAUTHORIZED", field: "authorization" } },
      });
    }
    const wrongGet = await api("GET", `/endpoints/${botToken}/sessions/s-bot?userId=ana`, undefined, "nope");
    expect(wrongGet.status).toBe(401);
    const webchat = await api("POST", `/endpoints/${webToken}/handover`, { ...session });
    expect(webchat).toMatchObject({
      status: 404,
      body: { error: { code: "BATON_ERR_BOT_API_NOT_ENABLED" } },
    });
    const unknown = await api("POST", `/endpoints/${"0".repeat(64)}/handover`, { ...session });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: "BATON_ERR_ENDPOINT_UNKNOWN" } } });
    expect(JSON.stringify(webchat.body)).not.toContain("bot-secret");
  }, 30_000);
});
