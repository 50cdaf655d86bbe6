import {
  parseTemplate,
  renderTemplate,
  renderTemplateValue,
  describeSyntaxError,
  type CompiledTemplate,
  type ExpressionScope,
  type Value,
} from "./expressions/index.ts";
import { BatonError } from "../errors/index.ts";

/** A JSON value (an Adaptive Card, a request body) whose strings may hold `{{ }}` templates. */
export type JsonTemplate =
  | { readonly kind: "literal"; readonly value: Value }
  | { readonly kind: "text"; readonly template: CompiledTemplate }
  | { readonly kind: "array"; readonly items: readonly JsonTemplate[] }
  | { readonly kind: "object"; readonly entries: readonly (readonly [string, JsonTemplate])[] };

export interface JsonTemplateIssue {
  readonly path: readonly (string | number)[];
  readonly expected: string;
}

/** Parses every templated string inside a JSON value, collecting every bad template with its path. */
export function compileJsonTemplate(
  value: unknown,
  issues: JsonTemplateIssue[],
  path: readonly (string | number)[] = [],
): JsonTemplate {
  if (typeof value === "string") {
    if (!value.includes("{{")) return { kind: "literal", value };
    try {
      return { kind: "text", template: parseTemplate(value) };
    } catch (error) {
      if (!(error instanceof BatonError)) throw error;
      issues.push({ path, expected: `a valid template (${describeSyntaxError(error)})` });
      return { kind: "literal", value };
    }
  }
  if (Array.isArray(value)) {
    return { kind: "array", items: value.map((item, i) => compileJsonTemplate(item, issues, [...path, i])) };
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(
      ([key, item]) => [key, compileJsonTemplate(item, issues, [...path, key])] as const,
    );
    return { kind: "object", entries };
  }
  if (value === null || typeof value === "number" || typeof value === "boolean") {
    return { kind: "literal", value };
  }
  issues.push({ path, expected: "a JSON value" });
  return { kind: "literal", value: null };
}

/**
 * Renders a JSON template. In `text` mode every templated string renders to text (cards); in `value` mode
 * a string that is exactly `{{ expression }}` becomes the expression's value, so a body can carry a number
 * or an object from the context.
 */
export function renderJsonTemplate(
  template: JsonTemplate,
  scope: ExpressionScope,
  mode: "text" | "value",
): Value {
  switch (template.kind) {
    case "literal":
      return template.value;
    case "text":
      return mode === "text"
        ? renderTemplate(template.template, scope)
        : renderTemplateValue(template.template, scope);
    case "array":
      return template.items.map((item) => renderJsonTemplate(item, scope, mode));
    case "object":
      // fromEntries defines own properties, so a "__proto__" key in a card stays a plain key.
      return Object.fromEntries(
        template.entries.map(([key, item]) => [key, renderJsonTemplate(item, scope, mode)]),
      );
  }
}
