import { describe, expect, it } from "vitest";
import type { Simulator } from "../src/index.ts";
import { api, control, createChannel, createConversation } from "./support/gateway-client.ts";
import { useFreshSimulator } from "./support/fresh-simulator.ts";
import { waitFor } from "./support/wait-for.ts";
import type { WebhookReceiver } from "./support/webhook-receiver.ts";

let sim: Simulator;
let receiver: WebhookReceiver;
useFreshSimulator((fresh) => ({ sim, receiver } = fresh));

type ControlAttachment = {
  id: string;
  fileName: string;
  contentType: string;
  type: string;
  sizeInBytes: number;
  url: string;
};
type ControlMessage = {
  id: string;
  text: string;
  author: { type: string };
  attachments: ControlAttachment[];
};
type ControlError = { error: { code: string; field?: string; expected?: string; message: string } };

const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e5273ea20000000049454e44ae426082",
  "hex",
);

async function acceptedConversation(): Promise<string> {
  const channelId = await createChannel(sim, receiver);
  const id = await createConversation(sim, channelId);
  await control(sim, "POST", `/conversations/${id}/accept`, { agentId: "agent-anna" });
  return id;
}

function file(fileName: string, contentType: string, bytes: Buffer = PNG) {
  return { fileName, contentType, base64: bytes.toString("base64") };
}

