import { describe, expect, it } from "vitest";
import { verifyBatonSignature } from "../factories/bot-receiver.ts";
import { botSecret, startBotGateway } from "../factories/bot-gateway.ts";
import { waitFor } from "../factories/wait-for.ts";

const user = (sessionId: string) => ({ userId: "ana", sessionId });

describe("webhook channel: signed deliveries, in order per session, retried or rejected", () => {
  it("signs each delivery with HMAC-SHA256 over '<timestamp>.<raw body>' that the receiver verifies", async () => {
    const { api, bot, botToken } = await startBotGateway();
    const posted = await api(
      "POST",
      `/endpoints/${botToken}`,
      { ...user("s-sign"), text: "hello bot" },
      null,
    );
    expect(posted.status).toBe(200);

    const delivered = await bot.waitForBody((b) => b.type === "userMessage");
    expect(delivered).toMatchObject({
      type: "userMessage",
      endpointId: "bot",
      userId: "ana",
      sessionId: "s-sign",
      message: { source: "user", text: "hello bot", seq: 1 },
    });
    const attempt = bot.attempts[0]!;
    expect(attempt.verified).toBe(true);
    expect(attempt.headers["x-baton-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(Math.abs(Date.now() - attempt.timestamp)).toBeLessThan(10_000);
    expect(attempt.deliveryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(attempt.headers["content-type"]).toBe("application/json");
    // The check fails for another secret, another body, or an old timestamp.
    expect(verifyBatonSignature("another-secret-0123456789", attempt.headers, attempt.rawBody)).toBe(false);
    expect(verifyBatonSignature(botSecret, attempt.headers, attempt.rawBody.replace("hello", "HELLO"))).toBe(
      false,
    );
    expect(verifyBatonSignature(botSecret, attempt.headers, attempt.rawBody, Date.now() + 10 * 60_000)).toBe(
      false,
    );
  });

  it("retries a 503 twice with the same delivery id and keeps the session's later deliveries behind it", async () => {
    const { api, bot, botToken } = await startBotGateway();
    bot.reply({ status: 503 }, { status: 503 });
    for (const text of ["one", "two", "three"]) {
      const notified = await api("POST", `/notify/${botToken}`, { ...user("s-order"), text });
      expect(notified.status).toBe(200);
    }
    await waitFor(() => bot.received().length === 3, 15_000, "three accepted deliveries");

    const texts = bot.received().map((b) => b.message?.text);
    expect(texts).toEqual(["one", "two", "three"]);
    const seqs = bot.received().map((b) => b.message?.seq ?? 0);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    const [first, second, third, ...rest] = bot.attempts;
    expect([first!.status, second!.status, third!.status]).toEqual([503, 503, 200]);
    expect(new Set([first!.deliveryId, second!.deliveryId, third!.deliveryId]).size).toBe(1);
    expect(JSON.parse(third!.rawBody)).toEqual(JSON.parse(first!.rawBody));
    // A retry is signed again with its own timestamp; every attempt verifies.
    expect(bot.attempts.every((a) => a.verified)).toBe(true);
    expect(third!.timestamp).toBeGreaterThan(first!.timestamp);
    // Nothing doubled: three deliveries, three distinct ids, each accepted once.
    expect(rest.map((a) => a.status)).toEqual([200, 200]);
    const acceptedIds = bot.attempts.filter((a) => a.status === 200).map((a) => a.deliveryId);
    expect(new Set(acceptedIds).size).toBe(3);
    expect(acceptedIds).toHaveLength(3);
  }, 30_000);

  it("honours Retry-After on a 429", async () => {
    const { api, bot, botToken } = await startBotGateway();
    bot.reply({ status: 429, headers: { "retry-after": "1" } });
    await api("POST", `/notify/${botToken}`, { ...user("s-429"), text: "later" });
    await waitFor(() => bot.received().length === 1, 10_000, "the delivery after Retry-After");
    const [limited, accepted] = bot.attempts;
    expect(limited!.status).toBe(429);
    expect(accepted!.deliveryId).toBe(limited!.deliveryId);
    expect(accepted!.receivedAt - limited!.receivedAt).toBeGreaterThanOrEqual(950);
  }, 20_000);

  it("does not retry a 400, logs it with its code and status, and goes on with the next delivery", async () => {
    const { api, bot, botToken, logs } = await startBotGateway();
    bot.reply({ status: 400 });
    await api("POST", `/notify/${botToken}`, { ...user("s-reject"), text: "refused" });
    await api("POST", `/notify/${botToken}`, { ...user("s-reject"), text: "accepted" });
    await bot.waitForBody((b) => b.message?.text === "accepted");

    const log = await waitFor(
      () => logs.find((l) => l.msg === "webhook delivery failed for good"),
      5_000,
      "the failure log line",
    );
    expect(log).toMatchObject({ code: "BATON_ERR_CALLBACK_REJECTED", status: 400, endpointId: "bot" });
    const refusedId = bot.attempts[0]!.deliveryId;
    // Give a retry every chance to happen: the first backoff is at most 500 ms.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(bot.attempts.filter((a) => a.deliveryId === refusedId)).toHaveLength(1);
    expect(bot.attempts.map((a) => a.status)).toEqual([400, 200]);
    // The secret is in no log line.
    expect(JSON.stringify(logs)).not.toContain(botSecret);
  }, 20_000);
});
