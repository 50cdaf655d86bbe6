import { describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import { parseExpression, type Expression } from "../../../src/flow/expressions/index.ts";

/** A compact rendering of the tree, with explicit parentheses, to check precedence. */
function shape(expression: Expression): string {
  switch (expression.kind) {
    case "literal":
      return JSON.stringify(expression.value);
    case "regex":
      return `/${expression.pattern}/${expression.flags}`;
    case "path":
      return [
        expression.root,
        ...expression.segments.map((s) =>
          s.kind === "key" ? `[${JSON.stringify(s.key)}]` : `[${shape(s.expression)}]`,
        ),
      ].join("");
    case "unary":
      return `(${expression.operator}${shape(expression.operand)})`;
    case "binary":
    case "logical":
      return `(${shape(expression.left)} ${expression.operator} ${shape(expression.right)})`;
    case "call":
      return `${expression.name}(${shape(expression.argument)})`;
  }
}

function syntaxError(text: string): Record<string, unknown> {
  try {
    parseExpression(text);
  } catch (error) {
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).code).toBe("BATON_ERR_FLOW_EXPRESSION_INVALID");
    return { ...(error as BatonError).details };
  }
  throw new Error(`expected ${text} not to parse`);
}

describe("expression parser", () => {
  // c.x is context.x: short names keep the table readable.
  it.each([
    ["c.a || c.b && c.c", "(a || (b && c))"],
    ["c.a && c.b || c.c", "((a && b) || c)"],
    ["c.a == c.b && c.c != c.d", "((a == b) && (c != d))"],
    ["1 + 2 < 4", "((1 + 2) < 4)"],
    ["c.a < c.b == c.c < c.d", "((a < b) == (c < d))"],
    ["!c.a && c.b", "((!a) && b)"],
    ["!(c.a && c.b)", "(!(a && b))"],
    ["-1 + 2", "((-1) + 2)"],
    ["1 + 2 + 3", "((1 + 2) + 3)"],
    ['"x" + c.a contains "y"', '(("x" + a) contains "y")'],
    ["c.a in c.b || c.c", "((a in b) || c)"],
    ["c.t matches /^a+$/i && c.ok", "((t matches /^a+$/i) && ok)"],
  ])("parses %s with the documented precedence", (source, expected) => {
    const tree = shape(parseExpression(source.replace(/\bc\./g, "context.")));
    expect(tree.replace(/context\["(\w+)"\]/g, "$1")).toBe(expected);
  });

  it.each([
    ["input.text", 'input["text"]'],
    ["input.handover.status", 'input["handover"]["status"]'],
    ['context.items[0]["odd key"]', 'context["items"][0]["odd key"]'],
    ["context.map[context.key]", 'context["map"][context["key"]]'],
    ["session.locale", 'session["locale"]'],
    ["len(context.list) > 0", '(len(context["list"]) > 0)'],
    ["exists(context.name)", 'exists(context["name"])'],
    ['"it\\u0027s \\"quoted\\""', '"it\'s \\"quoted\\""'],
    ["'single'", '"single"'],
    ["3.25", "3.25"],
    ["true != null", "(true != null)"],
  ])("parses paths, calls and literals: %s", (source, expected) => {
    expect(shape(parseExpression(source))).toBe(expected);
  });

  it.each([
    ["context.a +", { position: 11, expected: expect.stringContaining("a value") }],
    ["(context.a", { position: 10, expected: "')'" }],
    ["context.a context.b", { position: 10, expected: "an operator or the end of the expression" }],
    ["handover.status", { position: 0, found: '"handover"' }],
    ["eval(1)", { position: 0, found: '"eval"' }],
    ["lower(1, 2)", { position: 7, expected: "')' (lower takes one argument)" }],
    ["exists(1)", { position: 7 }],
    ['"open', { position: 5, expected: 'a closing "' }],
    ["context.a matches /(/", { position: 18, expected: "a valid regular expression" }],
    ["context.a matches /x/g", { position: 18, expected: "regex flags among i, m, s, u (each once)" }],
    ["/x/", { position: 0, found: "a regex" }],
    ["context.a = 1", { position: 10 }],
    ["1.5abc", { position: 3 }],
    ["context[1.5]", { position: 8, expected: "a whole-number index" }],
  ])("reports %s with its position and what was expected", (source, details) => {
    expect(syntaxError(source)).toMatchObject(details);
  });

  it.each([
    "context.__proto__",
    "context.constructor",
    "input.data.prototype",
    'context["__proto__"]',
    "context.a.constructor.name",
  ])("refuses prototype access written in the expression: %s", (source) => {
    expect(syntaxError(source).expected).toContain("other than __proto__, constructor, prototype");
  });

  it("refuses expressions longer than 2000 characters", () => {
    expect(syntaxError(`"${"x".repeat(2_000)}"`).expected).toContain("at most 2000");
  });
});
