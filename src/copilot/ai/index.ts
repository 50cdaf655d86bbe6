import { createOfflineAi } from "./offline.ts";
import { createOpenAiCompatibleAi, type AiLogger } from "./openai-compatible.ts";
import type { AiService } from "./types.ts";

export type { AiService, ConversationLine, KnowledgeIndex, KnowledgePassage } from "./types.ts";
export { createOfflineAi, type OfflineAiOptions } from "./offline.ts";
export {
  createOpenAiCompatibleAi,
  defaultAiTimeoutMs,
  type AiLogger,
  type OpenAiCompatibleOptions,
} from "./openai-compatible.ts";
export { nothingFound } from "./offline-answer.ts";

/** The `copilot.ai` block of the config (see src/config/schema.ts). */
export interface AiConfig {
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

/**
 * The Copilot's AI as configured: offline when `copilot.ai` is absent, else the OpenAI-compatible model
 * with the offline AI as its per-call fallback.
 *
 * @example
 * const ai = createAi(config.copilot.ai, { logger });
 */
export function createAi(config?: AiConfig, options: { logger?: AiLogger } = {}): AiService {
  if (config === undefined) return createOfflineAi();
  return createOpenAiCompatibleAi({
    baseUrl: config.baseUrl,
    model: config.model,
    apiKey: config.apiKey,
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
