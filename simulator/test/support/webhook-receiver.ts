import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export type ReceivedEvent = {
  eventType: string;
  conversationId?: string;
  timestamp?: number;
  notificationVersion?: string;
  data?: Record<string, unknown>;
};

export type ReceivedRequest = {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  event: ReceivedEvent;
  status: number;
};

export type WebhookReceiver = {
  url: string;
  requests: ReceivedRequest[];
  /** Events answered 2xx, in arrival order (what a receiver actually accepted). */
  accepted(): ReceivedRequest[];
  /** Accepted conversation events (WEB_HOOK_VERIFY left out), as `TYPE` or `TYPE:detail` labels. */
  labels(conversationId?: string): string[];
  close(): Promise<void>;
};

/**
 * A local webhook endpoint standing in for Baton. `respond` picks the status per request (by arrival
 * index), so tests can answer 500 then 200.
 */
export async function startWebhookReceiver(
  respond: (request: { index: number; event: ReceivedEvent }) => number = () => 200,
): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const event = JSON.parse(raw.toString("utf8")) as ReceivedEvent;
      const status = respond({ index: requests.length, event });
      requests.push({ headers: req.headers, raw, event, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const accepted = () => requests.filter((request) => request.status >= 200 && request.status < 300);
  return {
    url: `http://127.0.0.1:${port}/handover/eightByEight`,
    requests,
    accepted,
    labels: (conversationId) =>
      accepted()
        .map((request) => request.event)
        .filter((event) => event.eventType !== "WEB_HOOK_VERIFY")
        .filter((event) => conversationId === undefined || event.conversationId === conversationId)
        .map(labelOf),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A compact label for asserting event order, e.g. `CONVERSATION_UPDATE:active/queue`, `MESSAGE:user/echo`. */
export function labelOf(event: ReceivedEvent): string {
  const data = event.data ?? {};
  switch (event.eventType) {
    case "CONVERSATION_UPDATE": {
      const assignment = data["assignment"] as { type: string } | undefined;
      return `CONVERSATION_UPDATE:${String(data["state"])}${assignment ? `/${assignment.type}` : ""}`;
    }
    case "QUEUED":
      return `QUEUED:${String(data["queueId"])}`;
    case "MEMBERS_CHANGED":
      return `MEMBERS_CHANGED:${String(data["memberType"])}/${String(data["change"])}`;
    case "MESSAGE": {
      const sender = data["sender"] as { type: string };
      return `MESSAGE:${sender.type}/${data["isEcho"] === true ? "echo" : "new"}`;
    }
    case "ACTIVITY": {
      const value = data["value"] as { users: unknown[] };
      return `ACTIVITY:${String(data["name"])}/${value.users.length > 0 ? "start" : "stop"}`;
    }
    default:
      return event.eventType;
  }
}
