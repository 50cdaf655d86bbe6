import { describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import {
  checkFlow,
  formatFlowIssue,
  loadFlowFile,
  parseFlow,
  type FlowIssue,
} from "../../../src/flow/index.ts";

const file = "flows/broken.yaml";

function issuesOf(text: string): readonly FlowIssue[] {
  const result = checkFlow(text, { file });
  if (result.ok) throw new Error("expected the flow to be invalid");
  return result.issues;
}

const find = (issues: readonly FlowIssue[], nodeId: string | undefined, field: string) =>
  issues.find((i) => i.nodeId === nodeId && i.field === field);

const broken = `id: broken
start: nowhere
colour: red
nodes:
  greet:
    type: say
    txt: hello
  ask:
    type: question
    text: "Name? {{ context.name + }}"
    save: name
    validate: input.text matches /[/
    next: missing
  branch:
    type: if
    condition: input.__proto__
    then: greet
  route:
    type: lookup
    value: input.handover.status
    cases: { completed: gone }
  toAgent:
    type: handoverToAgent
    transcript: last:0
    cancelIntent: "/(a/"
    onResolve: later
    sendQueueEvent: "yes"
  idle:
    type: setHandoverInactivity
    seconds: 1.5
  call:
    type: httpRequest
    url: "{{ context.base }}/x"
    save: context.r
  assign:
    type: setContext
    set: { name: "1", context.ok: "1 +" }
  weird:
    type: teleport
`;

describe("flow loading", () => {
  it("lists every problem at once with file, line, node id, field and what was expected", () => {
    const issues = issuesOf(broken);
    const table = issues.map((i) => [i.nodeId, i.field]);
    expect(table).toEqual(
      expect.arrayContaining([
        [undefined, "colour"],
        [undefined, "start"],
        ["greet", "txt"],
        ["greet", "text"],
        ["ask", "text"],
        ["ask", "save"],
        ["ask", "validate"],
        ["branch", "condition"],
        ["route", "cases.completed"],
        ["toAgent", "transcript"],
        ["toAgent", "cancelIntent"],
        ["toAgent", "onResolve"],
        ["toAgent", "sendQueueEvent"],
        ["idle", "seconds"],
        ["call", "url"],
        ["assign", "set.name"],
        ["assign", "set.context.ok"],
        ["weird", "type"],
      ]),
    );
    expect(issues.every((i) => i.file === file && typeof i.line === "number")).toBe(true);
    expect(find(issues, "greet", "txt")).toMatchObject({
      line: 7,
      expected: expect.stringContaining("known keys: type, text"),
    });
    expect(find(issues, undefined, "start")?.expected).toContain('"nowhere" is not one');
    expect(find(issues, "ask", "text")?.expected).toMatch(
      /^a valid template \(at character 25: expected a value/,
    );
    expect(find(issues, "ask", "validate")?.expected).toContain("a closing / of the regex");
    expect(find(issues, "branch", "condition")?.expected).toContain(
      "other than __proto__, constructor, prototype",
    );
    expect(find(issues, "toAgent", "transcript")?.expected).toBe(
      '"full", "none" or "last:N" with N of 1 or more',
    );
    expect(find(issues, "toAgent", "cancelIntent")?.expected).toBe("a valid regular expression");
    expect(find(issues, "toAgent", "sendQueueEvent")?.expected).toBe("true or false");
    expect(find(issues, "idle", "seconds")?.expected).toBe("a whole number of seconds from 1 to 86400");
    expect(find(issues, "weird", "type")?.expected).toMatch(/^one of say, question, if, lookup, goTo/);
  });

  it("reports a target that names no node, once the node itself is valid", () => {
    const issues = issuesOf(`start: a
nodes:
  a: { type: say, text: hi, next: b }
  c: { type: if, condition: "true", then: a, else: d }
`);
    expect(issues.map((i) => [i.nodeId, i.field, i.line])).toEqual([
      ["a", "next", 3],
      ["c", "else", 4],
    ]);
  });

  it("says when a required field is missing rather than wrong", () => {
    const issues = issuesOf(`start: a
nodes:
  a: { type: question, text: hi }
`);
    expect(issues).toEqual([
      expect.objectContaining({
        nodeId: "a",
        field: "save",
        expected: expect.stringContaining("context path"),
      }),
    ]);
  });

  it("checks jsonProperties' shape: string pairs with non-empty keys (how many is the provider's to say)", () => {
    const many = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, "v"]));
    const text = JSON.stringify({
      start: "h",
      nodes: { h: { type: "handoverToAgent", jsonProperties: many } },
    });
    expect(checkFlow(text, { file }).ok).toBe(true);
    const bad = issuesOf(
      JSON.stringify({
        start: "h",
        nodes: { h: { type: "handoverToAgent", jsonProperties: { "": "x", n: 5 } } },
      }),
    );
    expect(bad.map((i) => i.field)).toEqual(["jsonProperties.", "jsonProperties.n"]);
    expect(bad[1]?.expected).toContain("custom properties are key/value strings");
  });

  it.each([
    ["a url whose host is templated", { url: "https://{{ context.host }}/x" }],
    ["a url that a value could extend", { url: "https://api.example.test{{ context.path }}" }],
    ["a relative url", { url: "/x" }],
    ["a body with GET", { url: "https://api.example.test/", body: { a: 1 } }],
    ["a bad header name", { url: "https://api.example.test/", headers: { "bad header": "x" } }],
    ["a too long timeout", { url: "https://api.example.test/", timeoutMs: 120_000 }],
  ])("rejects an httpRequest with %s", (_case, fields) => {
    const text = JSON.stringify({
      start: "h",
      nodes: { h: { type: "httpRequest", save: "context.r", ...fields } },
    });
    expect(issuesOf(text)).toHaveLength(1);
  });

  it("reports YAML syntax errors and duplicate node ids with their line", () => {
    expect(issuesOf("start: a\nnodes:\n  a: [\n")[0]).toMatchObject({
      file,
      expected: expect.stringContaining("valid YAML"),
    });
    const duplicate = issuesOf("start: a\nnodes:\n  a: { type: end }\n  a: { type: end }\n");
    expect(duplicate[0]).toMatchObject({ line: 4, expected: "valid YAML (duplicate key)" });
  });

  it("reports an empty file as missing start and nodes", () => {
    expect(issuesOf("").map((i) => [i.field, i.expected.endsWith("(required)")])).toEqual([
      ["start", true],
      ["nodes", true],
    ]);
  });

  it("parseFlow throws BATON_ERR_FLOW_INVALID carrying the file and every issue", () => {
    let thrown: unknown;
    try {
      parseFlow(broken, { file });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BatonError);
    expect(thrown).toMatchObject({ code: "BATON_ERR_FLOW_INVALID", details: { file } });
    expect((thrown as BatonError).details.issues).toEqual(issuesOf(broken));
  });

  it("formats an issue as file:line, node and field", () => {
    expect(formatFlowIssue({ file, line: 7, nodeId: "greet", field: "text", expected: "a text" })).toBe(
      'flows/broken.yaml:7  node "greet", field text: expected a text',
    );
    expect(formatFlowIssue({ file, field: "start", expected: "a node id" })).toBe(
      "flows/broken.yaml  field start: expected a node id",
    );
  });

  it("names the flow after its file when it has no id", () => {
    const flow = parseFlow("start: a\nnodes:\n  a: { type: end }\n", { file: "flows/support-en.yaml" });
    expect(flow).toMatchObject({ id: "support-en", start: "a", file: "flows/support-en.yaml" });
    expect([...flow.nodes.keys()]).toEqual(["a"]);
  });

  it("loadFlowFile reads through the port it is given", async () => {
    const read = (path: string) =>
      Promise.resolve(path === "ok.yaml" ? "start: a\nnodes:\n  a: { type: end }\n" : "");
    await expect(loadFlowFile("ok.yaml", read)).resolves.toMatchObject({ id: "ok", start: "a" });
    const failing = () => Promise.reject(Object.assign(new Error("no such file"), { code: "ENOENT" }));
    await expect(loadFlowFile("missing.yaml", failing)).rejects.toMatchObject({
      code: "BATON_ERR_FLOW_FILE_UNREADABLE",
      details: { file: "missing.yaml" },
    });
  });
});
