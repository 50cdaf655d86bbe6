import { describe, expect, it } from "vitest";
import { providerMessageKey } from "../../../src/handover/provider-message-key.ts";
import type { ProviderMessageEvent } from "../../../src/providers/port.ts";

const webhook: ProviderMessageEvent = {
  kind: "message.received",
  providerId: "eight",
  conversationId: "cv_1",
  eventId: "x-8x8-event-id-1",
  occurredAt: 1_767_225_671_234,
  sender: { id: "agent-anna", role: "agent" },
  text: "I've refunded the duplicate charge.",
  attachments: [
    { id: "att_51c0", kind: "file", fileName: "receipt.pdf", url: "https://files.example/a?sig=1" },
  ],
  cards: [
    { contentType: "application/vnd.microsoft.card.adaptive", content: { type: "AdaptiveCard", body: [] } },
  ],
};

/** The same message as a catch-up read of 8x8's REST API carries it. */
const caughtUp: ProviderMessageEvent = {
  ...webhook,
  eventId: "catch-up:msg-9",
  attachments: [
    { id: "att_51c0", kind: "file", fileName: "receipt.pdf", url: "data:application/pdf;base64,JVBE" },
  ],
  cards: [
    { contentType: "application/vnd.microsoft.card.adaptive", content: { body: [], type: "AdaptiveCard" } },
  ],
};

describe("the key that makes one provider message one, by webhook and by catch-up", () => {
  it("is the same for both ways a message arrives: event ids, file links and card key order do not count", () => {
    expect(providerMessageKey(caughtUp)).toBe(providerMessageKey(webhook));
    expect(providerMessageKey(webhook)).toMatch(/^1767225671234:[A-Za-z0-9_-]{43}$/);
  });

  it("tells apart messages that differ in sender, instant, text, files or cards", () => {
    const key = providerMessageKey(webhook);
    const variants: ProviderMessageEvent[] = [
      { ...webhook, sender: { id: "agent-ben", role: "agent" } },
      { ...webhook, occurredAt: webhook.occurredAt + 1 },
      { ...webhook, text: "I've refunded the duplicate charge!" },
      { ...webhook, attachments: [] },
      { ...webhook, attachments: [{ ...webhook.attachments[0]!, id: "att_other" }] },
      { ...webhook, cards: [] },
      {
        ...webhook,
        cards: [{ contentType: "application/vnd.microsoft.card.adaptive", content: { type: "Other" } }],
      },
    ];
    const keys = variants.map(providerMessageKey);
    expect(keys).not.toContain(key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("is stable: the same message gives the same key every time", () => {
    expect(providerMessageKey({ ...webhook })).toBe(providerMessageKey(webhook));
  });
});
