import type { BinaryOperator, Expression, FunctionName, PathRoot, PathSegment } from "./ast.ts";
import { expressionSyntaxError } from "./syntax-error.ts";
import { tokenize, type Token } from "./tokenizer.ts";

const roots: ReadonlySet<string> = new Set<PathRoot>(["input", "context", "session"]);
const functions: ReadonlySet<string> = new Set<FunctionName>([
  "exists",
  "lower",
  "upper",
  "len",
  "number",
  "string",
]);

/**
 * Keys that reach an object's prototype machinery. They are refused when written in an expression and read
 * as null when computed, and the evaluator reads own properties only, so no expression can walk into
 * `Object.prototype` or a constructor.
 */
export const forbiddenKeys: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Binding power of each infix operator: higher binds tighter. Unary `!` and `-` bind tighter than all. */
const infix: Readonly<Record<string, { operator: BinaryOperator | "&&" | "||"; power: number }>> = {
  "||": { operator: "||", power: 1 },
  "&&": { operator: "&&", power: 2 },
  "==": { operator: "==", power: 3 },
  "!=": { operator: "!=", power: 3 },
  "<": { operator: "<", power: 4 },
  "<=": { operator: "<=", power: 4 },
  ">": { operator: ">", power: 4 },
  ">=": { operator: ">=", power: 4 },
  contains: { operator: "contains", power: 4 },
  matches: { operator: "matches", power: 4 },
  in: { operator: "in", power: 4 },
  "+": { operator: "+", power: 5 },
};
const unaryPower = 6;

const expectedValue = "a value (a literal, a path under input, context or session, a function call or '(')";

/**
 * Parses an expression into its tree (precedence climbing). Throws BATON_ERR_FLOW_EXPRESSION_INVALID with
 * the offending `position`, what was `expected` and what was `found`.
 *
 * @example
 * const ast = parseExpression('input.handover.status == "completed" && len(context.name) > 0');
 */
export function parseExpression(text: string): Expression {
  const parser = new Parser(tokenize(text));
  const expression = parser.expression(0);
  parser.expectEnd();
  return expression;
}

class Parser {
  private index = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  expression(minPower: number): Expression {
    let left = this.prefix();
    for (;;) {
      const token = this.peek();
      const key = token.type === "punctuator" || token.type === "identifier" ? token.value : undefined;
      const entry = key === undefined || !Object.hasOwn(infix, key) ? undefined : infix[key];
      if (entry === undefined || entry.power <= minPower) return left;
      this.index++;
      const { operator, power } = entry;
      if (operator === "&&" || operator === "||") {
        const right = this.expression(power);
        left = { kind: "logical", operator, left, right, position: token.position };
        continue;
      }
      const next = this.peek();
      const right: Expression =
        operator === "matches" && next.type === "regex" ? this.regex(next) : this.expression(power);
      left = { kind: "binary", operator, left, right, position: token.position };
    }
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.type !== "end") throw this.unexpected(token, "an operator or the end of the expression");
  }

  private regex(token: Extract<Token, { type: "regex" }>): Expression {
    this.index++;
    return { kind: "regex", pattern: token.pattern, flags: token.flags, position: token.position };
  }

  private prefix(): Expression {
    const token = this.next();
    switch (token.type) {
      case "number":
      case "string":
        return { kind: "literal", value: token.value, position: token.position };
      case "regex":
        throw expressionSyntaxError(
          token.position,
          `${expectedValue}; a /regex/ may only follow matches`,
          "a regex",
        );
      case "identifier":
        return this.identifier(token);
      case "punctuator":
        if (token.value === "!" || token.value === "-") {
          const operand = this.expression(unaryPower);
          return { kind: "unary", operator: token.value, operand, position: token.position };
        }
        if (token.value === "(") {
          const inner = this.expression(0);
          this.expectPunctuator(")", "')'");
          return inner;
        }
        throw this.unexpected(token, expectedValue);
      case "end":
        throw this.unexpected(token, expectedValue);
    }
  }

  private identifier(token: Extract<Token, { type: "identifier" }>): Expression {
    const name = token.value;
    if (name === "true" || name === "false") {
      return { kind: "literal", value: name === "true", position: token.position };
    }
    if (name === "null") return { kind: "literal", value: null, position: token.position };
    if (roots.has(name)) return this.path(name as PathRoot, token.position);
    if (functions.has(name)) return this.call(name as FunctionName, token.position);
    throw expressionSyntaxError(
      token.position,
      `${expectedValue}; functions are ${[...functions].join(", ")}`,
      `"${name}"`,
    );
  }

  private path(root: PathRoot, position: number): Expression {
    const segments: PathSegment[] = [];
    for (;;) {
      const token = this.peek();
      if (token.type !== "punctuator" || (token.value !== "." && token.value !== "[")) break;
      this.index++;
      if (token.value === ".") {
        const name = this.next();
        if (name.type !== "identifier") throw this.unexpected(name, "a property name after '.'");
        segments.push({ kind: "key", key: this.allowedKey(name.value, name.position) });
        continue;
      }
      const inside = this.peek();
      const after = this.tokens[this.index + 1];
      const closes = after?.type === "punctuator" && after.value === "]";
      if (closes && inside.type === "string") {
        segments.push({ kind: "key", key: this.allowedKey(inside.value, inside.position) });
        this.index += 2;
      } else if (closes && inside.type === "number") {
        if (!Number.isInteger(inside.value)) {
          throw expressionSyntaxError(inside.position, "a whole-number index", "a fraction");
        }
        segments.push({ kind: "key", key: inside.value });
        this.index += 2;
      } else {
        segments.push({ kind: "computed", expression: this.expression(0) });
        this.expectPunctuator("]", "']'");
      }
    }
    return { kind: "path", root, segments, position };
  }

  private allowedKey(key: string, position: number): string {
    if (forbiddenKeys.has(key)) {
      throw expressionSyntaxError(
        position,
        "a property name other than __proto__, constructor, prototype",
        `"${key}"`,
      );
    }
    return key;
  }

  private call(name: FunctionName, position: number): Expression {
    this.expectPunctuator("(", `'(' after ${name}`);
    const argument = this.expression(0);
    this.expectPunctuator(")", `')' (${name} takes one argument)`);
    if (name === "exists" && argument.kind !== "path") {
      throw expressionSyntaxError(
        argument.position,
        "a path such as context.name as the argument of exists",
        "another expression",
      );
    }
    return { kind: "call", name, argument, position };
  }

  private expectPunctuator(value: string, expected: string): void {
    const token = this.next();
    if (token.type !== "punctuator" || token.value !== value) throw this.unexpected(token, expected);
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    const token = this.tokens[this.index]!;
    if (token.type !== "end") this.index++;
    return token;
  }

  private unexpected(token: Token, expected: string) {
    return expressionSyntaxError(token.position, expected, describeToken(token));
  }
}

function describeToken(token: Token): string {
  switch (token.type) {
    case "end":
      return "the end of the expression";
    case "number":
      return "a number";
    case "string":
      return "a string";
    case "regex":
      return "a regex";
    case "identifier":
    case "punctuator":
      return `"${token.value}"`;
  }
}
