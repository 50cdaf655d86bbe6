import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { checkFlow } from "../../../src/flow/index.ts";
import { handover, input, runAll, texts } from "./flow-test-kit.ts";

const doc = await readFile(new URL("../../../docs/flows.md", import.meta.url), "utf8");
const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? "";

describe("the example in docs/flows.md", () => {
  it("loads and behaves as the text says", async () => {
    const result = checkFlow(example, { file: "docs/flows.md" });
    expect(result.ok ? [] : result.issues).toEqual([]);
    if (!result.ok) return;
    const [greeting, echo, asked, back] = await runAll(result.flow, [
      { kind: "start" },
      input("hello"),
      input("a human please"),
      handover("completed"),
    ]);
    expect(texts(greeting!)).toEqual(["Hi there! Ask me anything, or type 'human'."]);
    expect(texts(echo!)).toEqual(["You said: hello"]);
    expect(asked!.actions.map((a) => a.type)).toEqual(["handover.start"]);
    expect(texts(back!)).toEqual(["Welcome back!"]);
  });
});
