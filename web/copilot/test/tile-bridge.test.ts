import { describe, expect, it } from "vitest";
import {
  buildSrcdoc,
  createPostbackDeduper,
  hostDataMessage,
  iframePolicy,
  maxPostbackChars,
  parseTileMessage,
  routeTileMessage,
  tileSdkSource,
} from "../src/tile-bridge.ts";

const postback = (id: string, value: unknown) => ({ baton: "copilot-tile", type: "postback", id, value });

describe("tile messages", () => {
  it("accepts a well-formed postback with a JSON value", () => {
    expect(parseTileMessage(postback("a1", { choice: "refund" }))).toEqual({
      id: "a1",
      value: { choice: "refund" },
    });
    expect(parseTileMessage(postback("a2", "yes"))).toEqual({ id: "a2", value: "yes" });
  });

  it("refuses anything else", () => {
    expect(parseTileMessage({ type: "postback", id: "x", value: 1 })).toBeUndefined();
    expect(parseTileMessage(postback("", 1))).toBeUndefined();
    expect(parseTileMessage(postback("x", undefined))).toBeUndefined();
    expect(parseTileMessage(postback("x".repeat(200), 1))).toBeUndefined();
    expect(parseTileMessage(postback("x", "y".repeat(maxPostbackChars + 1)))).toBeUndefined();
    expect(parseTileMessage("postback")).toBeUndefined();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(parseTileMessage(postback("x", cyclic))).toBeUndefined();
  });
});

describe("routing postbacks (several HTML tiles must never fire one postback more than once)", () => {
  const frameA = { name: "A" };
  const frameB = { name: "B" };
  const registrations = [
    { tileId: "a", window: () => frameA, expectedOrigin: "null" },
    { tileId: "b", window: () => frameB, expectedOrigin: "null" },
    { tileId: "ext", window: () => ({ name: "E" }), expectedOrigin: "https://app.example" },
  ];

  it("routes by the sending window and delivers each message id once", () => {
    const deduper = createPostbackDeduper();
    const event = { source: frameB, origin: "null", data: postback("m1", "go") };
    expect(routeTileMessage(registrations, event, deduper)).toEqual({ tileId: "b", value: "go" });
    expect(routeTileMessage(registrations, event, deduper)).toBeUndefined();
    // Another tile may use the same id: ids are per tile.
    expect(routeTileMessage(registrations, { ...event, source: frameA }, deduper)).toEqual({
      tileId: "a",
      value: "go",
    });
  });

  it("ignores messages from unregistered windows, the wrong origin or without a source", () => {
    const deduper = createPostbackDeduper();
    expect(
      routeTileMessage(registrations, { source: {}, origin: "null", data: postback("m", 1) }, deduper),
    ).toBeUndefined();
    expect(
      routeTileMessage(
        registrations,
        { source: frameA, origin: "https://evil.example", data: postback("m", 1) },
        deduper,
      ),
    ).toBeUndefined();
    expect(
      routeTileMessage(registrations, { source: null, origin: "null", data: postback("m", 1) }, deduper),
    ).toBeUndefined();
  });

  it("forgets the oldest ids beyond its limit", () => {
    const deduper = createPostbackDeduper(2);
    expect(deduper.accept("t", "1")).toBe(true);
    expect(deduper.accept("t", "2")).toBe(true);
    expect(deduper.accept("t", "3")).toBe(true);
    expect(deduper.accept("t", "3")).toBe(false);
    expect(deduper.accept("t", "1")).toBe(true);
  });
});

describe("HTML tile document", () => {
  it("injects the SDK first into a fragment, a document with <head>, and one with only <html>", () => {
    const fragment = buildSrcdoc("<button>Go</button>");
    expect(fragment.startsWith("<!doctype html><html><head>")).toBe(true);
    expect(fragment).toContain("window.SDK");
    expect(fragment.indexOf("window.SDK")).toBeLessThan(fragment.indexOf("<button>"));
    const doc = buildSrcdoc(
      '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body>b</body></html>',
    );
    expect(doc.startsWith('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">')).toBe(true);
    expect(doc.indexOf("window.SDK")).toBeLessThan(doc.indexOf("<title>"));
    expect(buildSrcdoc("<html><body>b</body></html>")).toMatch(
      /^<html><head>.*window\.SDK.*<\/head><body>b/s,
    );
  });

  it("has an SDK that cannot close its own script element and sends one message per call", () => {
    expect(tileSdkSource).not.toMatch(/<\/script/i);
    const sent: unknown[] = [];
    const listeners: ((e: unknown) => void)[] = [];
    const parent = { postMessage: (m: unknown) => sent.push(m) };
    const fakeWindow: Record<string, unknown> = {
      parent,
      addEventListener: (_: string, fn: (e: unknown) => void) => listeners.push(fn),
      dispatchEvent: () => true,
    };
    class FakeCustomEvent {
      constructor(
        readonly type: string,
        readonly init: unknown,
      ) {}
    }
    // The SDK is a script for the tile's document; run it here against a fake window to test it.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const run = new Function("window", "CustomEvent", tileSdkSource) as (w: unknown, c: unknown) => void;
    run(fakeWindow, FakeCustomEvent);
    const sdk = fakeWindow.SDK as {
      postback(v: unknown): void;
      onData(fn: (d: unknown) => void): void;
      readonly data: unknown;
    };
    sdk.postback({ a: 1 });
    sdk.postback({ a: 1 });
    expect(sent).toHaveLength(2);
    const [first, second] = sent as { id: string; value: unknown; baton: string }[];
    expect(first?.baton).toBe("copilot-tile");
    expect(first?.id).not.toBe(second?.id);
    const seen: unknown[] = [];
    sdk.onData((d) => seen.push(d));
    listeners[0]?.({ source: parent, data: hostDataMessage("t", { n: 1 }) });
    listeners[0]?.({ source: {}, data: hostDataMessage("t", { n: 666 }) });
    expect(seen).toEqual([{ n: 1 }]);
    expect(sdk.data).toEqual({ n: 1 });
  });
});

describe("iFrame tile policy", () => {
  const page = "https://gw.example/copilot/?userId=u";
  it("lets another origin keep its origin, targets and expects exactly that origin", () => {
    expect(iframePolicy("https://app.example/form?x=1", page)).toEqual({
      src: "https://app.example/form?x=1",
      sandbox: "allow-scripts allow-forms allow-same-origin allow-popups",
      targetOrigin: "https://app.example",
      expectedOrigin: "https://app.example",
    });
  });

  it("never gives a same-origin page allow-same-origin (it could lift its own sandbox)", () => {
    const policy = iframePolicy("/tiles/form.html", page);
    expect(policy?.src).toBe("https://gw.example/tiles/form.html");
    expect(policy?.sandbox).toBe("allow-scripts allow-forms");
    expect(policy?.expectedOrigin).toBe("null");
  });

  it("refuses non-http(s) URLs and URLs with credentials", () => {
    expect(iframePolicy("javascript:alert(1)", page)).toBeUndefined();
    expect(iframePolicy("data:text/html,<p>x</p>", page)).toBeUndefined();
    expect(iframePolicy("https://user:pw@app.example/", page)).toBeUndefined();
    expect(iframePolicy("http://[", page)).toBeUndefined();
  });
});