describe("agent attachments through the control API", () => {
  it("stores the files, sends MESSAGE with {id, type, preSignedUrl, fileName} per file, and the links download the bytes without a key", async () => {
    const id = await acceptedConversation();
    const pdf = Buffer.from("%PDF-1.4 fake");
    const sent = await control<{ message: ControlMessage }>(sim, "POST", `/conversations/${id}/messages`, {
      text: "Here you go",
      attachments: [
        file("dot.png", "image/png"),
        file("clip.mp4", "video/mp4", Buffer.from([1, 2, 3])),
        file("voice.ogg", "audio/ogg", Buffer.from([4, 5])),
        file("invoice.pdf", "application/pdf", pdf),
      ],
    });
    expect(sent.status).toBe(201);
    expect(sent.body.message.text).toBe("Here you go");
    expect(sent.body.message.attachments.map((a) => [a.fileName, a.type, a.sizeInBytes])).toEqual([
      ["dot.png", "image", PNG.length],
      ["clip.mp4", "video", 3],
      ["voice.ogg", "audio", 2],
      ["invoice.pdf", "file", pdf.length],
    ]);

    const event = await waitFor(
      () =>
        receiver.requests.find((r) => r.event.eventType === "MESSAGE" && r.event.data?.["isEcho"] === false),
      { what: "the agent MESSAGE" },
    );
    const attachments = event.event.data?.["attachments"] as Array<Record<string, string>>;
    expect(attachments).toHaveLength(4);
    for (const attachment of attachments) {
      expect(Object.keys(attachment).sort()).toEqual(["fileName", "id", "preSignedUrl", "type"]);
    }
    expect(attachments.map((a) => [a["fileName"], a["type"]])).toEqual([
      ["dot.png", "image"],
      ["clip.mp4", "video"],
      ["voice.ogg", "audio"],
      ["invoice.pdf", "file"],
    ]);
    expect(attachments.map((a) => a["id"])).toEqual(sent.body.message.attachments.map((a) => a.id));
    expect(event.event.data?.["sender"]).toEqual({ id: "agent-anna", type: "agent" });

    // Pre-signed: no API key, exact bytes, the name in Content-Disposition; a tampered link is refused.
    const download = await fetch(attachments[0]!["preSignedUrl"]!);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toContain('filename="dot.png"');
    expect(Buffer.from(await download.arrayBuffer())).toEqual(PNG);
    const last = await fetch(attachments[3]!["preSignedUrl"]!);
    expect(Buffer.from(await last.arrayBuffer())).toEqual(pdf);
    expect((await fetch(`${attachments[0]!["preSignedUrl"]!}x`)).status).toBe(403);

    // They are conversation attachments like uploaded ones: listed and readable through the 8x8 API too.
    const listed = await api<{ _embedded: { attachments: Array<{ filename: string }> } }>(
      sim,
      "GET",
      `/conversations/${id}/attachments`,
    );
    expect(listed.body._embedded.attachments.map((a) => a.filename).sort()).toEqual([
      "clip.mp4",
      "dot.png",
      "invoice.pdf",
      "voice.ogg",
    ]);
  });

  it("accepts a file without text (MESSAGE text is empty)", async () => {
    const id = await acceptedConversation();
    const sent = await control<{ message: ControlMessage }>(sim, "POST", `/conversations/${id}/messages`, {
      attachments: [file("dot.png", "image/png")],
    });
    expect(sent.status).toBe(201);
    const event = await waitFor(
      () =>
        receiver.requests.find((r) => r.event.eventType === "MESSAGE" && r.event.data?.["isEcho"] === false),
      { what: "the agent MESSAGE" },
    );
    expect(event.event.data?.["text"]).toBe("");
    expect(event.event.data?.["attachments"]).toEqual([
      {
        id: sent.body.message.attachments[0]?.id,
        type: "image",
        fileName: "dot.png",
        preSignedUrl: expect.any(String) as unknown,
      },
    ]);
  });

  it("lists the files of both directions on the control messages, with a working link", async () => {
    const id = await acceptedConversation();
    const form = new FormData();
    form.append("attachment", new Blob([new Uint8Array(PNG)], { type: "image/png" }), "from-user.png");
    form.append("authorType", "user");
    const uploaded = await fetch(`${sim.url}/chat-gateway/v1/conversations/${id}/attachments`, {
      method: "POST",
      headers: { "x-api-key": sim.apiKey },
      body: form,
    });
    const uploadedId = ((await uploaded.json()) as { id: string }).id;
    await api(sim, "POST", `/conversations/${id}/messages`, {
      authorType: "user",
      attachments: [{ id: uploadedId }],
    });
    await control(sim, "POST", `/conversations/${id}/messages`, {
      text: "thanks",
      attachments: [file("reply.txt", "text/plain", Buffer.from("ok"))],
    });

    const { body } = await control<{ messages: ControlMessage[] }>(
      sim,
      "GET",
      `/conversations/${id}/messages`,
    );
    const [user, agent] = body.messages;
    expect(user?.author.type).toBe("user");
    expect(user?.attachments).toEqual([
      {
        id: uploadedId,
        fileName: "from-user.png",
        contentType: "image/png",
        type: "image",
        sizeInBytes: PNG.length,
        url: expect.stringContaining(`/sim/files/${id}/${uploadedId}?`) as unknown,
      },
    ]);
    expect(agent?.attachments.map((a) => [a.fileName, a.type])).toEqual([["reply.txt", "file"]]);
    expect(Buffer.from(await (await fetch(user!.attachments[0]!.url)).arrayBuffer())).toEqual(PNG);
    expect(await (await fetch(agent!.attachments[0]!.url)).text()).toBe("ok");
  });

  it("answers bad attachments with 400 {error: {code: invalid_input, field, expected}} and sends nothing", async () => {
    const id = await acceptedConversation();
    const big = Buffer.alloc(5 * 1024 * 1024 + 1);
    const cases: Array<[unknown, string]> = [
      [{ text: "x", attachments: "dot.png" }, "attachments"],
      [
        { text: "x", attachments: Array.from({ length: 6 }, (_, i) => file(`f${i}.png`, "image/png")) },
        "attachments",
      ],
      [
        { attachments: [{ contentType: "image/png", base64: PNG.toString("base64") }] },
        "attachments[0].fileName",
      ],
      [{ attachments: [file("a.png", "png")] }, "attachments[0].contentType"],
      [{ attachments: [{ ...file("a.png", "image/png"), base64: "not base64!" }] }, "attachments[0].base64"],
      [{ attachments: [{ ...file("a.png", "image/png"), base64: "" }] }, "attachments[0].base64"],
      [
        { attachments: [file("ok.png", "image/png"), file("big.bin", "application/octet-stream", big)] },
        "attachments[1].base64",
      ],
      [{ attachments: [] }, "text"],
      [{ text: 42, attachments: [file("a.png", "image/png")] }, "text"],
    ];
    for (const [body, field] of cases) {
      const result = await control<ControlError>(sim, "POST", `/conversations/${id}/messages`, body);
      expect(result.status, field).toBe(400);
      expect(result.body.error).toMatchObject({
        code: "invalid_input",
        field,
        expected: expect.any(String) as unknown,
      });
    }
    const tooLarge = await control<ControlError>(sim, "POST", `/conversations/${id}/messages`, cases[6]![0]);
    expect(tooLarge.body.error.message).toContain("larger than 5 MB");

    // Exactly 5 MB is fine.
    const limit = await control(sim, "POST", `/conversations/${id}/messages`, {
      attachments: [file("limit.bin", "application/octet-stream", Buffer.alloc(5 * 1024 * 1024))],
    });
    expect(limit.status).toBe(201);
    const { body } = await control<{ messages: ControlMessage[] }>(
      sim,
      "GET",
      `/conversations/${id}/messages`,
    );
    expect(body.messages).toHaveLength(1);
  });

  it("still needs an agent: 409 no_agent before accept", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    const result = await control<ControlError>(sim, "POST", `/conversations/${id}/messages`, {
      attachments: [file("dot.png", "image/png")],
    });
    expect(result.status).toBe(409);
    expect(result.body.error.code).toBe("no_agent");
    expect(sim.conversations()[0]).toBeDefined();
    const listed = await api<{ _embedded?: unknown }>(sim, "GET", `/conversations/${id}/attachments`);
    expect(listed.body._embedded).toBeUndefined();
  });
});
