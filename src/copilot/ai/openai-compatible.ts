import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, generateText, NoObjectGeneratedError, Output } from "ai";
import { z } from "zod";
import type { Citation } from "../../protocol/copilot.ts";
import { createOfflineAi } from "./offline.ts";
import { nothingFound } from "./offline-answer.ts";
import {
  answerPrompt,
  answerSystem,
  sentimentPrompt,
  sentimentSystem,
  summaryPrompt,
  summarySystem,
} from "./prompts.ts";
import type { AiService, ConversationLine, KnowledgePassage } from "./types.ts";

/** The part of a logger the AI needs; a pino logger fits. */
export interface AiLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface OpenAiCompatibleOptions {
  /** The API root including its version, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. */
  readonly baseUrl: string;
  /** The model name the server knows; also the `engine` shown on tiles. */
  readonly model: string;
  /** Sent as `Authorization: Bearer …` when set; never logged. Local servers often need none. */
  readonly apiKey?: string | undefined;
  /** Per call; a call that takes longer falls back to the offline answer. Default 10 000. */
  readonly timeoutMs?: number;
  readonly logger?: AiLogger;
  /** Answers a call the model could not; default the offline AI. */
  readonly fallback?: AiService;
}

export const defaultAiTimeoutMs = 10_000;

const sentimentAnswer = z.strictObject({
  label: z.enum(["positive", "neutral", "negative"]),
  score: z.number().min(-1).max(1),
});

/**
 * The Copilot's AI backed by any server that speaks OpenAI's chat completions API (OpenAI, Azure's
 * OpenAI-compatible endpoints, Ollama, vLLM, llama.cpp, LM Studio), through the AI SDK's OpenAI-compatible
 * provider. Every call degrades to the offline implementation when the model fails — timeout, non-2xx,
 * unreadable or off-schema answer — and the failure is logged with `BATON_ERR_COPILOT_AI_UNAVAILABLE`:
 * the workspace keeps working when the model is down. Calls are not retried (the agent is waiting; the
 * offline answer is immediate).
 *
 * @example
 * const ai = createOpenAiCompatibleAi({ baseUrl: "http://localhost:11434/v1", model: "llama3.1", timeoutMs: 8000 });
 * const { text, citations } = await ai.answer("How do I return shoes?", passages);
 */
export function createOpenAiCompatibleAi(options: OpenAiCompatibleOptions): AiService {
  const timeoutMs = options.timeoutMs ?? defaultAiTimeoutMs;
  const fallback = options.fallback ?? createOfflineAi();
  const provider = createOpenAICompatible({
    name: "copilot",
    baseURL: options.baseUrl.replace(/\/+$/, ""),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  });
  const model = provider.chatModel(options.model);
  const common = { model, maxRetries: 0, timeout: timeoutMs, temperature: 0 } as const;

  /** Runs `call`; on any failure logs why (never the key, prompt or answer) and returns `offline()`. */
  async function withFallback<T>(operation: string, call: () => Promise<T>, offline: () => Promise<T>) {
    try {
      return await call();
    } catch (error) {
      options.logger?.warn(
        {
          code: "BATON_ERR_COPILOT_AI_UNAVAILABLE",
          operation,
          model: options.model,
          reason: describeFailure(error, timeoutMs),
        },
        "The AI model did not answer usably; the offline Copilot answered instead.",
      );
      return offline();
    }
  }

  return {
    engine: options.model,

    sentiment(texts) {
      if (texts.length === 0) return fallback.sentiment(texts);
      return withFallback(
        "sentiment",
        async () => {
          const result = await generateText({
            ...common,
            system: sentimentSystem,
            prompt: sentimentPrompt(texts),
            output: Output.json(),
          }).catch((error: unknown) => {
            // Some servers wrap JSON-mode answers in a Markdown fence; read those rather than give up.
            if (NoObjectGeneratedError.isInstance(error) && error.text !== undefined) {
              return { output: JSON.parse(stripFence(error.text)) as unknown };
            }
            throw error;
          });
          const { label, score } = sentimentAnswer.parse(result.output);
          return { label, score: Math.round(score * 1000) / 1000 };
        },
        () => fallback.sentiment(texts),
      );
    },

    summarize(lines) {
      const botPart = beforeFirstAgent(lines);
      if (!botPart.some((line) => line.source === "user" || line.source === "bot")) {
        return fallback.summarize(lines);
      }
      return withFallback(
        "summarize",
        async () => {
          const { text } = await generateText({
            ...common,
            system: summarySystem,
            prompt: summaryPrompt(botPart),
          });
          return nonEmpty(text);
        },
        () => fallback.summarize(lines),
      );
    },

    answer(question, passages) {
      // Nothing to ground an answer in: say so without asking the model, which could only make something up.
      if (passages.length === 0) return Promise.resolve({ text: nothingFound(question), citations: [] });
      return withFallback(
        "answer",
        async () => {
          const { text } = await generateText({
            ...common,
            system: answerSystem,
            prompt: answerPrompt(question, passages),
          });
          return mapCitations(nonEmpty(text), passages);
        },
        () => fallback.answer(question, passages),
      );
    },
  };
}

/** The summary covers the bot part; what the agent wrote later is the agent's own knowledge. */
function beforeFirstAgent(lines: readonly ConversationLine[]): readonly ConversationLine[] {
  const firstAgent = lines.findIndex((line) => line.source === "agent");
  return firstAgent < 0 ? lines : lines.slice(0, firstAgent);
}

function nonEmpty(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") throw new EmptyAnswerError();
  return trimmed;
}

class EmptyAnswerError extends Error {
  override name = "EmptyAnswerError";
}

function stripFence(text: string): string {
  return text
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/\s*```$/, "");
}

/**
 * Keeps the citations the answer uses, in the order it first uses them, renumbered 1…n so the markers in
 * the text match the list the tile shows. `[2, 3]` and `[2][3]` both count; numbers that name no passage
 * are dropped from the text rather than shown as a dangling reference.
 */
export function mapCitations(
  text: string,
  passages: readonly KnowledgePassage[],
): { text: string; citations: Citation[] } {
  const renumbered = new Map<number, number>();
  const rewritten = text.replace(/\s*\[(\d+(?:\s*,\s*\d+)*)\]/g, (_marker, list: string) => {
    const numbers = list
      .split(",")
      .map((n) => Number(n.trim()))
      .filter((n) => Number.isInteger(n) && n >= 1 && n <= passages.length);
    const mapped = [...new Set(numbers)].map((n) => {
      if (!renumbered.has(n)) renumbered.set(n, renumbered.size + 1);
      return renumbered.get(n)!;
    });
    return mapped.length === 0 ? "" : ` [${mapped.join(", ")}]`;
  });
  const citations = [...renumbered.keys()].map((n) => {
    const { title, source, excerpt } = passages[n - 1]!;
    return { title, source, excerpt };
  });
  return { text: rewritten.trim(), citations };
}

/** Why a call failed, in words safe to log: a status, a kind, never a message that could echo content. */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (APICallError.isInstance(error)) {
    return error.statusCode === undefined ? "the server could not be reached" : `HTTP ${error.statusCode}`;
  }
  if (error instanceof Error) {
    if (error.name === "TimeoutError" || error.name === "AbortError")
      return `no answer within ${timeoutMs} ms`;
    if (error instanceof z.ZodError) return "the answer did not match the expected JSON";
    if (error instanceof SyntaxError || NoObjectGeneratedError.isInstance(error))
      return "the answer was not JSON";
    if (error instanceof EmptyAnswerError) return "the answer was empty";
    return error.name;
  }
  return "unknown failure";
}
