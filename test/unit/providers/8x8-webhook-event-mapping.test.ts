import { describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import {
  eventTypeLabel,
  isVerifyEvent,
  mapWebhookEvent,
  parseWebhookEnvelope,
  type WebhookEventDisposition,
} from "../../../src/providers/8x8/webhook-events.ts";

const context = { providerId: "eight", eventId: "evt-1" };
const base = { providerId: "eight", conversationId: "cv_7Hq2LmZt0aQ", eventId: "evt-1" };

function map(body: unknown): WebhookEventDisposition {
  return mapWebhookEvent(parseWebhookEnvelope(JSON.stringify(body)), context);
}

/** Every example of 8x8's webhook events reference (and variants its docs imply) → its domain event. */
const relayed: [string, unknown, unknown][] = [
  [
    "CONVERSATION_UPDATE (8x8's example)",
    {
      eventType: "CONVERSATION_UPDATE",
      conversationId: "cv_7Hq2LmZt0aQ",
      timestamp: 1767225600123,
      data: {
        state: "active",
        assignment: { type: "queue", id: "311" },
        user: {
          name: "Ana Pereira",
          userId: "crm-88231",
          email: "ana.pereira@example.org",
          phone: "+351910000001",
          language: "pt",
          ipaddress: "203.0.113.9",
          timezoneOffset: -300,
          additionalProperties: [{ key: "Plan", value: "gold", id: "p1" }],
        },
        channel: "ChatAPI",
        somethingNew: true,
      },
    },
    {
      ...base,
      occurredAt: 1767225600123,
      kind: "conversation.state",
      state: "active",
      assignment: { type: "queue", id: "311" },
      user: {
        name: "Ana Pereira",
        userId: "crm-88231",
        email: "ana.pereira@example.org",
        phone: "+351910000001",
        language: "pt",
        additionalProperties: [{ key: "Plan", value: "gold" }],
      },
      channel: "ChatAPI",
    },
  ],
  [
    "CONVERSATION_UPDATE with upper-case state and numeric ids",
    {
      eventType: "CONVERSATION_UPDATE",
      conversationId: 4711,
      timestamp: 5,
      data: { state: "CREATED", assignment: { type: "Agent", id: 25 } },
    },
    {
      ...base,
      conversationId: "4711",
      occurredAt: 5,
      kind: "conversation.state",
      state: "created",
      assignment: { type: "agent", id: "25" },
    },
  ],
  [
    "QUEUED",
    {
      eventType: "QUEUED",
      conversationId: "cv_7Hq2LmZt0aQ",
      timestamp: 1767225600456,
      data: { queueId: "311", queueName: "Billing EN" },
    },
    {
      ...base,
      occurredAt: 1767225600456,
      kind: "conversation.queued",
      queueId: "311",
      queueName: "Billing EN",
    },
  ],
  [
    "MEMBERS_CHANGED agent joined",
    {
      eventType: "MEMBERS_CHANGED",
      conversationId: "cv_7Hq2LmZt0aQ",
      timestamp: 1767225655001,
      data: { memberType: "agent", change: "joined", id: "agQx81pLrT0mVbE3" },
    },
    {
      ...base,
      occurredAt: 1767225655001,
      kind: "participant.joined",
      role: "agent",
      participantId: "agQx81pLrT0mVbE3",
    },
  ],
  [
    "MEMBERS_CHANGED user left",
    {
      eventType: "MEMBERS_CHANGED",
      conversationId: "cv_7Hq2LmZt0aQ",
      timestamp: 9,
      data: { memberType: "user", change: "left", id: "user" },
    },
    { ...base, occurredAt: 9, kind: "participant.left", role: "user", participantId: "user" },
  ],
  [
    "TRANSFER without data",
    { eventType: "TRANSFER", conversationId: "cv_7Hq2LmZt0aQ", timestamp: 1767225900777 },
    { ...base, occurredAt: 1767225900777, kind: "conversation.transferred" },
  ],
  [
    "MESSAGE from an agent with an attachment",
    {
      eventType: "MESSAGE",
      conversationId: "cv_7Hq2LmZt0aQ",
      timestamp: 1767225671234,
      data: {
        isEcho: false,
        sender: { id: "agQx81pLrT0mVbE3", type: "agent" },
        text: "I've refunded the duplicate charge. Anything else?",
        attachments: [
          {
            id: "att_51c0",
            type: "file",
            preSignedUrl: "https://files.example.net/att_51c0?sig=xyz",
            fileName: "refund-receipt.pdf",
          },
        ],
        cards: [],
      },
    },
    {
      ...base,
      occurredAt: 1767225671234,
      kind: "message.received",
      sender: { id: "agQx81pLrT0mVbE3", role: "agent" },
      text: "I've refunded the duplicate charge. Anything else?",
      attachments: [
        {
          id: "att_51c0",
          kind: "file",
          fileName: "refund-receipt.pdf",
          url: "https://files.example.net/att_51c0?sig=xyz",
        },
      ],
      cards: [],
    },
  ],
  [
    "MESSAGE from the system, attachment-only fields absent",
    {
      eventType: "MESSAGE",
      conversationId: "cv_7Hq2LmZt0aQ",
      timestamp: 3,
      data: {
        sender: { id: "sys", type: "SYSTEM" },
        cards: [{ contentType: "application/x", content: { a: 1 } }],
      },
    },
    {
      ...base,
      occurredAt: 3,
      kind: "message.received",
      sender: { id: "sys", role: "system" },
      text: "",
      attachments: [],
      cards: [{ contentType: "application/x", content: { a: 1 } }],
    },
  ],
  [
    "ACTIVITY typing",
    {
      eventType: "ACTIVITY",
      conversationId: "cv_7Hq2LmZt0aQ",
      timestamp: 1767225660000,
      data: { name: "typing", value: { users: [{ type: "agent", id: "agQx81pLrT0mVbE3" }] } },
    },
    {
      ...base,
      occurredAt: 1767225660000,
      kind: "typing",
      typists: [{ id: "agQx81pLrT0mVbE3", role: "agent" }],
    },
  ],
  [
    "ACTIVITY typing stopped (empty users)",
    {
      eventType: "ACTIVITY",
      conversationId: "cv_7Hq2LmZt0aQ",
      timestamp: 1767225663000,
      data: { name: "typing", value: { users: [] } },
    },
    { ...base, occurredAt: 1767225663000, kind: "typing", typists: [] },
  ],
  [
    "ACTIVITY adaptiveCard/action",
    {
      eventType: "ACTIVITY",
      conversationId: "cv_7Hq2LmZt0aQ",
      timestamp: 1767225700000,
      data: {
        name: "adaptiveCard/action",
        value: { type: "Action.Submit", data: { orderNumber: "A-1009", reason: "damaged" } },
      },
    },
    {
      ...base,
      occurredAt: 1767225700000,
      kind: "card.action",
      cardKind: "adaptiveCard",
      actionType: "Action.Submit",
      data: { orderNumber: "A-1009", reason: "damaged" },
    },
  ],
  [
    "ACTIVITY quickReply/action (payload)",
    {
      eventType: "ACTIVITY",
      conversationId: "cv_7Hq2LmZt0aQ",
      timestamp: 1767225710000,
      data: {
        name: "quickReply/action",
        value: { type: "postback", data: { title: "Talk to billing", payload: "billing" } },
      },
    },
    {
      ...base,
      occurredAt: 1767225710000,
      kind: "card.action",
      cardKind: "quickReply",
      actionType: "postback",
      data: { title: "Talk to billing", payload: "billing" },
    },
  ],
  [
    "ACTIVITY quickReply/action reporting postback instead of payload",
    {
      eventType: "ACTIVITY",
      conversationId: "cv_7Hq2LmZt0aQ",
      timestamp: 1,
      data: {
        name: "quickReply/action",
        value: { type: "postback", data: { title: "Track", postback: "track" } },
      },
    },
    {
      ...base,
      occurredAt: 1,
      kind: "card.action",
      cardKind: "quickReply",
      actionType: "postback",
      data: { title: "Track", postback: "track", payload: "track" },
    },
  ],
  [
    "ACTIVITY read-receipts (value is an array)",
    {
      eventType: "ACTIVITY",
      conversationId: "cv_7Hq2LmZt0aQ",
      timestamp: 1767225720000,
      data: {
        name: "read-receipts",
        value: [{ timestamp: 1767225719000, users: [{ id: "agQx81pLrT0mVbE3", type: "agent" }] }],
      },
    },
    {
      ...base,
      occurredAt: 1767225720000,
      kind: "read.receipt",
      receipts: [{ readAt: 1767225719000, readers: [{ id: "agQx81pLrT0mVbE3", role: "agent" }] }],
    },
  ],
];

describe("8x8 webhook events map to domain events", () => {
  it.each(relayed)("%s", (_name, body, expected) => {
    expect(map(body)).toEqual({ action: "relay", event: expected });
  });

  it("uses timestamp 0 when the payload has none (older examples)", () => {
    const result = map({ eventType: "TRANSFER", conversationId: "cv_1" });
    expect(result).toMatchObject({ action: "relay", event: { occurredAt: 0 } });
  });
});

describe("8x8 webhook events that are not handed on", () => {
  it.each([
    ["an echo of our own message", { isEcho: true, sender: { id: "a1", type: "agent" }, text: "hi" }],
    [
      "a user-authored message without isEcho (8x8 does not say whether those echo)",
      { isEcho: false, sender: { id: "u1", type: "user" }, text: "hi" },
    ],
    ["a user-authored message with isEcho absent", { sender: { id: "u1", type: "USER" }, text: "hi" }],
    ["a bot-authored message", { isEcho: false, sender: { id: "b1", type: "bot" }, text: "hi" }],
  ])("ignores MESSAGE: %s", (_name, data) => {
    const result = map({ eventType: "MESSAGE", conversationId: "cv_1", timestamp: 1, data });
    expect(result).toMatchObject({ action: "ignore", level: "debug" });
  });

  it.each([
    ["an unknown eventType", { eventType: "AGENT_JOINED", conversationId: "cv_1", agentId: "a1" }],
    [
      "an unknown ACTIVITY name (CPaaS interactive/reply)",
      {
        eventType: "ACTIVITY",
        conversationId: "cv_wa_55",
        timestamp: 1767225730000,
        data: {
          name: "interactive/reply",
          value: { type: "button_reply", button_reply: { id: "yes_1", title: "Yes" } },
        },
      },
    ],
  ])("ignores %s at info level", (_name, body) => {
    expect(map(body)).toMatchObject({ action: "ignore", level: "info" });
  });

  it.each([
    [
      "a state outside created|active|idle",
      { eventType: "CONVERSATION_UPDATE", conversationId: "c", data: { state: "closed" } },
    ],
    ["QUEUED without queueId", { eventType: "QUEUED", conversationId: "c", data: { queueName: "x" } }],
    [
      "MEMBERS_CHANGED with an unknown change",
      {
        eventType: "MEMBERS_CHANGED",
        conversationId: "c",
        data: { memberType: "agent", change: "moved", id: "a" },
      },
    ],
    [
      "MESSAGE from an unknown sender type",
      {
        eventType: "MESSAGE",
        conversationId: "c",
        data: { sender: { id: "x", type: "customer" }, text: "my secret" },
      },
    ],
    [
      "MESSAGE with a text that is an object",
      {
        eventType: "MESSAGE",
        conversationId: "c",
        data: { sender: { id: "x", type: "agent" }, text: { my: "secret" } },
      },
    ],
    ["a known event without conversationId", { eventType: "QUEUED", data: { queueId: "1" } }],
  ])("reports %s as unreadable without echoing its values", (_name, body) => {
    const result = map(body);
    expect(result.action).toBe("unreadable");
    expect(JSON.stringify(result)).not.toContain("secret");
  });
});

describe("8x8 webhook envelope", () => {
  it.each([
    ["not JSON", "{nope"],
    ["a JSON array", "[]"],
    ["a JSON string", '"MESSAGE"'],
    ["an object without eventType", '{"conversationId":"c"}'],
    ["an object with an empty eventType", '{"eventType":""}'],
  ])("refuses a body that is %s with BODY_INVALID", (_name, raw) => {
    expect(() => parseWebhookEnvelope(raw)).toThrow(BatonError);
    try {
      parseWebhookEnvelope(raw);
    } catch (error) {
      expect((error as BatonError).code).toBe("BATON_ERR_WEBHOOK_BODY_INVALID");
      expect((error as BatonError).status).toBe(400);
    }
  });

  it("recognises WEB_HOOK_VERIFY and nothing else as the verify event", () => {
    expect(
      isVerifyEvent(Buffer.from('{"notificationVersion":"Chat Gateway v1.0","eventType":"WEB_HOOK_VERIFY"}')),
    ).toBe(true);
    expect(isVerifyEvent(Buffer.from('{"eventType":"QUEUED"}'))).toBe(false);
    expect(isVerifyEvent(Buffer.from("not json"))).toBe(false);
  });

  it("labels metrics with known event types only", () => {
    expect(eventTypeLabel("MESSAGE")).toBe("MESSAGE");
    expect(eventTypeLabel("message")).toBe("MESSAGE");
    expect(eventTypeLabel("x".repeat(300))).toBe("other");
  });
});
