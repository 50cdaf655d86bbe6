import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach } from "vitest";

/** A chat completions request as the fake server received it. */
export interface ChatCompletionRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly model: string;
  readonly messages: readonly { readonly role: string; readonly content: string }[];
  readonly responseFormat: unknown;
  readonly body: Record<string, unknown>;
  /** Every message's content joined: what the model was told, for `toContain` checks. */
  readonly prompt: string;
}

/** What the fake model does: answer `content`, fail with `status`, or never answer. */
export type FakeReply =
  | { readonly content: string }
  | { readonly status: number; readonly body?: object }
  | { readonly hang: true };

export interface FakeOpenAiServer {
  /** `http://127.0.0.1:<port>/v1`, the base URL an OpenAI-compatible client is given. */
  readonly baseUrl: string;
  readonly requests: ChatCompletionRequest[];
  /** How the next requests are answered (default: 200 with the content "ok"). */
  reply(handler: (request: ChatCompletionRequest) => FakeReply): void;
}

/**
 * A fake OpenAI-compatible server on 127.0.0.1 port 0 for the whole test file: `POST /v1/chat/completions`
 * answers in the chat completions format (anything else is 404), records each request, and closes every
 * hanging connection when the file ends.
 */
export function useFakeOpenAiServer(): FakeOpenAiServer {
  let server: Server | undefined;
  let baseUrl = "";
  const requests: ChatCompletionRequest[] = [];
  let handler: (request: ChatCompletionRequest) => FakeReply = () => ({ content: "ok" });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
          res.writeHead(404, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: "not found", type: "invalid_request_error" } }));
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
        const messages = body.messages as { role: string; content: string }[];
        const request: ChatCompletionRequest = {
          path: req.url,
          headers: req.headers,
          model: body.model as string,
          messages,
          responseFormat: body.response_format,
          body,
          prompt: messages.map((m) => m.content).join("\n"),
        };
        requests.push(request);
        const reply = handler(request);
        if ("hang" in reply) return;
        if ("status" in reply) {
          res.writeHead(reply.status, { "content-type": "application/json" });
          res.end(
            JSON.stringify(reply.body ?? { error: { message: "the model failed", type: "server_error" } }),
          );
          return;
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id: `chatcmpl-${requests.length}`,
            object: "chat.completion",
            created: 1_700_000_000,
            model: request.model,
            choices: [
              { index: 0, message: { role: "assistant", content: reply.content }, finish_reason: "stop" },
            ],
            usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  beforeEach(() => {
    requests.length = 0;
    handler = () => ({ content: "ok" });
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  return {
    get baseUrl() {
      return baseUrl;
    },
    requests,
    reply(next) {
      handler = next;
    },
  };
}
