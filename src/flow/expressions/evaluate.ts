import type { CopilotFlowInput } from "../node-io.ts";
import type { FlowHandoverInput } from "../../handover/types.ts";
import type { Expression, PathSegment } from "./ast.ts";
import { forbiddenKeys } from "./parser.ts";
import { compiledPattern, testPattern } from "./regex-cache.ts";
import {
  add,
  compare,
  isEqual,
  isRecord,
  isTruthy,
  lengthOf,
  normalize,
  toNumber,
  toText,
  type Value,
} from "./values.ts";

/** What an expression can read. Nothing in it is ever written by an expression. */
export interface ExpressionScope {
  readonly input: {
    readonly text: string | null;
    readonly data: Readonly<Record<string, unknown>> | null;
    /** A main flow's FlowHandoverInput; a copilot flow's `{status, queue, agent}`. */
    readonly handover: FlowHandoverInput | CopilotFlowInput["handover"];
    /** Copilot flows add trigger, postback and search (see CopilotFlowInput). */
    readonly [key: string]: unknown;
  };
  readonly context: Readonly<Record<string, unknown>>;
  readonly session: {
    readonly endpointId: string;
    readonly userId: string;
    readonly sessionId: string;
    readonly locale: string;
  };
}

/**
 * Evaluates a parsed expression. Total: it never throws, a missing path is null, and an operator applied to
 * values it does not fit gives false or null (see values.ts). `&&` and `||` short-circuit and return one of
 * their operands, as in JavaScript.
 *
 * @example
 * evaluate(parseExpression("context.tries + 1"), scope) // → 3 when context.tries is 2
 */
export function evaluate(expression: Expression, scope: ExpressionScope): Value {
  switch (expression.kind) {
    case "literal":
      return expression.value;
    case "regex":
      // Only reachable as the right side of matches, which handles it; on its own it is its source text.
      return expression.pattern;
    case "path":
      return resolvePath(scope[expression.root], expression.segments, scope);
    case "unary": {
      const operand = evaluate(expression.operand, scope);
      if (expression.operator === "!") return !isTruthy(operand);
      return typeof operand === "number" ? normalize(-operand) : null;
    }
    case "logical": {
      const left = evaluate(expression.left, scope);
      if (expression.operator === "&&") return isTruthy(left) ? evaluate(expression.right, scope) : left;
      return isTruthy(left) ? left : evaluate(expression.right, scope);
    }
    case "binary":
      return binary(expression, scope);
    case "call":
      return call(expression, scope);
  }
}

function binary(expression: Extract<Expression, { kind: "binary" }>, scope: ExpressionScope): Value {
  const left = evaluate(expression.left, scope);
  if (expression.operator === "matches") {
    if (typeof left !== "string") return false;
    const right = expression.right;
    if (right.kind === "regex") return testPattern(compiledPattern(right.pattern, right.flags), left);
    const pattern = evaluate(right, scope);
    return typeof pattern === "string" && testPattern(compiledPattern(pattern, ""), left);
  }
  const right = evaluate(expression.right, scope);
  switch (expression.operator) {
    case "==":
      return isEqual(left, right);
    case "!=":
      return !isEqual(left, right);
    case "<":
    case "<=":
    case ">":
    case ">=":
      return compare(expression.operator, left, right);
    case "+":
      return add(left, right);
    case "contains":
      if (typeof left === "string") return typeof right === "string" && left.includes(right);
      return Array.isArray(left) && left.some((item) => isEqual(normalize(item), right));
    case "in":
      return Array.isArray(right) && right.some((item) => isEqual(normalize(item), left));
  }
}

function call(expression: Extract<Expression, { kind: "call" }>, scope: ExpressionScope): Value {
  const value = evaluate(expression.argument, scope);
  switch (expression.name) {
    case "exists":
      return value !== null;
    case "lower":
      return typeof value === "string" ? value.toLowerCase() : null;
    case "upper":
      return typeof value === "string" ? value.toUpperCase() : null;
    case "len":
      return lengthOf(value);
    case "number":
      return toNumber(value);
    case "string":
      return toText(value);
  }
}

function resolvePath(start: unknown, segments: readonly PathSegment[], scope: ExpressionScope): Value {
  let current = normalize(start);
  for (const segment of segments) {
    const key = segment.kind === "key" ? segment.key : evaluate(segment.expression, scope);
    current = step(current, key);
    if (current === null) return null;
  }
  return current;
}

/** One step down a path, over own properties only; anything that does not resolve is null. */
function step(value: Value, key: Value): Value {
  if (Array.isArray(value)) {
    const index = typeof key === "string" && /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : key;
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= value.length)
      return null;
    return normalize(value[index]);
  }
  if (!isRecord(value)) return null;
  const name = typeof key === "number" ? String(key) : key;
  if (typeof name !== "string" || forbiddenKeys.has(name) || !Object.hasOwn(value, name)) return null;
  return normalize(value[name]);
}
