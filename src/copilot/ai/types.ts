import type { Citation, SentimentLabel } from "../../protocol/copilot.ts";

/** A passage of the knowledge folder that matched a search. */
export interface KnowledgePassage extends Citation {
  /** Search relevance (higher is better); comparable within one search only. */
  readonly score: number;
}

/** One line of the conversation, as the AI port reads it (already redacted where configured). */
export interface ConversationLine {
  readonly source: "user" | "bot" | "agent" | "system";
  readonly text: string;
}

/**
 * The AI port of the Copilot: everything a tile may ask a model. The default implementation is offline and
 * deterministic (lexicon sentiment, extractive summary, answers quoted from the best passages); with
 * `copilot.ai` configured, an OpenAI-compatible model writes the texts. Either way the same tests hold.
 *
 * @example
 * const ai = createOfflineAi();
 * const { label } = await ai.sentiment(["This is great, thank you!"]); // "positive"
 */
export interface AiService {
  /** `offline`, or the configured model's name; shown on tiles. */
  readonly engine: string;
  /** Sentiment of the user's texts (the last input, or the last 10 joined). */
  sentiment(texts: readonly string[]): Promise<{ label: SentimentLabel; score: number }>;
  /** A short summary of the bot part of the conversation for the agent. */
  summarize(lines: readonly ConversationLine[]): Promise<string>;
  /** An answer to `question` grounded only in `passages`; citations are the passages it used. */
  answer(
    question: string,
    passages: readonly KnowledgePassage[],
  ): Promise<{ text: string; citations: readonly Citation[] }>;
}

/** Full-text search over the configured knowledge folder. */
export interface KnowledgeIndex {
  search(query: string, options?: { limit?: number }): Promise<readonly KnowledgePassage[]>;
  /** How many documents are indexed (0 when no folder is configured). */
  readonly size: number;
}
