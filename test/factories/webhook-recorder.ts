import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedEvent {
  readonly eventType: string;
  readonly conversationId?: string;
  readonly data?: unknown;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly rawBody: Buffer;
}

export interface WebhookRecorder {
  readonly url: string;
  readonly events: readonly RecordedEvent[];
  /** Resolves with the first recorded event (past or future) that matches. */
  waitFor(match: (event: RecordedEvent) => boolean, timeoutMs?: number): Promise<RecordedEvent>;
  close(): Promise<void>;
}

/** A bare node:http webhook target on 127.0.0.1 that answers 200 and keeps every request. */
export async function createWebhookRecorder(): Promise<WebhookRecorder> {
  const events: RecordedEvent[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks);
      const body = JSON.parse(rawBody.toString("utf8")) as Omit<RecordedEvent, "headers" | "rawBody">;
      events.push({ ...body, headers: req.headers, rawBody });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    events,
    async waitFor(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(match);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`no matching webhook event within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
