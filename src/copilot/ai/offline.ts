import { answerFromPassages } from "./offline-answer.ts";
import { neutralBand, scoreSentiment } from "./offline-sentiment.ts";
import { summarizeExtractive } from "./offline-summary.ts";
import type { AiService } from "./types.ts";

export interface OfflineAiOptions {
  /** Sentiment scores closer to 0 than this are `neutral` (default {@link neutralBand}, 0.15). */
  readonly neutralBand?: number;
}

/**
 * The default AI of the Copilot: no network, no model, the same output for the same input. Sentiment from
 * a small English and German lexicon, an extractive summary of the bot part, answers quoted from the best
 * knowledge passages with their citations.
 *
 * @example
 * const ai = createOfflineAi();
 * await ai.sentiment(["Das funktioniert leider nicht"]); // { label: "negative", score: -0.36 }
 */
export function createOfflineAi(options: OfflineAiOptions = {}): AiService {
  const band = options.neutralBand ?? neutralBand;
  return {
    engine: "offline",
    sentiment: (texts) => Promise.resolve(scoreSentiment(texts, band)),
    summarize: (lines) => Promise.resolve(summarizeExtractive(lines)),
    answer: (question, passages) => Promise.resolve(answerFromPassages(question, passages)),
  };
}
