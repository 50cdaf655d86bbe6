import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { onTestFinished } from "vitest";
import { replayableHeaders } from "./recording-proxy.ts";

/** A delivery the balancer kept instead of passing it on: exactly as the sender signed it. */
export interface HeldDelivery {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
  /** From the JSON body, for the test's bookkeeping (the gateway reads the bytes). */
  readonly eventType: string | undefined;
  readonly conversationId: string | undefined;
  readonly timestamp: number | undefined;
}

export interface WebhookBalancer {
  /** `http://127.0.0.1:<port>`: the public URL 8x8's webhook is set up with. */
  readonly url: string;
  /** The instances behind it; deliveries go to them in turn (round robin), same path, same bytes. */
  setTargets(urls: readonly string[]): void;
  /**
   * From now on every delivery is answered 200 at once and kept in `held` instead of passed on (the sender
   * considers it delivered), until `release`.
   */
  hold(): void;
  readonly held: readonly HeldDelivery[];
  /**
   * Sends the held deliveries at once (concurrently), in `order` (indexes into `held`), the i-th of them to
   * `targetOf(i)`; forwarding resumes. Resolves with the statuses the instances answered, in that order.
   */
  release(order: readonly number[], targetOf: (i: number) => string): Promise<number[]>;
  close(): Promise<void>;
}

/**
 * A load balancer in front of several gateway instances for 8x8's webhook deliveries, on 127.0.0.1 port 0:
 * round robin, or holding deliveries so the test decides which instance gets each and in which order.
 * With no target it answers 503 (as a balancer with no healthy instance would). Closed when the test ends.
 *
 * @example
 * const balancer = await startWebhookBalancer();
 * balancer.setTargets([a.url, b.url]);
 * balancer.hold();
 * await balancer.release([2, 0, 1], (i) => (i % 2 === 0 ? a.url : b.url));
 */
export async function startWebhookBalancer(): Promise<WebhookBalancer> {
  let targets: readonly string[] = [];
  let next = 0;
  let holding = false;
  const held: HeldDelivery[] = [];

  async function forward(target: string, path: string, headers: IncomingHttpHeaders, rawBody: Buffer) {
    const upstream = await request(`${target}${path}`, {
      method: "POST",
      headers: replayableHeaders(headers),
      body: rawBody,
    });
    await upstream.body.dump();
    return upstream.statusCode;
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks);
      const path = req.url ?? "/";
      if (holding) {
        held.push({ path, headers: req.headers, rawBody, ...describe(rawBody) });
        res.writeHead(200).end();
        return;
      }
      const target = targets[next++ % Math.max(1, targets.length)];
      if (target === undefined) {
        res.writeHead(503).end();
        return;
      }
      forward(target, path, req.headers, rawBody).then(
        (status) => res.writeHead(status).end(),
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  onTestFinished(close);

  return {
    url: `http://127.0.0.1:${port}`,
    setTargets(urls) {
      targets = urls;
    },
    hold() {
      holding = true;
    },
    held,
    async release(order, targetOf) {
      const batch = order.map((index) => {
        const delivery = held[index];
        if (delivery === undefined) throw new Error(`no held delivery ${index}`);
        return delivery;
      });
      held.length = 0;
      holding = false;
      return Promise.all(
        batch.map((delivery, i) => forward(targetOf(i), delivery.path, delivery.headers, delivery.rawBody)),
      );
    },
    close,
  };
}

function describe(rawBody: Buffer): Pick<HeldDelivery, "eventType" | "conversationId" | "timestamp"> {
  try {
    const body = JSON.parse(rawBody.toString("utf8")) as Record<string, unknown>;
    return {
      eventType: typeof body.eventType === "string" ? body.eventType : undefined,
      conversationId: typeof body.conversationId === "string" ? body.conversationId : undefined,
      timestamp: typeof body.timestamp === "number" ? body.timestamp : undefined,
    };
  } catch {
    return { eventType: undefined, conversationId: undefined, timestamp: undefined };
  }
}
