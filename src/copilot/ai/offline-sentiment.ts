import type { SentimentLabel } from "../../protocol/copilot.ts";
import {
  contrastWords,
  englishNegators,
  functionVerbs,
  germanNegators,
  intensifiers,
  neutralAfter,
  symbolValence,
  wordValence,
} from "./sentiment-lexicon.ts";

/** Scores with an absolute value below this are `neutral` ("ok", "fine thanks?" hover around 0.1–0.3). */
export const neutralBand = 0.15;

/** How far a negator or intensifier reaches back ("not really very good"). */
const lookBack = 3;
/** How far a German negator after the word reaches ("das gefällt mir leider nicht"). */
const lookAhead = 3;
/** Normalisation constant: a single "good" (2) scores about 0.46, "terrible" (-3) about -0.61. */
const alpha = 15;

type Token =
  | { readonly kind: "word"; readonly text: string; readonly shouted: boolean }
  | { readonly kind: "symbol"; readonly valence: number }
  | { readonly kind: "clause" }
  | { readonly kind: "sentence" };

const emoticons = [...symbolValence.keys()]
  .filter((symbol) => /^[\x21-\x7e]+$/.test(symbol))
  .sort((a, b) => b.length - a.length)
  .map((symbol) => symbol.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));

/**
 * Emoticons only count as their own "word" (so the `:/` of a time or path is not a frown); emoji anywhere;
 * words are letters and digits with inner apostrophes (`don't` → `dont`).
 */
const tokenPattern = new RegExp(
  `(?<emoticon>(?<!\\S)(?:${emoticons.join("|")})(?=\\s|$|[.,!?]))` +
    `|(?<emoji>\\p{Extended_Pictographic})` +
    `|(?<word>[\\p{L}\\p{N}]+(?:['’][\\p{L}]+)*)` +
    `|(?<sentence>[.!?]+|\\n)` +
    `|(?<clause>[,;:()–—-])`,
  "gu",
);

/**
 * Lexicon-based sentiment of the user's texts, English and German: word valences, negation before the word
 * ("not good", "kein Problem") and, in German, after it ("funktioniert nicht"), intensifiers and softeners,
 * emoticons and emoji, shouting in capitals, exclamation marks, and "but"/"aber" clauses outweighing what
 * came before. Deterministic; the score is in -1…1, the label `neutral` within ±{@link neutralBand}.
 *
 * @example
 * scoreSentiment(["Das funktioniert leider nicht 😡"]); // { label: "negative", score: -0.73 }
 */
export function scoreSentiment(
  texts: readonly string[],
  band: number = neutralBand,
): { label: SentimentLabel; score: number } {
  let total = 0;
  for (const text of texts) total += scoreText(text);
  const score = Math.round((total / Math.sqrt(total * total + alpha)) * 1000) / 1000;
  const label: SentimentLabel = score >= band ? "positive" : score <= -band ? "negative" : "neutral";
  return { label, score: Object.is(score, -0) ? 0 : score };
}

function scoreText(text: string): number {
  const tokens = tokenize(text);
  const shoutingEverywhere = text === text.toUpperCase() && text !== text.toLowerCase();
  let sum = 0;
  let sentence: Token[][] = [[]];
  const flushSentence = () => {
    sum += scoreSentence(sentence, shoutingEverywhere);
    sentence = [[]];
  };
  for (const token of tokens) {
    if (token.kind === "sentence") flushSentence();
    else if (token.kind === "clause") sentence.push([]);
    else if (token.kind === "word" && contrastWords.has(token.text)) sentence.push([token]);
    else sentence[sentence.length - 1]!.push(token);
  }
  flushSentence();
  const exclamations = Math.min((text.match(/!/g) ?? []).length, 4);
  if (sum !== 0) sum += Math.sign(sum) * exclamations * 0.3;
  return sum;
}

/** Clauses after "but"/"aber" weigh 1.5, those before it 0.5 (like a reader would). */
function scoreSentence(clauses: readonly (readonly Token[])[], shoutingEverywhere: boolean): number {
  const contrastAt = clauses.findIndex((clause) => {
    const first = clause[0];
    return first?.kind === "word" && contrastWords.has(first.text);
  });
  let sum = 0;
  clauses.forEach((clause, index) => {
    const weight = contrastAt < 0 ? 1 : index < contrastAt ? 0.5 : 1.5;
    sum += weight * scoreClause(clause, shoutingEverywhere);
  });
  return sum;
}

