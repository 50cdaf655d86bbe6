import { describe, expect, it } from "vitest";
import { reconnectDelay } from "../src/backoff.ts";
import { gridLayout, safeCssColor, tileLayout } from "../src/grid.ts";
import { catalogs, createTranslator } from "../src/messages.ts";
import {
  isRefusalClose,
  isRefusalErrorCode,
  parseLinkParams,
  resolveLocale,
  webSocketUrl,
} from "../src/page-config.ts";
import { parseServerFrame } from "../src/server-frames.ts";

describe("link parameters", () => {
  it("reads userId, sessionId, URLToken and the optional auth", () => {
    expect(parseLinkParams("?userId=u1&sessionId=s1&URLToken=tok")).toEqual({
      ok: true,
      params: { userId: "u1", sessionId: "s1", URLToken: "tok" },
    });
    expect(parseLinkParams("?userId=u1&sessionId=s1&URLToken=tok&auth=a.b.c")).toEqual({
      ok: true,
      params: { userId: "u1", sessionId: "s1", URLToken: "tok", auth: "a.b.c" },
    });
    // Cognigy.AI's embedding URL spells it URLtoken.
    expect(parseLinkParams("?userId=u&sessionId=s&URLtoken=t").ok).toBe(true);
  });

  it("names the missing parameters", () => {
    expect(parseLinkParams("?userId=u1&URLToken=")).toEqual({
      ok: false,
      missing: ["sessionId", "URLToken"],
    });
    expect(parseLinkParams("")).toEqual({ ok: false, missing: ["userId", "sessionId", "URLToken"] });
    expect(parseLinkParams(`?userId=${"x".repeat(5000)}&sessionId=s&URLToken=t`).ok).toBe(false);
  });

  it("opens the socket next to the page with the same parameters, wss under https", () => {
    const params = { userId: "u 1", sessionId: "s1", URLToken: "tok", auth: "a.b" };
    expect(webSocketUrl({ protocol: "https:", host: "gw.example", pathname: "/copilot/" }, params)).toBe(
      "wss://gw.example/copilot/ws?userId=u+1&sessionId=s1&URLToken=tok&auth=a.b",
    );
    expect(
      webSocketUrl(
        { protocol: "http:", host: "localhost:3000", pathname: "/copilot/index.html" },
        { userId: "u", sessionId: "s", URLToken: "t" },
      ),
    ).toBe("ws://localhost:3000/copilot/ws?userId=u&sessionId=s&URLToken=t");
  });

  it("treats 4401/4403/4404 and refusal error codes as a refused link, other closes as retryable", () => {
    expect([4401, 4403, 4404].every(isRefusalClose)).toBe(true);
    expect([1000, 1001, 1006, 1011, 4000, 4400, 4429].some(isRefusalClose)).toBe(false);
    expect(isRefusalErrorCode("not_found")).toBe(true);
    expect(isRefusalErrorCode("LINK_EXPIRED")).toBe(true);
    expect(isRefusalErrorCode("BATON_ERR_COPILOT_ACCESS_DENIED")).toBe(true);
    expect(isRefusalErrorCode("BATON_ERR_COPILOT_RATE_LIMITED")).toBe(false);
    expect(isRefusalErrorCode("rate_limited")).toBe(false);
  });
});

describe("reconnect backoff", () => {
  it("grows from 0.5 s to a 10 s cap and stays within bounds with jitter", () => {
    expect(reconnectDelay(0, () => 0.5)).toBe(500);
    expect(reconnectDelay(3, () => 0.5)).toBe(4000);
    expect(reconnectDelay(30, () => 0.5)).toBe(10_000);
    for (let attempt = 0; attempt < 12; attempt++) {
      expect(reconnectDelay(attempt, () => 0.999)).toBeLessThanOrEqual(10_000);
      expect(reconnectDelay(attempt, () => 0)).toBeGreaterThanOrEqual(500);
    }
  });
});

describe("grid layout", () => {
  it("turns the grid into CSS variables", () => {
    expect(gridLayout({ columns: 4, rows: 3, gap: 12, background: "#f5f7fa" })).toEqual({
      style: {
        "--grid-columns": "4",
        "--grid-rows": "3",
        "--grid-gap": "12px",
        "--grid-background": "#f5f7fa",
      },
      background: "#f5f7fa",
    });
    expect(gridLayout({ columns: 0, rows: 100, gap: -3 }).style).toEqual({
      "--grid-columns": "1",
      "--grid-rows": "24",
      "--grid-gap": "0px",
    });
  });

  it("places tiles 1-based with spans and clamps them into the grid", () => {
    const grid = { columns: 3, rows: 2, gap: 8 };
    expect(tileLayout({ x: 2, y: 1, columns: 2, rows: 2 }, grid)).toEqual({
      style: { "--tile-column": "2 / span 2", "--tile-row": "1 / span 2" },
      adjusted: false,
    });
    expect(tileLayout({ x: 3, y: 2, columns: 3, rows: 1 }, grid)).toEqual({
      style: { "--tile-column": "3 / span 1", "--tile-row": "2 / span 1" },
      adjusted: true,
    });
    expect(tileLayout({ x: 0, y: 9, columns: 0, rows: 1 }, grid).style).toEqual({
      "--tile-column": "1 / span 1",
      "--tile-row": "2 / span 1",
    });
  });

  it("accepts plain colours only as background", () => {
    expect(safeCssColor("#abc")).toBe("#abc");
    expect(safeCssColor("rgb(245, 247, 250)")).toBe("rgb(245, 247, 250)");
    expect(safeCssColor("hsl(120deg 50% 50%)")).toBe("hsl(120deg 50% 50%)");
    expect(safeCssColor("White")).toBe("white");
    expect(safeCssColor("url(https://x.example/a.png)")).toBeUndefined();
    expect(safeCssColor("red; position: fixed")).toBeUndefined();
    expect(gridLayout({ columns: 1, rows: 1, gap: 0, background: "url(x)" }).rejectedBackground).toBe(
      "url(x)",
    );
  });
});

