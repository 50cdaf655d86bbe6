/**
 * Field schemas shared by node schemas. Expressions and templates are parsed here, at load, so a flow that
 * loads never meets a syntax error at run time; a field that fails says what was expected in its message.
 */
import { z } from "zod";
import { BatonError } from "../../errors/index.ts";
import type { QuickReply } from "../../protocol/messages.ts";
import { contextPathExpectation, parseContextPath, type ContextPath } from "../context-path.ts";
import {
  compileExpression,
  describeSyntaxError,
  parseTemplate,
  renderTemplate,
  type CompiledExpression,
  type CompiledTemplate,
  type ExpressionScope,
} from "../expressions/index.ts";
import {
  compileJsonTemplate,
  renderJsonTemplate,
  type JsonTemplate,
  type JsonTemplateIssue,
} from "../json-template.ts";
import type { FlowOutput } from "../node-io.ts";

export const nodeIdPattern = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const nodeIdExpectation =
  "a node id (letters, digits, '-' and '_', starting with a letter, at most 64 characters)";

/** A reference to another node; that it exists is checked once every node is parsed. */
export const nodeRef = z
  .string({ error: nodeIdExpectation })
  .regex(nodeIdPattern, { error: nodeIdExpectation });

function syntaxProblem(error: unknown): string {
  if (error instanceof BatonError && error.code === "BATON_ERR_FLOW_EXPRESSION_INVALID") {
    return describeSyntaxError(error);
  }
  throw error;
}

export const expression = z
  .string({ error: "an expression (a string)" })
  .transform((source, ctx): CompiledExpression => {
    try {
      return compileExpression(source);
    } catch (error) {
      ctx.issues.push({
        code: "custom",
        message: `a valid expression (${syntaxProblem(error)})`,
        input: source,
      });
      return z.NEVER;
    }
  });

export const template = z
  .string({ error: "a text (a string; {{ expression }} inserts a value)" })
  .transform((source, ctx): CompiledTemplate => {
    try {
      return parseTemplate(source);
    } catch (error) {
      ctx.issues.push({
        code: "custom",
        message: `a valid template (${syntaxProblem(error)})`,
        input: source,
      });
      return z.NEVER;
    }
  });

export const contextPath = z.string({ error: contextPathExpectation }).transform((text, ctx): ContextPath => {
  const path = parseContextPath(text);
  if (path === undefined) {
    ctx.issues.push({ code: "custom", message: contextPathExpectation, input: text });
    return z.NEVER;
  }
  return path;
});

/** A JSON value whose strings may hold templates; `object` restricts it to a JSON object (cards). */
export function jsonTemplate(options: { object: boolean }) {
  const base = options.object ? z.record(z.string(), z.unknown(), { error: "a JSON object" }) : z.unknown();
  return base.transform((value, ctx): JsonTemplate => {
    const issues: JsonTemplateIssue[] = [];
    const compiled = compileJsonTemplate(value, issues);
    for (const issue of issues) {
      ctx.issues.push({ code: "custom", message: issue.expected, input: value, path: [...issue.path] });
    }
    return compiled;
  });
}

const quickReply = z.strictObject({ title: template, payload: template });

/** What say and question show: text, quick replies, an Adaptive Card. */
export const contentFields = {
  text: template.optional(),
  quickReplies: z.array(quickReply, { error: "a list of {title, payload}" }).min(1).max(20).optional(),
  card: jsonTemplate({ object: true }).optional(),
};

export const destination = z
  .enum(["user", "agent", "both"], { error: "one of user, agent, both" })
  .default("user");

export interface Content {
  readonly text?: CompiledTemplate | undefined;
  readonly quickReplies?:
    readonly { readonly title: CompiledTemplate; readonly payload: CompiledTemplate }[] | undefined;
  readonly card?: JsonTemplate | undefined;
}

export const contentRequired = {
  check: (content: Content) =>
    content.text !== undefined || content.quickReplies !== undefined || content.card !== undefined,
  error: "at least one of text, quickReplies, card",
};

/** Renders content; undefined when there is nothing to show (an empty text and nothing else). */
export function renderContent(
  content: Content,
  destination: FlowOutput["destination"],
  scope: ExpressionScope,
): FlowOutput | undefined {
  const text = content.text === undefined ? undefined : renderTemplate(content.text, scope);
  const quickReplies: QuickReply[] | undefined = content.quickReplies?.map((reply) => ({
    title: renderTemplate(reply.title, scope),
    payload: renderTemplate(reply.payload, scope),
  }));
  const card =
    content.card === undefined
      ? undefined
      : (renderJsonTemplate(content.card, scope, "text") as Readonly<Record<string, unknown>>);
  if ((text === undefined || text === "") && quickReplies === undefined && card === undefined)
    return undefined;
  return {
    destination,
    ...(text === undefined || text === "" ? {} : { text }),
    ...(quickReplies === undefined ? {} : { quickReplies }),
    ...(card === undefined ? {} : { card }),
  };
}

/** Optional `next`: where the run continues; without it the run stops there. */
export const next = nodeRef.optional();
