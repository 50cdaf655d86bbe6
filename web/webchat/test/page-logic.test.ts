import { describe, expect, it } from "vitest";
import { bytesToBase64 } from "../src/attachments.ts";
import { reconnectDelay } from "../src/backoff.ts";
import { safeUrl, splitLinks } from "../src/links.ts";
import { catalogs } from "../src/messages.ts";
import { newId, resolveEndpointToken, resolveLocale, webSocketUrl } from "../src/page-config.ts";
import { parseServerFrame } from "../src/server-frames.ts";

describe("reconnect backoff", () => {
  it("grows from 0.5 s to a 10 s cap and stays within bounds with jitter", () => {
    expect(reconnectDelay(0, () => 0.5)).toBe(500);
    expect(reconnectDelay(3, () => 0.5)).toBe(4000);
    expect(reconnectDelay(30, () => 0.5)).toBe(10_000);
    for (const random of [0, 0.999]) {
      for (let attempt = 0; attempt < 12; attempt++) {
        const delay = reconnectDelay(attempt, () => random);
        expect(delay).toBeGreaterThanOrEqual(500);
        expect(delay).toBeLessThanOrEqual(10_000);
      }
    }
    expect(reconnectDelay(2, () => 0)).toBeLessThan(reconnectDelay(2, () => 0.999));
  });
});

describe("page config", () => {
  it("takes the token from ?token= first, then the meta tag, and refuses path characters", () => {
    expect(resolveEndpointToken("?token=abc123", "meta")).toBe("abc123");
    expect(resolveEndpointToken("", " fromMeta ")).toBe("fromMeta");
    expect(resolveEndpointToken("?token=../admin", undefined)).toBeUndefined();
    expect(resolveEndpointToken("", null)).toBeUndefined();
  });

  it("connects to the same host, wss under https", () => {
    expect(webSocketUrl({ protocol: "https:", host: "chat.example:8443" }, "t0")).toBe(
      "wss://chat.example:8443/endpoints/t0/ws",
    );
    expect(webSocketUrl({ protocol: "http:", host: "localhost:3000" }, "t0")).toBe(
      "ws://localhost:3000/endpoints/t0/ws",
    );
  });

  it("picks German for ?lang=de* or a German browser, English otherwise", () => {
    expect(resolveLocale("?lang=de-AT", ["en-US"])).toEqual({ catalog: "de", tag: "de-AT" });
    expect(resolveLocale("", ["de-DE", "en"])).toEqual({ catalog: "de", tag: "de-DE" });
    expect(resolveLocale("?lang=fr", ["de"])).toEqual({ catalog: "en", tag: "fr" });
    expect(resolveLocale("?lang=<x>", [])).toEqual({ catalog: "en", tag: "en" });
  });

  it("makes UUIDs without randomUUID (plain-http pages are not a secure context)", () => {
    const id = newId({ getRandomValues: <T extends ArrayBufferView | null>(a: T) => a });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("message catalog", () => {
  it("has every key in English and German with the same placeholders", () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    expect(Object.keys(catalogs.de).sort()).toEqual(Object.keys(catalogs.en).sort());
    for (const [key, text] of Object.entries(catalogs.en)) {
      expect(placeholders(catalogs.de[key as keyof typeof catalogs.de]), key).toEqual(placeholders(text));
    }
  });
});

describe("untrusted content", () => {
  it("allows only http(s) (and mailto/tel for links) as URLs", () => {
    const base = "https://gw.example/";
    expect(safeUrl("javascript:alert(1)", base)).toBeUndefined();
    expect(safeUrl("data:text/html,x", base)).toBeUndefined();
    expect(safeUrl("mailto:a@b.example", base, "image")).toBeUndefined();
    expect(safeUrl("/files/a.png", base, "image")).toBe("https://gw.example/files/a.png");
    expect(safeUrl("tel:+49301234", base)).toBe("tel:+49301234");
  });

  it("splits links out of text without their trailing punctuation", () => {
    expect(splitLinks("See https://x.example/a. Thanks")).toEqual([
      { kind: "text", text: "See " },
      { kind: "link", url: "https://x.example/a" },
      { kind: "text", text: ". Thanks" },
    ]);
  });

  it("ignores malformed and unknown frames instead of failing", () => {
    expect(parseServerFrame("not json")).toBeUndefined();
    expect(parseServerFrame(JSON.stringify({ type: "futureFrame" }))).toBeUndefined();
    expect(
      parseServerFrame(JSON.stringify({ type: "message", message: { text: "no seq" } })),
    ).toBeUndefined();
    expect(parseServerFrame(JSON.stringify({ type: "ack", clientMessageId: "c", seq: 3 }))).toEqual({
      type: "ack",
      clientMessageId: "c",
      seq: 3,
    });
  });

  it("encodes attachments larger than one argument list", () => {
    const bytes = new Uint8Array(100_000).map((_, i) => i % 256);
    expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
  });
});