describe("server frames", () => {
  const grid = { columns: 2, rows: 2, gap: 8 };
  it("accepts the protocol's frames", () => {
    const state = { sessionKey: "k", grid, tiles: [], problems: [] };
    expect(parseServerFrame(JSON.stringify({ type: "state", state, workspaceVersion: 3 })).kind).toBe(
      "frame",
    );
    const tile = { id: "t", version: 1, placement: { x: 1, y: 1, columns: 1, rows: 1 } };
    expect(parseServerFrame(JSON.stringify({ type: "tile", tile, workspaceVersion: 3 })).kind).toBe("frame");
    expect(
      parseServerFrame(
        JSON.stringify({
          type: "tile",
          tile: { ...tile, content: { kind: "html", html: "<p>x</p>" } },
          workspaceVersion: 3,
        }),
      ).kind,
    ).toBe("frame");
    expect(
      parseServerFrame(JSON.stringify({ type: "sendData", tileId: "t", data: null, workspaceVersion: 3 }))
        .kind,
    ).toBe("frame");
    expect(
      parseServerFrame(
        JSON.stringify({
          type: "problem",
          problem: { code: "c", message: "m", at: "x" },
          workspaceVersion: 3,
        }),
      ).kind,
    ).toBe("frame");
    expect(parseServerFrame(JSON.stringify({ type: "error", code: "not_found", message: "m" })).kind).toBe(
      "frame",
    );
  });

  it("ignores unknown frame types and flags broken known ones", () => {
    expect(parseServerFrame(JSON.stringify({ type: "futureThing" }))).toEqual({
      kind: "ignored",
      type: "futureThing",
    });
    expect(parseServerFrame("{not json").kind).toBe("invalid");
    expect(
      parseServerFrame(JSON.stringify({ type: "tile", tile: { id: "t" }, workspaceVersion: 1 })).kind,
    ).toBe("invalid");
    expect(
      parseServerFrame(
        JSON.stringify({
          type: "tile",
          tile: {
            id: "t",
            version: 1,
            placement: { x: 1, y: 1, columns: 1, rows: 1 },
            content: { kind: "bogus" },
          },
          workspaceVersion: 1,
        }),
      ).kind,
    ).toBe("invalid");
    expect(
      parseServerFrame(
        JSON.stringify({ type: "state", state: { sessionKey: "k", grid }, workspaceVersion: 1 }),
      ).kind,
    ).toBe("invalid");
  });

  it("flags a state, tile, sendData or problem frame without the workspace's version (it could not be ordered)", () => {
    const state = { sessionKey: "k", grid, tiles: [], problems: [] };
    expect(parseServerFrame(JSON.stringify({ type: "state", state }))).toEqual({
      kind: "invalid",
      detail: "state without workspaceVersion",
    });
    expect(
      parseServerFrame(JSON.stringify({ type: "sendData", tileId: "t", data: 1, workspaceVersion: -1 })),
    ).toEqual({ kind: "invalid", detail: "sendData without workspaceVersion" });
  });
});

describe("language and messages", () => {
  it("picks German for ?lang=de* or a German browser, English otherwise", () => {
    expect(resolveLocale("?lang=de-AT", ["en-US"])).toBe("de");
    expect(resolveLocale("", ["de-DE", "en"])).toBe("de");
    expect(resolveLocale("?lang=fr", ["de"])).toBe("en");
    expect(resolveLocale("?lang=<x>", [])).toBe("en");
  });

  it("has every key in English and German with the same placeholders", () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    expect(Object.keys(catalogs.de).sort()).toEqual(Object.keys(catalogs.en).sort());
    for (const [key, text] of Object.entries(catalogs.en)) {
      expect(placeholders(catalogs.de[key as keyof typeof catalogs.de]), key).toEqual(placeholders(text));
    }
    expect(createTranslator("de")("answerFor", { query: "Erstattung" })).toBe("Antwort auf „Erstattung“");
  });
});
