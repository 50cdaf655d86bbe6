import { describe, expect, it } from "vitest";
import { isBatonError } from "../../../src/errors/index.ts";
import {
  cleanJson,
  cleanText,
  exceedsJsonDepth,
  maxJsonDepth,
  parseUntrustedJson,
} from "../../../src/utils/text-hygiene.ts";

const deep = (depth: number, open = "[", close = "]") => open.repeat(depth) + close.repeat(depth);

describe("cleanText", () => {
  it("replaces NUL and lone surrogates by U+FFFD, one code unit for one", () => {
    expect(cleanText("a\u0000b")).toBe("a\uFFFDb");
    expect(cleanText("\ud800x\udc00")).toBe("\uFFFDx\uFFFD");
    expect(cleanText("end\ud83d")).toBe("end\uFFFD");
    expect(cleanText("a\u0000\ud800").length).toBe(3);
  });

  it("keeps well-formed text, surrogate pairs (emoji) included, unchanged", () => {
    const text = "Grüße 👋 — ok\t\n";
    expect(cleanText(text)).toBe(text);
  });
});

describe("cleanJson", () => {
  it("cleans every string, keys too, recursively, and leaves other values alone", () => {
    expect(cleanJson({ "k\u0000": ["\ud800", { v: "x\u0000" }, 1, true, null] })).toEqual({
      "k\uFFFD": ["\uFFFD", { v: "x\uFFFD" }, 1, true, null],
    });
  });

  it("refuses a value nested deeper than the limit with BATON_ERR_INPUT_TOO_DEEP", () => {
    let value: unknown = "leaf";
    for (let level = 0; level < maxJsonDepth; level++) value = [value];
    expect(() => cleanJson(value)).not.toThrow();
    try {
      cleanJson([value]);
      expect.unreachable();
    } catch (error) {
      expect(isBatonError(error) && error.code).toBe("BATON_ERR_INPUT_TOO_DEEP");
    }
  });
});

describe("exceedsJsonDepth", () => {
  it("counts arrays and objects, ignores brackets inside strings and escaped quotes", () => {
    expect(exceedsJsonDepth(deep(64))).toBe(false);
    expect(exceedsJsonDepth(deep(65))).toBe(true);
    expect(exceedsJsonDepth(`{"a":${deep(63)}}`)).toBe(false);
    expect(exceedsJsonDepth(`{"a":${deep(64)}}`)).toBe(true);
    expect(exceedsJsonDepth(JSON.stringify({ s: "[".repeat(500) + '\\"' + "{".repeat(500) }))).toBe(false);
  });

  it("scans 200 000 levels without recursion", () => {
    expect(exceedsJsonDepth(deep(200_000))).toBe(true);
    expect(exceedsJsonDepth(deep(200_000, "{", "}"))).toBe(true);
  });
});

describe("parseUntrustedJson", () => {
  it("parses and cleans, refuses too deep input before parsing", () => {
    expect(parseUntrustedJson('{"t":"a\\u0000b\\udc00"}')).toEqual({ t: "a\uFFFDb\uFFFD" });
    expect(() => parseUntrustedJson(deep(200_000))).toThrow(/too deeply/);
    expect(() => parseUntrustedJson("{")).toThrow(SyntaxError);
  });
});
