import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { onTestFinished } from "vitest";
import type { FlowHandoverInput } from "../../src/handover/types.ts";
import type { ConversationMessage, HandoverBanner } from "../../src/protocol/messages.ts";
import { waitFor } from "./wait-for.ts";

/** A delivery's JSON body, flattened for tests (docs/bot-api.md lists the shapes by `type`). */
export interface DeliveryBody {
  readonly type: "message" | "userMessage" | "banner" | "handover";
  readonly endpointId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly message?: ConversationMessage;
  readonly banner?: HandoverBanner;
  readonly handover?: FlowHandoverInput;
}

/** One request the bot's callback URL received, whatever it answered. */
export interface CallbackAttempt {
  readonly deliveryId: string;
  readonly timestamp: number;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  readonly body: DeliveryBody;
  /** The receiver's own check of `x-baton-signature` (HMAC over "<timestamp>.<raw body>", ±5 min window). */
  readonly verified: boolean;
  /** What the receiver answered. */
  readonly status: number;
  readonly receivedAt: number;
}

/** What an external bot does on each request, written the way docs/bot-api.md tells bot authors to. */
export function verifyBatonSignature(
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: string,
  now = Date.now(),
): boolean {
  const signature = headers["x-baton-signature"];
  const timestamp = headers["x-baton-timestamp"];
  if (typeof signature !== "string" || typeof timestamp !== "string") return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > 5 * 60_000) return false;
  const expected = Buffer.from(
    `sha256=${createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex")}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * An external bot's webhook receiver on 127.0.0.1 port 0 (closed when the test ends). It records every
 * attempt, checks each signature with its own code, and answers 200 unless told otherwise with `reply`.
 */
export async function startBotReceiver(secret: string) {
  const attempts: CallbackAttempt[] = [];
  const replies: { status: number; headers?: Record<string, string> }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      const reply = replies.shift() ?? { status: 200 };
      attempts.push({
        deliveryId: String(req.headers["x-baton-delivery"]),
        timestamp: Number(req.headers["x-baton-timestamp"]),
        headers: req.headers,
        rawBody,
        body: JSON.parse(rawBody) as DeliveryBody,
        verified: verifyBatonSignature(secret, req.headers, rawBody),
        status: reply.status,
        receivedAt: Date.now(),
      });
      res.writeHead(reply.status, reply.headers ?? {});
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const accepted = () => attempts.filter((a) => a.status >= 200 && a.status < 300);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/baton`,
    attempts,
    /** The next requests are answered with these, in order; afterwards 200. */
    reply(...next: { status: number; headers?: Record<string, string> }[]) {
      replies.push(...next);
    },
    /** Bodies the bot accepted (2xx), in arrival order. */
    received: () => accepted().map((a) => a.body),
    /** Waits for an accepted body that matches. */
    waitForBody(match: (body: DeliveryBody) => boolean, timeoutMs = 10_000, what = "a delivery") {
      return waitFor(() => accepted().find((a) => match(a.body))?.body, timeoutMs, what);
    },
  };
}

export type BotReceiver = Awaited<ReturnType<typeof startBotReceiver>>;
