/**
 * Masks personal data in transcript text before it reaches the Copilot workspace (and the AI port): card
 * numbers, e-mail addresses and phone numbers, each switchable (`copilot.redaction` in the config).
 *
 * The rules lean towards masking a real phone or card number, but they must not eat what an agent needs:
 * order numbers (`A-1009`, `#0012345`), dates, times, years and amounts stay as they are.
 */
export interface RedactionOptions {
  /** 13–19 digits (spaces or dashes allowed) that pass the Luhn check → `[card number]`. */
  readonly cardNumbers: boolean;
  /** `name@example.com` → `[e-mail]`. */
  readonly emails: boolean;
  /** `+49 30 1234567`, `030 1234567`, `(030) 123 45 67`, `415-555-0100` → `[phone]`. */
  readonly phoneNumbers: boolean;
}

export const defaultRedaction: RedactionOptions = { cardNumbers: true, emails: true, phoneNumbers: true };

const emailPattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

/**
 * 13 to 19 digits, single spaces or dashes between them; not part of a longer number or after a `+`.
 * Payment card numbers never start with 0 (ISO/IEC 7812), which keeps `0049 151 …` a phone number.
 */
const cardCandidatePattern = /(?<![\d+])[1-9](?:[ -]?\d){12,18}(?!\d)/g;

/**
 * Phone candidates. Each alternative needs a phone-like start, because a bare run of digits is far more
 * often an order or customer number than a phone number:
 * - international: `+` and the country code, optionally an area code in parentheses;
 * - national trunk prefix `0` (or `00` + country code), but not `000…`, which is how padded ids look;
 * - an area code in parentheses, `(030) 1234567`, `(415) 555-0100`;
 * - the North American grouping `415-555-0100` / `415.555.0100`.
 * Groups are joined by exactly one space, dot, slash or dash (never a line break), which also keeps the
 * pattern free of nested ambiguous repetition (no catastrophic backtracking on long digit runs).
 */
const phoneCandidatePattern = new RegExp(
  String.raw`(?<![\w#+./-])(?:` +
    [
      String.raw`\+\d{1,3}(?:[ ./-]?\(\d{1,5}\))?[ ./-]?\d+(?:[ ./-]\d+)*`,
      String.raw`0(?:0[1-9]|[1-9])\d*(?:[ ./-]\d+)*`,
      String.raw`\(\d{2,5}\)[ ./-]?\d+(?:[ ./-]\d+)*`,
      String.raw`\d{3}[-. ]\d{3}[-. ]\d{4}`,
    ].join("|") +
    String.raw`)(?!\w)`,
  "g",
);

/** A date at the start of a phone candidate (01.05.2024, 2024-05-01): never part of a phone number. */
const leadingDatePattern = /^(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2})(?![\d])/;

/**
 * Masks what `options` asks for; everything else in `text` is left byte for byte.
 *
 * @example
 * redact("Card 4111 1111 1111 1111, mail me at ann@example.com or call +49 30 1234567");
 * // "Card [card number], mail me at [e-mail] or call [phone]"
 */
export function redact(text: string, options: Partial<RedactionOptions> = {}): string {
  const { cardNumbers, emails, phoneNumbers } = { ...defaultRedaction, ...options };
  let result = text;
  // E-mails first: their digits must not be read as a phone number. Cards before phones: a card number
  // written in groups could otherwise pass as a phone number and be labelled wrongly.
  if (emails) result = result.replace(emailPattern, "[e-mail]");
  if (cardNumbers) {
    result = result.replace(cardCandidatePattern, (match) =>
      passesLuhn(match.replace(/\D/g, "")) ? "[card number]" : match,
    );
  }
  if (phoneNumbers) {
    result = maskPhoneNumbers(result);
  }
  return result;
}

function maskPhoneNumbers(text: string): string {
  return text.replace(phoneCandidatePattern, (candidate) => {
    // "01.05.2024 10:00" starts like a national number; keep the date and look at the rest on its own.
    const date = leadingDatePattern.exec(candidate)?.[0];
    if (date !== undefined) return date + maskPhoneNumbers(candidate.slice(date.length));
    const digits = candidate.replace(/\D/g, "").length;
    return digits >= 7 && digits <= 15 ? "[phone]" : candidate;
  });
}

/** The Luhn (mod 10) check every payment card number satisfies. */
export function passesLuhn(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
