import { request } from "undici";
import { describe, expect, it } from "vitest";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { messageAfter, reachAgent, says, askForHuman } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { waitFor } from "../factories/wait-for.ts";

/** A real 1×1 PNG. */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489" +
    "0000000d49444154789c6360f8cfc0f01f0005000201e5273ea20000000049454e44ae426082",
  "hex",
);

/** Downloads a URL the way a browser follows a link: no API key, no headers of ours. */
async function download(url: string): Promise<{ status: number; bytes: Buffer }> {
  const response = await request(url);
  return { status: response.statusCode, bytes: Buffer.from(await response.body.arrayBuffer()) };
}

describe("attachments both ways during a handover, over real sockets", () => {
  it("a user's file reaches the agent through the attachments API, and an agent's file reaches the user as a downloadable link", async () => {
    const { simulator, gateway, webToken } = await startEmbedded();
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "ana", sessionId: "s-files" });
    await chat.waitForMessage((m) => m.source === "bot");
    const waiting = await reachAgent(chat, agent, "ana");

    // (a) user → agent: the message frame's attachment is uploaded (multipart, authorType user) and sent
    // as a user message referencing it; the bytes the agent downloads are the ones the user sent.
    const seq = await chat.sendFiles(
      [{ name: "screenshot.png", contentType: "image/png", base64: PNG.toString("base64") }],
      "Here is a screenshot",
    );
    const own = await chat.waitForMessage((m) => m.seq === seq);
    expect(own).toMatchObject({ source: "user", text: "Here is a screenshot" });
    expect(own.attachments).toEqual([
      {
        name: "screenshot.png",
        contentType: "image/png",
        url: `data:image/png;base64,${PNG.toString("base64")}`,
        size: PNG.length,
      },
    ]);
    const atAgent = await waitFor(
      async () =>
        (await agent.messages(waiting.id)).find((m) => m.author.type === "user" && m.attachments.length > 0),
      10_000,
      "the user's file at the agent",
    );
    expect(atAgent.text).toBe("Here is a screenshot");
    expect(atAgent.attachments).toEqual([
      expect.objectContaining({
        fileName: "screenshot.png",
        contentType: "image/png",
        type: "image",
        sizeInBytes: PNG.length,
      }),
    ]);
    const fromUser = await download(atAgent.attachments[0]!.url);
    expect(fromUser.status).toBe(200);
    expect(fromUser.bytes.equals(PNG)).toBe(true);

    // A file without text goes through too: 8x8's spec requires neither text nor externalProvider.
    const receipt = Buffer.from("%PDF-1.4\n% receipt\n");
    await chat.sendFiles([
      { name: "receipt.pdf", contentType: "application/pdf", base64: receipt.toString("base64") },
    ]);
    const fileOnly = await waitFor(
      async () =>
        (await agent.messages(waiting.id)).find((m) =>
          m.attachments.some((a) => a.fileName === "receipt.pdf"),
        ),
      10_000,
      "the user's file-only message at the agent",
    );
    expect(fileOnly).toMatchObject({ text: "", author: { type: "user" } });
    expect((await download(fileOnly.attachments[0]!.url)).bytes.equals(receipt)).toBe(true);

    // (b) agent → user: the MESSAGE event's pre-signed link is relayed as the attachment's URL.
    const from = chat.frames.length;
    const invoice = Buffer.from("invoice #42: 120 EUR\n");
    await agent.sendFiles(
      waiting.id,
      [
        { fileName: "corrected.png", contentType: "image/png", base64: PNG.toString("base64") },
        { fileName: "invoice.txt", contentType: "text/plain", base64: invoice.toString("base64") },
      ],
      "Here is the corrected invoice",
    );
    const relayed = await messageAfter(chat, from, says("agent", "corrected invoice"));
    expect(relayed.attachments?.map((a) => a.name)).toEqual(["corrected.png", "invoice.txt"]);
    // The web chat draws images inline only for an image/* content type, so the relay gives a MIME type.
    expect(relayed.attachments?.map((a) => a.contentType)).toEqual(["image/png", "text/plain"]);
    const [image, text] = relayed.attachments ?? [];
    expect(image!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sim\/files\//);
    const imageBytes = await download(image!.url);
    expect(imageBytes.status).toBe(200);
    expect(imageBytes.bytes.equals(PNG)).toBe(true);
    expect((await download(text!.url)).bytes.equals(invoice)).toBe(true);

    // An agent file without text reaches the user as an agent message with an empty text.
    const from2 = chat.frames.length;
    await agent.sendFiles(waiting.id, [
      { fileName: "only.png", contentType: "image/png", base64: PNG.toString("base64") },
    ]);
    const onlyFile = await messageAfter(
      chat,
      from2,
      (m) => m.source === "agent" && (m.attachments ?? []).some((a) => a.name === "only.png"),
    );
    expect(onlyFile.text ?? "").toBe("");
    expect((await download(onlyFile.attachments![0]!.url)).bytes.equals(PNG)).toBe(true);

    // Each agent message arrived once.
    expect(chat.messages().filter((m) => m.source === "agent")).toHaveLength(2);
  }, 60_000);

  it("a file sent to the bot is stored in the transcript and, when the flow hands over, listed by name in the history", async () => {
    const { simulator, gateway, webToken } = await startEmbedded();
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "ben", sessionId: "s-bot-file" });
    await chat.waitForMessage((m) => m.source === "bot");

    // Bot mode: the file is stored with the user's message (and shown back to the user); the demo flow,
    // which reads only text, answers it as something it did not understand.
    const from = chat.frames.length;
    const seq = await chat.sendFiles([
      { name: "photo.png", contentType: "image/png", base64: PNG.toString("base64") },
    ]);
    await messageAfter(chat, from, says("bot", "didn't get that"));
    const ready = chat.frames.find((f) => f.type === "ready");
    if (ready?.type !== "ready") throw new Error("no ready frame");
    const stored = await gateway.store.messages.listTranscript(ready.sessionKey);
    const fileMessage = stored.find((m) => m.seq === seq);
    expect(fileMessage).toMatchObject({ direction: "in", source: "user" });
    expect(fileMessage?.attachments?.map((a) => [a.name, a.contentType])).toEqual([
      ["photo.png", "image/png"],
    ]);
    await chat.sendFiles(
      [{ name: "form.pdf", contentType: "application/pdf", base64: Buffer.from("%PDF").toString("base64") }],
      "and the form",
    );

    // The handover's history carries text only (8x8 attachments belong to a conversation, which does not
    // exist yet when the history is sent): a file appears as a line with its name, nothing is uploaded.
    const waiting = await askForHuman(chat, agent, "ben");
    const history = await agent.messages(waiting.id);
    const userLines = history.filter((m) => m.author.type === "user").map((m) => m.text);
    expect(userLines).toEqual([
      "[attachment] photo.png",
      "and the form\n[attachment] form.pdf",
      "talk to a human",
    ]);
    expect(history.every((m) => m.attachments.length === 0)).toBe(true);
  }, 60_000);
});
