import type { WebchatServerFrame } from "../../../src/protocol/webchat.ts";

/**
 * Reads one WebSocket text frame from the gateway. Unknown frame types are ignored rather than fatal: the
 * protocol grows by adding frame types, so an older page must keep working against a newer gateway. The
 * checks are the ones the page relies on (a message without a numeric seq could not be deduplicated).
 */
export function parseServerFrame(raw: unknown): WebchatServerFrame | undefined {
  if (typeof raw !== "string") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.type !== "string") return undefined;
  switch (value.type) {
    case "ready":
      return typeof value.lastSeq === "number" ? (value as unknown as WebchatServerFrame) : undefined;
    case "message": {
      const message = value.message;
      return isRecord(message) &&
        typeof message.seq === "number" &&
        typeof message.source === "string" &&
        ["user", "bot", "agent", "system"].includes(message.source)
        ? (value as unknown as WebchatServerFrame)
        : undefined;
    }
    case "ack":
      return typeof value.clientMessageId === "string" && typeof value.seq === "number"
        ? (value as unknown as WebchatServerFrame)
        : undefined;
    case "typing":
      return (value.source === "bot" || value.source === "agent") && typeof value.active === "boolean"
        ? (value as unknown as WebchatServerFrame)
        : undefined;
    case "handover":
      return isRecord(value.banner) && typeof value.banner.state === "string"
        ? (value as unknown as WebchatServerFrame)
        : undefined;
    case "error":
      return typeof value.code === "string" && typeof value.message === "string"
        ? (value as unknown as WebchatServerFrame)
        : undefined;
    default:
      return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
