import { afterEach, describe, expect, it } from "vitest";
import { createTestClient, type TestClient } from "../../factories/chat-gateway-test-client.ts";
import { useStubHttpServer } from "../../factories/stub-http-server.ts";

const stub = useStubHttpServer();
let harness: TestClient;
afterEach(() => harness.client.close());

function attachments() {
  harness = createTestClient(stub.url);
  return harness.client.attachments;
}

const base = "/chat-gateway/v1/conversations/c1/attachments";
const attachment = {
  id: "T6c-pPJY",
  filename: "receipt.pdf",
  sizeInBytes: 4166,
  createdAt: "2021-01-30T08:30:00Z",
};

describe("attachments", () => {
  it("uploads multipart/form-data with an attachment file part and an authorType part", async () => {
    stub.enqueue({ status: 200, body: attachment });
    const bytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x0d, 0x0a]);
    const result = await attachments().upload("c1", {
      bytes,
      fileName: 'receipt "final".pdf',
      contentType: "application/pdf",
      authorType: "bot",
    });
    expect(result).toEqual(attachment);
    const [request] = stub.requests;
    expect(`${request?.method} ${request?.path}`).toBe(`POST ${base}`);
    expect(request?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    // Parse with an independent implementation (the WHATWG Response of Node's bundled undici).
    const form = await new Response(request!.body, {
      headers: { "content-type": request!.headers["content-type"]! },
    }).formData();
    expect(form.get("authorType")).toBe("bot");
    const file = form.get("attachment") as File;
    expect(file.name).toBe('receipt "final".pdf');
    expect(file.type).toBe("application/pdf");
    expect(Buffer.from(await file.arrayBuffer())).toEqual(bytes);
  });

  it("reads `size` when `sizeInBytes` is missing (the spec's `required` list names `size`)", async () => {
    stub.enqueue({ body: { id: "a1", filename: "x.txt", size: 3 } });
    expect((await attachments().get("c1", "a1")).sizeInBytes).toBe(3);
    expect(stub.requests[0]?.path).toBe(`${base}/a1`);
  });

  it("lists attachments", async () => {
    stub.enqueue({ body: { _embedded: { attachments: [attachment] }, page: { number: 0, totalPages: 1 } } });
    expect((await attachments().list("c1", { size: 5 })).items).toEqual([attachment]);
  });

  it("downloads bytes with the file name from Content-Disposition", async () => {
    const bytes = Buffer.from([1, 2, 3, 0, 255]);
    stub.enqueue({
      body: bytes,
      headers: {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename="fallback.bin"; filename*=UTF-8''r%C3%A9sum%C3%A9.bin`,
      },
    });
    const downloaded = await attachments().download("c1", "a1");
    expect(downloaded).toEqual({ bytes, fileName: "résumé.bin", contentType: "application/octet-stream" });
    const [request] = stub.requests;
    expect(request?.path).toBe(`${base}/a1/content`);
    expect(request?.headers.accept).toBe("application/octet-stream, */*");
  });

  it("downloads with a plain quoted file name, stripped of any path", async () => {
    stub.enqueue({
      body: "hi",
      headers: {
        "content-type": "text/plain",
        "content-disposition": 'inline; filename="../../etc/notes.txt"',
      },
    });
    const downloaded = await attachments().download("c1", "a2");
    expect(downloaded.fileName).toBe("notes.txt");
    expect(downloaded.bytes.toString()).toBe("hi");
  });
});
