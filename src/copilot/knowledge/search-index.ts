import MiniSearch from "minisearch";
import type { KnowledgeIndex, KnowledgePassage } from "../ai/types.ts";
import { splitIntoPassages, type KnowledgeDocument, type Passage } from "./passages.ts";
import { stopWords } from "./terms.ts";

/** Excerpts handed to tiles and to the model are at most this long. */
export const maxExcerptLength = 360;
const defaultLimit = 3;
const maxLimit = 20;

interface IndexedPassage extends Passage {
  readonly id: number;
}

/**
 * An in-memory full-text index over the passages of `documents` (MiniSearch: BM25 ranking, prefix and
 * fuzzy matching, so "refund" finds "refunds" and "delivry" finds "delivery"). Titles and headings weigh
 * more than body text. Search results carry the document's title, its relative path and an excerpt
 * trimmed around the first matching word.
 *
 * @example
 * const index = createKnowledgeIndex([{ source: "returns.md", text: "# Returns\n\nReturn within 30 days." }]);
 * await index.search("return"); // [{ title: "Returns", source: "returns.md", excerpt: "Return within 30 days.", score: … }]
 */
export function createKnowledgeIndex(documents: readonly KnowledgeDocument[]): KnowledgeIndex {
  const passages: IndexedPassage[] = [];
  let size = 0;
  for (const document of documents) {
    const split = splitIntoPassages(document);
    if (split.length > 0) size += 1;
    for (const passage of split) passages.push({ ...passage, id: passages.length });
  }

  const miniSearch = new MiniSearch<IndexedPassage>({
    fields: ["title", "heading", "text"],
    processTerm: (term) => {
      const lower = term.toLowerCase();
      return stopWords.has(lower) ? null : lower;
    },
    searchOptions: {
      boost: { title: 2, heading: 1.5 },
      // Prefix matching from three letters, typo tolerance from five: shorter terms would match everything.
      prefix: (term) => term.length >= 3,
      fuzzy: (term) => (term.length >= 5 ? 0.2 : false),
      combineWith: "OR",
    },
  });
  miniSearch.addAll(passages);

  return {
    size,
    search(query, options = {}) {
      const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? defaultLimit)), maxLimit);
      const results = query.trim() === "" ? [] : miniSearch.search(query).slice(0, limit);
      return Promise.resolve(
        results.map((result): KnowledgePassage => {
          const passage = passages[result.id as number]!;
          return {
            title: passage.title,
            source: passage.source,
            excerpt: excerptAround(passage.text, result.terms),
            score: Math.round(result.score * 1000) / 1000,
          };
        }),
      );
    },
  };
}

/** The index of a Copilot without a knowledge folder: empty, every search finds nothing. */
export const emptyKnowledgeIndex: KnowledgeIndex = {
  size: 0,
  search: () => Promise.resolve([]),
};

/**
 * At most {@link maxExcerptLength} characters of `text` around the first word that matched, starting at a
 * sentence start where one is near, and marked with "…" where it was cut.
 */
export function excerptAround(text: string, terms: readonly string[]): string {
  if (text.length <= maxExcerptLength) return text;
  const lower = text.toLowerCase();
  const hits = terms
    .map((term) => new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(term)}`, "u").exec(lower)?.index)
    .filter((index): index is number => index !== undefined);
  const hit = hits.length > 0 ? Math.min(...hits) : 0;

  let start = Math.max(0, hit - Math.floor(maxExcerptLength / 4));
  if (start > 0) {
    const sentenceStart = text.slice(start, hit).search(/(?<=[.!?;:])\s+\S/);
    if (sentenceStart >= 0) start += sentenceStart + 1;
    else start = text.indexOf(" ", start) + 1 || start;
  }
  start = Math.min(start, hit);
  let end = Math.min(text.length, start + maxExcerptLength - 2);
  if (end < text.length) {
    // Prefer ending with a whole sentence, else at a word boundary.
    const window = text.slice(hit, end);
    const sentenceEnd = Math.max(
      window.lastIndexOf(". "),
      window.lastIndexOf("! "),
      window.lastIndexOf("? "),
    );
    const lastSpace = text.lastIndexOf(" ", end);
    if (sentenceEnd >= 0 && hit + sentenceEnd + 1 - start > maxExcerptLength / 2) end = hit + sentenceEnd + 1;
    else if (lastSpace > hit) end = lastSpace;
  }
  return `${start > 0 ? "…" : ""}${text.slice(start, end).trim()}${end < text.length ? "…" : ""}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
