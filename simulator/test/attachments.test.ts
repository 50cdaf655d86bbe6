import { describe, expect, it } from "vitest";
import type { Simulator } from "../src/index.ts";
import { api, createChannel, createConversation } from "./support/gateway-client.ts";
import { waitFor } from "./support/wait-for.ts";
import { useFreshSimulator } from "./support/fresh-simulator.ts";
import type { WebhookReceiver } from "./support/webhook-receiver.ts";

let sim: Simulator;
let receiver: WebhookReceiver;
useFreshSimulator((fresh) => ({ sim, receiver } = fresh));

async function upload(conversationId: string, bytes: Uint8Array, filename: string, type: string) {
  const form = new FormData();
  form.append("attachment", new Blob([bytes], { type }), filename);
  form.append("authorType", "bot");
  const response = await fetch(`${sim.url}/chat-gateway/v1/conversations/${conversationId}/attachments`, {
    method: "POST",
    headers: { "x-api-key": sim.apiKey },
    body: form,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("attachments", () => {
  it("uploads multipart, lists, reads metadata and downloads the exact bytes with Content-Disposition", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 13, 10, 45, 45]);
    const uploaded = await upload(id, bytes, "receipt.pdf", "application/pdf");
    expect(uploaded.status).toBe(200);
    expect(uploaded.body).toEqual({
      id: expect.any(String) as unknown,
      filename: "receipt.pdf",
      sizeInBytes: bytes.length,
      createdAt: expect.any(String) as unknown,
    });
    const attachmentId = String(uploaded.body["id"]);

    const list = await api<{ _embedded: { attachments: unknown[] } }>(
      sim,
      "GET",
      `/conversations/${id}/attachments`,
    );
    expect(list.body._embedded.attachments).toEqual([uploaded.body]);
    expect((await api(sim, "GET", `/conversations/${id}/attachments/${attachmentId}`)).body).toEqual(
      uploaded.body,
    );

    const content = await fetch(
      `${sim.url}/chat-gateway/v1/conversations/${id}/attachments/${attachmentId}/content`,
      {
        headers: { "x-api-key": sim.apiKey },
      },
    );
    expect(content.status).toBe(200);
    expect(content.headers.get("content-type")).toBe("application/octet-stream");
    expect(content.headers.get("content-disposition")).toContain('filename="receipt.pdf"');
    expect(new Uint8Array(await content.arrayBuffer())).toEqual(bytes);
  });

  it("echoes an attachment-only message with a working pre-signed download link", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    const uploaded = await upload(id, new TextEncoder().encode("hello"), "photo.png", "image/png");
    const sent = await api(sim, "POST", `/conversations/${id}/messages`, {
      authorType: "user",
      attachments: [{ id: uploaded.body["id"] }],
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toBeUndefined();
    const echo = await waitFor(() => receiver.requests.find((r) => r.event.eventType === "MESSAGE"), {
      what: "MESSAGE",
    });
    const [attachment] = echo.event.data?.["attachments"] as Array<{
      id: string;
      type: string;
      fileName: string;
      preSignedUrl: string;
    }>;
    expect(attachment).toMatchObject({ id: uploaded.body["id"], type: "image", fileName: "photo.png" });
    const download = await fetch(attachment?.preSignedUrl ?? "");
    expect(await download.text()).toBe("hello");
    expect((await fetch(`${attachment?.preSignedUrl ?? ""}x`)).status).toBe(403);
  });

  it("rejects a message referencing an unknown attachment and an upload without the attachment part", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    const sent = await api(sim, "POST", `/conversations/${id}/messages`, {
      authorType: "bot",
      attachments: [{ id: "nope" }],
    });
    expect(sent.status).toBe(400);
    const form = new FormData();
    form.append("authorType", "user");
    const response = await fetch(`${sim.url}/chat-gateway/v1/conversations/${id}/attachments`, {
      method: "POST",
      headers: { "x-api-key": sim.apiKey },
      body: form,
    });
    expect(response.status).toBe(400);
  });

  it("stores cards on messages and serves them from the cards endpoint", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    const card = {
      contentType: "application/8x8.quick.replies",
      content: { options: [{ title: "Track order", data: { postback: "track" } }] },
    };
    await api(sim, "POST", `/conversations/${id}/messages`, {
      authorType: "bot",
      text: "How can we help?",
      cards: [card],
    });
    const messages = await api<{ _embedded: { messages: Array<{ id: string }> } }>(
      sim,
      "GET",
      `/conversations/${id}/messages`,
    );
    const messageId = messages.body._embedded.messages[0]?.id ?? "";
    const cards = await api<{ _embedded: { cards: unknown[] } }>(
      sim,
      "GET",
      `/conversations/${id}/messages/${messageId}/cards`,
    );
    expect(cards.body._embedded.cards).toEqual([
      { id: expect.any(String) as unknown, ...card, actionSubmitted: false, actionExecuted: false },
    ]);
  });
});
