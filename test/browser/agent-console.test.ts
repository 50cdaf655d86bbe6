import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChatGatewayClient, type ChatGatewayClient } from "../../src/providers/8x8/client.ts";
import { createSimulator, type Simulator } from "../../simulator/src/index.ts";
import { maybeScreenshot, useBrowser } from "../factories/browser.ts";
import { startRecordingProxy, type RecordingProxy } from "../factories/recording-proxy.ts";
import { waitFor } from "../factories/wait-for.ts";

interface SimEvent {
  eventType: string;
  conversationId?: string;
  data?: { state?: string; text?: string; sender?: { type?: string } };
}

const browser = useBrowser();
let simulator: Simulator;
let client: ChatGatewayClient;
let recorder: RecordingProxy;
let channelId: string;

beforeAll(async () => {
  simulator = await createSimulator({ apiKey: "sim_console", typingTimeoutMs: 60_000 });
  client = createChatGatewayClient({ baseUrl: simulator.url, apiKey: simulator.apiKey });
  recorder = await startRecordingProxy();
  const webhook = await client.webhooks.create({ name: "recorder", uri: recorder.url });
  channelId = (
    await client.channels.create({
      name: "web",
      webHookId: webhook.id,
      routingOptions: { type: "queue", id: "311" },
    })
  ).id;
});
afterAll(async () => {
  await client.close();
  await simulator.close();
  await recorder.close();
});

/** The first event the simulator delivered that matches. */
function delivered(match: (event: SimEvent) => boolean): Promise<SimEvent> {
  return waitFor(
    () => recorder.requests.map((r) => JSON.parse(r.rawBody.toString("utf8")) as SimEvent).find(match),
    10_000,
    "a webhook event",
  );
}

describe("agent console (a person in a real browser)", () => {
  it("shows a waiting conversation with its history and custom properties, and lets the agent accept, chat, see typing, transfer and close", async () => {
    const { conversationId } = await client.conversations.create({
      channelId,
      user: {
        name: "Ana Pereira",
        email: "ana@example.org",
        additionalProperties: [{ key: "Plan", value: "gold" }],
      },
      history: {
        messages: [
          { authorType: "bot", text: "Hi! How can I help?" },
          { authorType: "user", text: "My invoice is wrong" },
        ],
      },
    });
    const page = await browser.page();
    await page.goto(`${simulator.url}/console`);

    await page.getByRole("button", { name: /Ana Pereira/ }).click();
    await expect.poll(() => page.locator("#messages").innerText()).toContain("My invoice is wrong");
    expect(await page.locator("#messages").innerText()).toContain("Hi! How can I help?");
    const details = await page.locator("#properties").innerText();
    expect(details).toContain("Plan");
    expect(details).toContain("gold");

    await page.locator("#accept").click();
    await delivered((e) => e.eventType === "MEMBERS_CHANGED" && e.conversationId === conversationId);

    await client.conversations.typing(conversationId, { authorType: "user" });
    await expect.poll(() => page.locator("#typing").innerText()).not.toBe("");

    await page.locator("#reply").fill("Hello Ana, I am looking at it now.");
    await page.getByRole("button", { name: "Send" }).click();
    const agentMessage = await delivered(
      (e) => e.eventType === "MESSAGE" && e.data?.sender?.type === "agent",
    );
    expect(agentMessage.data?.text).toBe("Hello Ana, I am looking at it now.");

    await client.messages.send(conversationId, { authorType: "user", text: "Thank you!" });
    await expect.poll(() => page.locator("#messages").innerText()).toContain("Thank you!");
    await maybeScreenshot(page, "agent-console");

    await page.locator("#transfer-select").selectOption("312");
    await page.locator("#transfer").click();
    await delivered((e) => e.eventType === "TRANSFER" && e.conversationId === conversationId);

    await page.locator("#accept").click();
    await page.locator("#close").click();
    await delivered(
      (e) =>
        e.eventType === "CONVERSATION_UPDATE" &&
        e.conversationId === conversationId &&
        e.data?.state === "idle",
    );
  });

  it("shows the user's uploaded image inline and lets the agent attach a file", async () => {
    const png = Buffer.from(
      "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489" +
        "0000000d49444154789c6360f8cfc0f01f0005000201e5273ea20000000049454e44ae426082",
      "hex",
    );
    const { conversationId } = await client.conversations.create({ channelId, user: { name: "Bea Files" } });
    const uploaded = await client.attachments.upload(conversationId, {
      bytes: png,
      fileName: "from-user.png",
      contentType: "image/png",
      authorType: "user",
    });
    await client.messages.send(conversationId, { authorType: "user", attachments: [{ id: uploaded.id }] });

    const page = await browser.page();
    await page.goto(`${simulator.url}/console`);
    await page.getByRole("button", { name: /Bea Files/ }).click();
    const userImage = page.locator("#messages .message.user img");
    await expect
      .poll(() => userImage.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
      .toBe(1);
    expect(await page.locator("#messages .message.user a").innerText()).toContain("from-user.png");

    await page.locator("#accept").click();
    await expect.poll(() => page.locator("#attach").isDisabled()).toBe(false);
    await page.locator("#attach").setInputFiles({
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("call back at 5"),
    });
    await page.getByRole("button", { name: "Send" }).click();
    const sent = await delivered(
      (e) =>
        e.eventType === "MESSAGE" && e.conversationId === conversationId && e.data?.sender?.type === "agent",
    );
    const attachments = (sent.data as { attachments?: { fileName: string; type: string }[] }).attachments;
    expect(attachments?.map((a) => [a.fileName, a.type])).toEqual([["notes.txt", "file"]]);
    await expect.poll(() => page.locator("#messages .message.agent a").innerText()).toContain("notes.txt");
  });
});
