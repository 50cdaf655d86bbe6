/**
 * Splits text into sentences: after `.`, `!`, `?` or `…` followed by white space, and at line breaks.
 * Abbreviations such as "z. B." may split a sentence; extractive summaries and answers tolerate that.
 *
 * @example
 * splitSentences("Hi! Where is my parcel? Order A-1009."); // ["Hi!", "Where is my parcel?", "Order A-1009."]
 */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?…])\s+|\s*\n+\s*/u)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== "");
}

/** Shortens `text` to at most `max` characters at a word boundary, marking the cut with "…". */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
