import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  checkFlow,
  formatFlowIssue,
  parseFlow,
  runFlow,
  type CopilotFlowInput,
  type Flow,
} from "../../../src/flow/index.ts";
import { fakePorts } from "./flow-test-kit.ts";

const copilotFlow = (nodes: Record<string, unknown>, start = Object.keys(nodes)[0]!): Flow =>
  parseFlow(stringify({ id: "c", start, nodes }), { file: "copilot.yaml", kind: "copilot" });

const issuesOf = (nodes: Record<string, unknown>, kind: "main" | "copilot" = "copilot") => {
  const result = checkFlow(stringify({ start: Object.keys(nodes)[0], nodes }), { file: "f.yaml", kind });
  return result.ok ? [] : result.issues.map(formatFlowIssue);
};

const input = (extra: Partial<CopilotFlowInput> = {}): CopilotFlowInput => ({
  trigger: "handover",
  text: null,
  postback: null,
  search: null,
  handover: { status: "queued", queue: "Support", agent: null },
  ...extra,
});

async function actionsOf(
  nodes: Record<string, unknown>,
  extra: Partial<CopilotFlowInput> = {},
  context = {},
) {
  const result = await runFlow(
    copilotFlow(nodes),
    { entrypoint: null, waiting: "none", context },
    { kind: "copilot", input: input(extra) },
    fakePorts(),
  );
  expect(result.errors).toEqual([]);
  return result.actions.map(({ outputsBefore: _o, ...action }) => action);
}

