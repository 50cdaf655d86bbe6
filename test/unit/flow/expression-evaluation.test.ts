import { describe, expect, it } from "vitest";
import {
  evaluate,
  maxMatchInputLength,
  parseExpression,
  parseTemplate,
  renderTemplate,
  renderTemplateValue,
  type ExpressionScope,
} from "../../../src/flow/expressions/index.ts";

function scopeWith(
  context: Record<string, unknown> = {},
  input: Partial<ExpressionScope["input"]> = {},
): ExpressionScope {
  return {
    input: { text: null, data: null, handover: null, ...input },
    context,
    session: { endpointId: "web", userId: "u-1", sessionId: "s-1", locale: "de" },
  };
}

const context = {
  name: "Ada",
  count: 3,
  zero: 0,
  empty: "",
  nothing: null,
  tags: ["vip", "de"],
  order: { id: "o-7", lines: [{ sku: "a" }, { sku: "b" }] },
  key: "id",
  sameTags: ["vip", "de"],
  otherTags: ["de", "vip"],
};
const run = (source: string, scope = scopeWith(context)) => evaluate(parseExpression(source), scope);

describe("expression evaluation", () => {
  it.each([
    ["1 + 2", 3],
    ['"a" + "b"', "ab"],
    ['"n=" + 2', "n=2"],
    ['1 + "2"', "12"],
    ['"x" + null', "x"],
    ["null + 1", null],
    ["true + 1", null],
    ["-context.count", -3],
    ['-"3"', null],
    ["1 == 1", true],
    ['1 == "1"', false],
    ["context.tags == context.sameTags", true],
    ["context.tags == context.otherTags", false],
    ["context.order == context.order", true],
    ["null == context.missing", true],
    ["2 < 10", true],
    ['"2" < "10"', false],
    ['2 < "10"', false],
    ['"b" >= "a"', true],
    ['context.name contains "d"', true],
    ['context.tags contains "vip"', true],
    ['context.count contains "3"', false],
    ['"de" in context.tags', true],
    ['"fr" in context.tags', false],
    ['"d" in context.name', false],
    ["!context.zero", true],
    ["!context.empty", true],
    ["!context.tags", false],
    ["!context.missing", true],
  ])("%s → %j", (source, expected) => {
    expect(run(source)).toEqual(expected);
  });

  it.each([
    ["context.order.id", "o-7"],
    ["context.order.lines[1].sku", "b"],
    ['context.order["lines"][0]["sku"]', "a"],
    ["context.order[context.key]", "o-7"],
    ["context.order.lines[5].sku", null],
    ["context.order.lines[-1]", null],
    ["context.missing.deeper.still", null],
    ["context.name.length", null],
    ["context.tags.length", null],
    ["session.locale", "de"],
    ["input.handover.status", null],
  ])("reads %s as %j, missing paths as null without throwing", (source, expected) => {
    expect(run(source)).toEqual(expected);
  });

  it("reads own properties only: inherited members, computed __proto__/constructor and functions are null", () => {
    const inheriting = Object.assign(Object.create({ inherited: "from the prototype" }) as object, {
      own: "yes",
      proto: "__proto__",
      ctor: "constructor",
      fn: () => "called",
      parsed: JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
    });
    const scope = scopeWith(inheriting);
    expect(run("context.own", scope)).toBe("yes");
    expect(run("context.inherited", scope)).toBeNull();
    expect(run("context[context.proto]", scope)).toBeNull();
    expect(run("context.parsed[context.proto].polluted", scope)).toBeNull();
    expect(run("context[context.ctor]", scope)).toBeNull();
    expect(run("context.fn", scope)).toBeNull();
    expect(run('context.tags["length"]')).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ["exists(context.name)", true],
    ["exists(context.nothing)", false],
    ["exists(context.order.nope)", false],
    ["lower(context.name)", "ada"],
    ["upper(context.name)", "ADA"],
    ["lower(context.count)", null],
    ["len(context.name)", 3],
    ["len(context.tags)", 2],
    ["len(context.order)", 2],
    ["len(context.missing)", 0],
    ['number(" 42 ")', 42],
    ['number("4x")', null],
    ['number("")', null],
    ["number(true)", 1],
    ["string(12.5)", "12.5"],
    ["string(null)", ""],
    ["string(context.tags)", '["vip","de"]'],
  ])("function %s → %j", (source, expected) => {
    expect(run(source)).toEqual(expected);
  });

  it("short-circuits && and || and returns an operand, as JavaScript does", () => {
    // The right side would be an error nowhere, so short-circuit is observed through the value returned.
    expect(run('context.zero && "right"')).toBe(0);
    expect(run('context.count && "right"')).toBe("right");
    expect(run('context.name || "fallback"')).toBe("Ada");
    expect(run('context.empty || "fallback"')).toBe("fallback");
    expect(run("context.missing || context.missing2")).toBeNull();
  });

  it("does not evaluate the right side of a short-circuited operator", () => {
    let reads = 0;
    const counting = new Proxy(
      { touched: "yes" },
      {
        get: (target, key): unknown => {
          if (key === "touched") reads++;
          return Reflect.get(target, key) as unknown;
        },
        getOwnPropertyDescriptor: (target, key) => Reflect.getOwnPropertyDescriptor(target, key),
      },
    );
    const scope = scopeWith({ watched: counting, off: false, on: true });
    expect(run("context.off && context.watched.touched", scope)).toBe(false);
    expect(run("context.on || context.watched.touched", scope)).toBe(true);
    expect(reads).toBe(0);
    expect(run("context.on && context.watched.touched", scope)).toBe("yes");
    expect(reads).toBe(1);
  });

  describe("matches", () => {
    it.each([
      ["input.text matches /^\\d{4}$/", "2024", true],
      ["input.text matches /^\\d{4}$/", "20245", false],
      ["input.text matches /human|agent/i", "Talk to an AGENT", true],
      ['input.text matches "^[a-z]+$"', "abc", true],
      ['input.text matches "("', "abc", false],
      ["input.text matches /x/", null, false],
    ])("%s on %j → %j", (source, text, expected) => {
      expect(run(source, scopeWith({}, { text }))).toBe(expected);
    });

    it(`never matches inputs longer than ${maxMatchInputLength} characters (ReDoS guard)`, () => {
      const long = "a".repeat(maxMatchInputLength + 1);
      expect(run("input.text matches /a/", scopeWith({}, { text: long }))).toBe(false);
      expect(run("input.text matches /a/", scopeWith({}, { text: long.slice(1) }))).toBe(true);
    });
  });

  describe("templates", () => {
    it("renders {{ expressions }} in text, null as empty", () => {
      const template = parseTemplate(
        "Hi {{ context.name }}, you have {{ context.count + 1 }} {{ context.nope }}items",
      );
      expect(renderTemplate(template, scopeWith(context))).toBe("Hi Ada, you have 4 items");
    });

    it("leaves text without templates as it is", () => {
      expect(renderTemplate(parseTemplate("plain { text }"), scopeWith())).toBe("plain { text }");
    });

    it("applies an encoder to inserted values only", () => {
      const template = parseTemplate("https://x.test/q?name={{ input.text }}&a=b");
      expect(renderTemplate(template, scopeWith({}, { text: "a&b /c" }), encodeURIComponent)).toBe(
        "https://x.test/q?name=a%26b%20%2Fc&a=b",
      );
    });

    it("yields the raw value when the template is exactly one expression", () => {
      expect(renderTemplateValue(parseTemplate(" {{ context.order }} "), scopeWith(context))).toEqual(
        context.order,
      );
      expect(renderTemplateValue(parseTemplate("n={{ context.count }}"), scopeWith(context))).toBe("n=3");
    });

    it.each([
      ["Hi {{ context.name", { position: 18, expected: "'}}' closing the '{{'" }],
      ["Hi {{ context.name + }}", { position: 21 }],
    ])("reports a bad template %j at its position in the whole text", (source, details) => {
      expect(() => parseTemplate(source)).toThrow(
        expect.objectContaining({ details: expect.objectContaining(details) }),
      );
    });
  });
});
