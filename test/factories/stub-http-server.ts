import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach } from "vitest";

/** One request as the stub received it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string, still percent-encoded as sent. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased names, as node:http gives them. */
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body parsed as JSON (undefined when empty). */
  json(): unknown;
}

/** What the stub answers. `hang` never answers; `destroy` drops the socket without an answer. */
export interface StubReply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** An object is sent as JSON (content-type application/hal+json unless given). */
  readonly body?: string | Buffer | object;
  readonly hang?: boolean;
  readonly destroy?: boolean;
}

export type StubHandler = (request: RecordedRequest) => StubReply;

export interface StubHttpServer {
  /** `http://127.0.0.1:<port>`; set once the file's beforeAll ran. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Answers the next requests with these replies, in order; afterwards the handler answers. */
  enqueue(...replies: StubReply[]): void;
  /** Answers every request not covered by `enqueue`; default 200 `{}`. */
  handle(handler: StubHandler): void;
}

/**
 * A recording HTTP server on 127.0.0.1 port 0 for the whole test file: started in beforeAll, reset before each
 * test, closed (with every hanging connection) in afterAll.
 */
export function useStubHttpServer(): StubHttpServer {
  let server: Server | undefined;
  let url = "";
  const requests: RecordedRequest[] = [];
  const queue: StubReply[] = [];
  let handler: StubHandler = defaultHandler;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const recorded = record(req.method ?? "GET", req.url ?? "/", req.headers, Buffer.concat(chunks));
        requests.push(recorded);
        const reply = queue.shift() ?? handler(recorded);
        if (reply.hang) return;
        if (reply.destroy) {
          req.socket.destroy();
          return;
        }
        const { headers, body } = encodeReply(reply);
        res.writeHead(reply.status ?? 200, headers);
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    requests.length = 0;
    queue.length = 0;
    handler = defaultHandler;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  return {
    get url() {
      return url;
    },
    requests,
    enqueue: (...replies) => queue.push(...replies),
    handle: (next) => {
      handler = next;
    },
  };
}

function defaultHandler(): StubReply {
  return { status: 200, body: {} };
}

function record(method: string, rawUrl: string, headers: IncomingHttpHeaders, body: Buffer): RecordedRequest {
  const questionMark = rawUrl.indexOf("?");
  const path = questionMark === -1 ? rawUrl : rawUrl.slice(0, questionMark);
  const query = new URLSearchParams(questionMark === -1 ? "" : rawUrl.slice(questionMark + 1));
  return {
    method,
    path,
    query,
    headers,
    body,
    json: () => (body.length === 0 ? undefined : (JSON.parse(body.toString("utf8")) as unknown)),
  };
}

function encodeReply(reply: StubReply): { headers: Record<string, string>; body: Buffer } {
  const headers = { ...reply.headers };
  if (reply.body === undefined) return { headers, body: Buffer.alloc(0) };
  if (typeof reply.body === "string") return { headers, body: Buffer.from(reply.body, "utf8") };
  if (Buffer.isBuffer(reply.body)) return { headers, body: reply.body };
  headers["content-type"] ??= "application/hal+json";
  return { headers, body: Buffer.from(JSON.stringify(reply.body), "utf8") };
}