function scoreClause(clause: readonly Token[], shoutingEverywhere: boolean): number {
  let sum = 0;
  clause.forEach((token, index) => {
    if (token.kind === "symbol") {
      sum += token.valence;
      return;
    }
    if (token.kind !== "word") return;
    const verb = functionVerbs.get(token.text);
    const valence = verb === undefined ? lookUp(token.text) : verb.plain;
    if (valence === undefined) return;
    const previous = clause[index - 1];
    if (previous?.kind === "word" && neutralAfter.get(token.text)?.has(previous.text)) return;

    let multiplier = 1;
    let negations = 0;
    for (let j = index - 1; j >= Math.max(0, index - lookBack); j -= 1) {
      const before = clause[j]!;
      if (before.kind !== "word") continue;
      if (isNegator(before.text)) negations += 1;
      else multiplier *= intensifiers.get(before.text) ?? 1;
    }
    const after = negations === 0 ? negationAfter(clause, index) : "none";
    if (after === "this") negations = 1;
    const negated = negations % 2 === 1;

    let value: number;
    // "funktioniert nicht gut": the `nicht` is the next word's, and the verb's plain praise does not hold.
    if (!negated && verb !== undefined && after === "next") value = 0;
    else if (!negated) value = valence;
    else if (verb !== undefined) value = verb.negated;
    // "not good" is clearly negative; "not bad" is only mildly positive.
    else value = valence > 0 ? -0.75 * valence : -0.5 * valence;
    if (token.shouted && !shoutingEverywhere) multiplier *= 1.3;
    sum += value * multiplier;
  });
  return sum;
}

/**
 * German puts `nicht` after the verb: "das gefällt mir nicht". A `nicht` that is itself followed by a
 * scored word belongs to that word instead ("funktioniert nicht gut" = works, but not well).
 */
function negationAfter(clause: readonly Token[], index: number): "this" | "next" | "none" {
  for (let j = index + 1; j <= Math.min(clause.length - 1, index + lookAhead); j += 1) {
    const after = clause[j]!;
    if (after.kind !== "word" || !postNegators.has(after.text)) continue;
    for (let k = j + 1; k <= Math.min(clause.length - 1, j + lookBack); k += 1) {
      const next = clause[k]!;
      if (next.kind === "word" && (functionVerbs.has(next.text) || lookUp(next.text) !== undefined)) {
        return "next";
      }
    }
    return "this";
  }
  return "none";
}

const postNegators: ReadonlySet<string> = new Set(["nicht", "nie", "niemals", "kaum"]);

function isNegator(word: string): boolean {
  return englishNegators.has(word) || germanNegators.has(word);
}

/** Inflected forms reach their lexicon entry by stripping one common English or German ending. */
const suffixes = ["en", "er", "es", "em", "ed", "e", "s", "n"] as const;

function lookUp(word: string): number | undefined {
  const exact = wordValence.get(word);
  if (exact !== undefined) return exact;
  if (intensifiers.has(word) || isNegator(word)) return undefined;
  for (const suffix of suffixes) {
    if (word.length - suffix.length < 3 || !word.endsWith(suffix)) continue;
    const stem = wordValence.get(word.slice(0, -suffix.length));
    if (stem !== undefined) return stem;
  }
  return undefined;
}

function tokenize(text: string): Token[] {
  const cleaned = text.replace(/\bhttps?:\/\/\S+/gi, " ").replace(/\uFE0F/g, "");
  const tokens: Token[] = [];
  for (const match of cleaned.matchAll(tokenPattern)) {
    const groups = match.groups!;
    if (groups.emoticon !== undefined || groups.emoji !== undefined) {
      const valence = symbolValence.get(groups.emoticon ?? groups.emoji!);
      if (valence !== undefined) tokens.push({ kind: "symbol", valence });
    } else if (groups.word !== undefined) {
      const raw = groups.word;
      tokens.push({
        kind: "word",
        text: raw.toLowerCase().replace(/['’]/g, ""),
        shouted: raw.length >= 3 && /\p{Lu}/u.test(raw) && raw === raw.toUpperCase(),
      });
    } else if (groups.sentence !== undefined) tokens.push({ kind: "sentence" });
    else tokens.push({ kind: "clause" });
  }
  return tokens;
}
