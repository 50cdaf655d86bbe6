import { describe, expect, it } from "vitest";
import { mapWebhookEvent, parseWebhookEnvelope } from "../../../src/providers/8x8/webhook-events.ts";

const context = { providerId: "eight", eventId: "evt-1" };

describe("8x8 webhook events under the input-hygiene rule", () => {
  it("relays an agent's message with NUL and lone surrogates, cleaned, so it reaches the user", () => {
    // As 8x8 would send it: JSON escapes in the raw body.
    const body =
      '{"eventType":"MESSAGE","conversationId":"cv-1","timestamp":1,"data":{"sender":{"id":"a1","type":"agent"},' +
      '"text":"hi\\u0000 there\\ud800","cards":[{"contentType":"adaptiveCard","content":{"t\\u0000":"\\udc00"}}]}}';
    const disposition = mapWebhookEvent(parseWebhookEnvelope(body), context);
    expect(disposition).toMatchObject({
      action: "relay",
      event: {
        kind: "message.received",
        text: "hi\uFFFD there\uFFFD",
        cards: [{ contentType: "adaptiveCard", content: { "t\uFFFD": "\uFFFD" } }],
      },
    });
  });

  it("refuses a body nested 200 000 deep with BATON_ERR_INPUT_TOO_DEEP, without overflowing", () => {
    const body = `{"eventType":"MESSAGE","conversationId":"cv-1","data":${"[".repeat(200_000)}${"]".repeat(200_000)}}`;
    expect(() => parseWebhookEnvelope(body)).toThrow(
      expect.objectContaining({ code: "BATON_ERR_INPUT_TOO_DEEP" }),
    );
  });
});
