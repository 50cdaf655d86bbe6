import { describe, expect, it } from "vitest";
import { fileNameFromContentDisposition } from "../../../src/providers/8x8/multipart-body.ts";
import {
  backoffDelay,
  defaultRetrySettings,
  isRetryableStatus,
  nextDelay,
  parseRetryAfter,
} from "../../../src/providers/8x8/retry-policy.ts";

describe("retry policy", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("parses Retry-After as seconds or HTTP-date and ignores garbage", () => {
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter(" 12 ", now)).toBe(12_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-3", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("draws full-jitter backoff below min(maxDelay, base·2^(n-1))", () => {
    expect(backoffDelay(1, defaultRetrySettings, () => 0.999)).toBe(199);
    expect(backoffDelay(3, defaultRetrySettings, () => 0.5)).toBe(400);
    expect(backoffDelay(20, defaultRetrySettings, () => 0.999)).toBe(4995);
    expect(backoffDelay(2, defaultRetrySettings, () => 0)).toBe(0);
  });

  it("prefers Retry-After up to the cap, then gives up", () => {
    expect(nextDelay(1, 2_000, defaultRetrySettings, () => 0.5)).toEqual({ kind: "wait", ms: 2_000 });
    expect(nextDelay(1, 30_000, defaultRetrySettings, () => 0.5)).toEqual({ kind: "wait", ms: 30_000 });
    expect(nextDelay(1, 30_001, defaultRetrySettings, () => 0.5)).toEqual({ kind: "giveUp" });
    expect(nextDelay(2, undefined, defaultRetrySettings, () => 0.5)).toEqual({ kind: "wait", ms: 200 });
  });

  it("retries 429 and 5xx only", () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 408, 409, 422].some(isRetryableStatus)).toBe(false);
  });
});

describe("Content-Disposition file names", () => {
  it.each([
    ['attachment; filename="receipt.pdf"', "receipt.pdf"],
    ["attachment; filename=receipt.pdf", "receipt.pdf"],
    ['inline; filename="a \\"quoted\\" name.txt"', 'a "quoted" name.txt'],
    ["attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf", "€ rates.pdf"],
    ["attachment; filename*=iso-8859-1'en'%E9t%E9.txt", "été.txt"],
    ['attachment; filename="C:\\\\temp\\\\x.txt"', "x.txt"],
    ["attachment", undefined],
    [undefined, undefined],
  ])("%s → %s", (header, expected) => {
    expect(fileNameFromContentDisposition(header)).toBe(expected);
  });
});
