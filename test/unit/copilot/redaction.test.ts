import { describe, expect, it } from "vitest";
import { passesLuhn, redact } from "../../../src/copilot/redaction.ts";

describe("redaction", () => {
  it.each([
    // card numbers: 13–19 digits, grouped or not, only when the Luhn check passes
    ["Card 4111 1111 1111 1111 please", "Card [card number] please"],
    ["4111-1111-1111-1111", "[card number]"],
    ["my amex 378282246310005.", "my amex [card number]."],
    ["Mastercard 5500 0000 0000 0004, exp 12/27", "Mastercard [card number], exp 12/27"],
    ["Visa 13 digits 4222222222222", "Visa 13 digits [card number]"],
    // e-mail addresses
    ["Write to ann.lee+shop@example.co.uk today", "Write to [e-mail] today"],
    ["MAX.MUSTERMANN@EXAMPLE.DE", "[e-mail]"],
    // phone numbers: international and common national formats
    ["Call +49 30 1234567", "Call [phone]"],
    ["Call +49 (0)30 123 45 67 please", "Call [phone] please"],
    ["+1 (415) 555-0100", "[phone]"],
    ["+441632960961", "[phone]"],
    ["Ruf mich an: 030 1234567", "Ruf mich an: [phone]"],
    ["Handy 0151/12345678", "Handy [phone]"],
    ["0049 151 12345678", "[phone]"],
    ["(030) 123 45 67", "[phone]"],
    ["office 415-555-0100 or 415.555.0101", "office [phone] or [phone]"],
    ["mail ann@example.com, call 0171 2345678", "mail [e-mail], call [phone]"],
  ])("masks %j", (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    // what an agent must still see
    ["Order A-1009 arrived damaged"],
    ["Bestellung 100234567 ist nicht angekommen"],
    ["Order #0012345678 and id 0001234567"],
    ["It cost 120 EUR, or 1.299,00 EUR with the extras"],
    ["Paid 19.99 on 2024-05-01"],
    ["Delivered on 01.05.2024 10:00, 12/05/2024 at 09:30"],
    ["We are open 08:00-18:00, since 1998"],
    ["Invoice 2024-118, customer 4711"],
    // 16 digits that fail the Luhn check are not a card (and not a phone number either)
    ["Reference 4111 1111 1111 1112"],
    ["Tracking 1234567890123456"],
    // an e-mail-like word without a domain
    ["ping @support or user@localhost"],
  ])("leaves %j alone", (input) => {
    expect(redact(input)).toBe(input);
  });

  it("masks each kind only when it is switched on", () => {
    const text = "4111 1111 1111 1111 / ann@example.com / +49 30 1234567";
    expect(redact(text, { cardNumbers: false })).toBe("4111 1111 1111 1111 / [e-mail] / [phone]");
    expect(redact(text, { emails: false })).toBe("[card number] / ann@example.com / [phone]");
    expect(redact(text, { phoneNumbers: false })).toBe("[card number] / [e-mail] / +49 30 1234567");
    expect(redact(text, { cardNumbers: false, emails: false, phoneNumbers: false })).toBe(text);
  });

  it("reads a card number as a card, not as a phone number", () => {
    expect(redact("0 4111 1111 1111 1111")).toBe("0 [card number]");
    expect(redact("Karte: 4111111111111111")).toBe("Karte: [card number]");
  });

  it("handles long digit runs quickly (no catastrophic backtracking)", () => {
    const text = `0${"1 ".repeat(5_000)}x`;
    const started = Date.now();
    redact(text);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it.each([
    ["4111111111111111", true],
    ["378282246310005", true],
    ["4111111111111112", false],
    ["", false],
    ["41a1", false],
  ])("Luhn check of %j is %s", (digits, expected) => {
    expect(passesLuhn(digits)).toBe(expected);
  });
});
