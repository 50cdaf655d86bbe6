/**
 * Words that carry no meaning for a search or for matching an answer sentence to a question, English and
 * German. Kept short on purpose: a word missing here only costs a little ranking precision.
 */
export const stopWords: ReadonlySet<string> = new Set(
  `a an and are as at be been but by can could do does did for from had has have how i if in into is it its
  me my of on or our please so than that the their them then there these they this to was we were what when
  where which who why will with would you your yours hi hello hey thanks thank
  der die das den dem des ein eine einen einem einer eines und oder aber ist sind war waren bin bist sein
  ich du er sie es wir ihr mein meine meinen meinem meiner mich mir dich dir uns euch ihnen
  zu zum zur im in am an auf aus bei mit nach von vor für über um wie was wo wann warum welche welcher welches
  wer kann können könnte habe hast hat haben hatte dass da dann auch noch nur schon so sehr bitte danke hallo
  hab ja nein nicht kein keine`
    .split(/\s+/)
    .filter((word) => word !== ""),
);

/**
 * The meaningful words of `text`, lower case, in order of appearance, without duplicates.
 *
 * @example
 * contentTerms("How do I return my shoes?"); // ["return", "shoes"]
 */
export function contentTerms(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((word) => word.length >= 2 && !stopWords.has(word)))];
}

/**
 * Whether two terms are the same word up to an inflection: equal, or sharing a prefix of at least five
 * letters ("refunds" ~ "refunded", "Rücksendung" ~ "Rücksendungen").
 */
export function sameStem(a: string, b: string): boolean {
  if (a === b) return true;
  const shorter = Math.min(a.length, b.length);
  if (shorter < 4) return false;
  const prefix = Math.min(shorter, 5);
  return a.slice(0, prefix) === b.slice(0, prefix);
}
