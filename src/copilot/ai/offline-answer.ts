import type { Citation } from "../../protocol/copilot.ts";
import { contentTerms, sameStem } from "../knowledge/terms.ts";
import { splitSentences } from "./sentences.ts";
import type { KnowledgePassage } from "./types.ts";

/** At most this many passages are quoted, and this many sentences of each. */
const maxPassages = 2;
const maxSentencesPerPassage = 2;
/** A passage scoring below this share of the best one adds more noise than help. */
const relativeScoreFloor = 0.5;

/** What the answer says when the knowledge base has nothing; also used by the model-backed answer. */
export function nothingFound(question: string): string {
  return `I found nothing in the knowledge base for "${question.trim()}".`;
}

/**
 * The offline answer: the sentences of the best passages that share the most words with the question,
 * quoted in their original order and marked `[1]`, `[2]` after the citation they come from. Only the
 * passages quoted are returned as citations, numbered as in the text.
 *
 * @example
 * answerFromPassages("How long do refunds take?", passages);
 * // { text: "Refunds reach your account within 5 working days. [1]", citations: [passages[0]] }
 */
export function answerFromPassages(
  question: string,
  passages: readonly KnowledgePassage[],
): { text: string; citations: Citation[] } {
  if (passages.length === 0) return { text: nothingFound(question), citations: [] };
  const terms = contentTerms(question);
  const ranked = [...passages].sort((a, b) => b.score - a.score);
  const top = ranked[0]!.score;
  const candidates = ranked
    .filter((passage, index) => index === 0 || passage.score >= top * relativeScoreFloor)
    .map((passage) => ({ passage, quoted: quote(passage.excerpt, terms) }));
  // A passage can rank by its title or heading alone; when others share words with the question in their
  // text, those answer it better.
  const withOverlap = candidates.filter((candidate) => candidate.quoted.overlap > 0);
  const used = (withOverlap.length > 0 ? withOverlap : candidates).slice(0, maxPassages);
  const parts = used.map(({ quoted }, index) => `${quoted.text} [${index + 1}]`);
  return {
    text: parts.join(" "),
    citations: used.map(({ passage: { title, source, excerpt } }) => ({ title, source, excerpt })),
  };
}

/** The passage's sentences that best match the question, and how many question words the best one has. */
function quote(excerpt: string, terms: readonly string[]): { text: string; overlap: number } {
  const sentences = splitSentences(excerpt.replace(/^…\s*|\s*…$/g, ""));
  const overlap = (sentence: string) => {
    const words = contentTerms(sentence);
    return terms.filter((term) => words.some((word) => sameStem(term, word))).length;
  };
  const scored = sentences.map((sentence, index) => ({ sentence, index, score: overlap(sentence) }));
  const best = [...scored]
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, maxSentencesPerPassage)
    .filter((entry, position) => position === 0 || entry.score > 0)
    .sort((a, b) => a.index - b.index);
  return {
    text: best.map((entry) => entry.sentence).join(" "),
    overlap: Math.max(0, ...scored.map((entry) => entry.score)),
  };
}
