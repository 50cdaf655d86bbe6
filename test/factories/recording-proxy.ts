import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";

/** One request exactly as it arrived: lower-cased headers and the raw body bytes. */
export interface RecordedHttpRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
  /** What the proxy answered (the upstream's status when forwarding). */
  readonly status: number;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:<port>/hook`; any other path on the same port is recorded (and forwarded) too. */
  readonly url: string;
  readonly requests: readonly RecordedHttpRequest[];
  close(): Promise<void>;
}

/** Connection-scoped headers that must not be copied onto another connection. */
const hopByHop = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

/** The end-to-end headers of a recorded request, ready to send again unchanged. */
export function replayableHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name)) continue;
    copy[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return copy;
}

/**
 * A node:http server on 127.0.0.1 port 0 that records every request byte for byte. With `forwardTo` it passes
 * each request on unchanged (same method, end-to-end headers and body) and answers with the upstream's status
 * and body, so a webhook sender talks to the real receiver through it; without, it answers 200.
 *
 * @example
 * const proxy = await startRecordingProxy(gatewayWebhookUri);
 * // point the sender at proxy.url, then replay proxy.requests[0] byte for byte
 * await proxy.close();
 */
export async function startRecordingProxy(forwardTo?: string): Promise<RecordingProxy> {
  const requests: RecordedHttpRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks);
      const method = req.method ?? "POST";
      answer(method, req.headers, rawBody)
        .then(({ status, body }) => {
          requests.push({ method, path: req.url ?? "/", headers: req.headers, rawBody, status });
          res.writeHead(status).end(body);
        })
        // answer() turns upstream failures into a 502; only a failed write lands here, and the sender
        // should then see its request fail rather than hang.
        .catch(() => res.destroy());
    });
  });

  async function answer(
    method: string,
    headers: IncomingHttpHeaders,
    rawBody: Buffer,
  ): Promise<{ status: number; body: Buffer }> {
    if (forwardTo === undefined) return { status: 200, body: Buffer.alloc(0) };
    try {
      const upstream = await request(forwardTo, {
        method: method as "POST",
        headers: replayableHeaders(headers),
        body: rawBody,
      });
      return { status: upstream.statusCode, body: Buffer.from(await upstream.body.arrayBuffer()) };
    } catch {
      return { status: 502, body: Buffer.alloc(0) };
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