describe("copilot flow loading", () => {
  it("refuses tile nodes in a main flow and main-only nodes in a copilot flow, naming file, node and field", () => {
    expect(issuesOf({ g: { type: "transcriptTile", tile: "t" } }, "main")).toEqual([
      expect.stringMatching(
        /^f\.yaml:\d+ {2}node "g", field type: expected a node type of a main flow \("transcriptTile" belongs in a copilot flow only/,
      ),
    ]);
    for (const node of [
      { type: "say", text: "hi" },
      { type: "question", text: "name?", save: "context.name" },
      { type: "handoverToAgent" },
      { type: "closeHandover" },
    ]) {
      expect(issuesOf({ n: node })[0]).toMatch(/field type: expected a node type of a copilot flow/);
    }
    expect(issuesOf({ n: { type: "goTo", target: "n", wait: true } })).toEqual([
      expect.stringContaining("field wait: expected false in a copilot flow"),
    ]);
    // Logic nodes load in both kinds.
    expect(
      issuesOf({ a: { type: "setContext", set: { "context.x": 1 }, next: "b" }, b: { type: "end" } }),
    ).toEqual([]);
  });

  it("validates tile node fields with what was expected", () => {
    expect(
      issuesOf({
        g: { type: "setGrid", columns: 2, rows: 1, tiles: { a: { x: 2, y: 1, columns: 2, rows: 1 } } },
      }),
    ).toEqual([
      expect.stringContaining("field tiles.a.columns: expected a span that fits the grid's 2 columns"),
    ]);
    expect(issuesOf({ s: { type: "sentimentTile", tile: "s", input: "all" } })).toEqual([
      expect.stringContaining("field input: expected lastInput or last10"),
    ]);
    expect(issuesOf({ n: { type: "nextActionTile", tile: "n" } })).toEqual([
      expect.stringContaining("expected either text or fromKnowledge: true (exactly one)"),
    ]);
    expect(issuesOf({ i: { type: "iframeTile", tile: "i", url: "{{ context.url }}" } })).toEqual([
      expect.stringContaining("field url: expected an http:// or https:// URL"),
    ]);
    expect(issuesOf({ k: { type: "knowledgeTile", tile: "9bad" } })).toEqual([
      expect.stringContaining("field tile: expected a tile id"),
    ]);
    expect(issuesOf({ k: { type: "knowledgeTile", tile: "k", query: "input.(" } })[0]).toContain(
      "field query: expected a valid expression",
    );
    expect(issuesOf({ t: { type: "htmlTile", tile: "t", html: "<p/>", colour: "red" } })).toEqual([
      expect.stringContaining('field colour: expected no key "colour" here'),
    ]);
    expect(issuesOf({ t: { type: "teleportTile" } })[0]).toContain(
      "expected one of if, lookup, goTo, setContext, httpRequest, end, setGrid",
    );
  });
});

describe("copilot nodes", () => {
  it("setGrid emits the grid and tile placements", async () => {
    expect(
      await actionsOf({
        g: {
          type: "setGrid",
          columns: 2,
          rows: 1,
          gap: 4,
          background: "#fff",
          tiles: { a: { x: 1, y: 1, columns: 2, rows: 1, title: "A" } },
        },
      }),
    ).toEqual([
      {
        type: "copilot.grid",
        nodeId: "g",
        spec: {
          grid: { columns: 2, rows: 1, gap: 4, background: "#fff" },
          tiles: { a: { placement: { x: 1, y: 1, columns: 2, rows: 1 }, title: "A" } },
        },
      },
    ]);
  });

  it("each tile node emits its spec, with templates and expressions rendered", async () => {
    const actions = await actionsOf(
      {
        t: { type: "transcriptTile", tile: "t", next: "s" },
        s: { type: "sentimentTile", tile: "s", input: "last10", next: "k" },
        k: { type: "knowledgeTile", tile: "k", query: "context.topic", copyable: true, next: "k2" },
        k2: { type: "knowledgeTile", tile: "k2", next: "n" },
        n: { type: "nextActionTile", tile: "n", text: "Offer {{ context.offer }}", next: "n2" },
        n2: {
          type: "nextActionTile",
          tile: "n2",
          fromKnowledge: true,
          query: "'refund ' + context.topic",
          next: "i",
        },
        i: {
          type: "identityTile",
          tile: "i",
          fields: { Queue: "{{ input.handover.queue }}", Missing: "{{ context.no }}" },
          next: "su",
        },
        su: { type: "summaryTile", tile: "su", next: "h" },
        h: { type: "htmlTile", tile: "h", html: "<b>x</b>", data: { n: "{{ context.count }}" }, next: "f" },
        f: {
          type: "iframeTile",
          tile: "f",
          url: "https://crm.example.com/u/{{ session.userId }}",
          next: "a",
        },
        a: {
          type: "adaptiveCardTile",
          tile: "a",
          card: { type: "AdaptiveCard", body: [{ type: "TextBlock", text: "Hi {{ context.offer }}" }] },
          next: "d",
        },
        d: { type: "sendData", tile: "h", data: { trigger: "{{ input.trigger }}" } },
      },
      {},
      { topic: "invoices", offer: "10% off", count: 3 },
    );
    expect(actions.map((a) => (a.type === "copilot.tile" ? [a.tileId, a.spec] : [a.type, a]))).toEqual([
      ["t", { kind: "transcript" }],
      ["s", { kind: "sentiment", input: "last10" }],
      ["k", { kind: "knowledge", query: "invoices", copyable: true }],
      ["k2", { kind: "knowledge", copyable: false }],
      ["n", { kind: "nextAction", text: "Offer 10% off", copyable: false }],
      ["n2", { kind: "nextAction", query: "refund invoices", copyable: false }],
      ["i", { kind: "identity", fields: [{ label: "Queue", value: "Support" }], layout: "vertical" }],
      ["su", { kind: "summary", copyable: false }],
      ["h", { kind: "html", html: "<b>x</b>", data: { n: 3 } }],
      ["f", { kind: "iframe", url: "https://crm.example.com/u/user-1" }],
      [
        "a",
        {
          kind: "adaptiveCard",
          card: { type: "AdaptiveCard", body: [{ type: "TextBlock", text: "Hi 10% off" }] },
        },
      ],
      [
        "copilot.sendData",
        { type: "copilot.sendData", nodeId: "d", tileId: "h", data: { trigger: "handover" } },
      ],
    ]);
  });

  it("sees the trigger, postback and search as input, and runs from start every time", async () => {
    const nodes = {
      route: {
        type: "lookup",
        value: "input.trigger",
        cases: { postback: "pb", search: "se" },
        default: "other",
      },
      pb: {
        type: "nextActionTile",
        tile: "n",
        text: "{{ input.postback.tileId }}={{ input.postback.value.choice }}",
      },
      se: { type: "nextActionTile", tile: "n", text: "searched {{ input.search.query }}" },
      other: { type: "nextActionTile", tile: "n", text: "{{ input.trigger }}: {{ input.text }}" },
    };
    const text = (actions: Awaited<ReturnType<typeof actionsOf>>) =>
      actions.map((a) =>
        a.type === "copilot.tile" && a.spec.kind === "nextAction" ? a.spec.text : undefined,
      );
    expect(
      text(
        await actionsOf(nodes, {
          trigger: "postback",
          postback: { tileId: "card", value: { choice: "yes" } },
        }),
      ),
    ).toEqual(["card=yes"]);
    expect(
      text(await actionsOf(nodes, { trigger: "search", search: { tileId: "k", query: "refund" } })),
    ).toEqual(["searched refund"]);
    expect(text(await actionsOf(nodes, { trigger: "userMessage", text: "hello" }))).toEqual([
      "userMessage: hello",
    ]);
  });
});
