import type { CompiledExpression, Expression } from "./ast.ts";
import { evaluate, type ExpressionScope } from "./evaluate.ts";
import { parseExpression } from "./parser.ts";
import { expressionSyntaxError } from "./syntax-error.ts";
import { toText, type Value } from "./values.ts";
import { BatonError } from "../../errors/index.ts";

/** A string with `{{ expression }}` parts, parsed once at flow load. */
export interface CompiledTemplate {
  readonly source: string;
  readonly parts: readonly (string | Expression)[];
}

/**
 * Parses `Hello {{ context.name }}!`. Every `{{` opens an expression that runs to the next `}}` (so an
 * expression cannot contain the text `}}`; write `{{ "{" + "{" }}` for a literal `{{`). Syntax errors carry
 * the position in the whole template.
 */
export function parseTemplate(source: string): CompiledTemplate {
  const parts: (string | Expression)[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf("{{", i);
    if (open === -1) {
      parts.push(source.slice(i));
      break;
    }
    if (open > i) parts.push(source.slice(i, open));
    const close = source.indexOf("}}", open + 2);
    if (close === -1)
      throw expressionSyntaxError(source.length, "'}}' closing the '{{'", "the end of the text");
    const inner = source.slice(open + 2, close);
    try {
      parts.push(parseExpression(inner));
    } catch (error) {
      throw shiftPosition(error, open + 2);
    }
    i = close + 2;
  }
  return { source, parts };
}

function shiftPosition(error: unknown, offset: number): unknown {
  if (!(error instanceof BatonError) || typeof error.details.position !== "number") return error;
  return new BatonError(error.code, { ...error.details, position: error.details.position + offset });
}

/**
 * Renders a template to text; each expression's value goes through `string()` (null → ""). `encode` is
 * applied to expression values only, never to the literal text (URL templates percent-encode values).
 */
export function renderTemplate(
  template: CompiledTemplate,
  scope: ExpressionScope,
  encode: (value: string) => string = (value) => value,
): string {
  let text = "";
  for (const part of template.parts)
    text += typeof part === "string" ? part : encode(toText(evaluate(part, scope)));
  return text;
}

/**
 * A template that is exactly one `{{ expression }}` (spaces around it allowed) yields the expression's value
 * itself (a number, an object…); any other template renders to text. Used for JSON bodies.
 */
export function renderTemplateValue(template: CompiledTemplate, scope: ExpressionScope): Value {
  const expressions = template.parts.filter((part) => typeof part !== "string");
  const onlyText = template.parts.every((part) => typeof part !== "string" || part.trim() === "");
  if (expressions.length === 1 && onlyText) return evaluate(expressions[0]!, scope);
  return renderTemplate(template, scope);
}

export function compileExpression(source: string): CompiledExpression {
  return { source, ast: parseExpression(source) };
}
