import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../", import.meta.url));
/** Every tree of shipped code; each is checked on its own and across the others. */
const roots = ["src", "simulator/src", "web/webchat/src", "web/copilot/src"];
const sourceFile = /\.tsx?$/;

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(path);
    return sourceFile.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/**
 * The files `file` imports statically: `import`, `import type` and `export … from`. Type-only imports
 * count: they still tie the two modules' definitions together, and a type cycle is a value cycle waiting
 * for its first runtime import. `import()` does not count: loading lazily is how a command keeps a module
 * it rarely needs (the simulator) out of its startup.
 */
function importsOf(file: string, known: ReadonlySet<string>): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
  const targets: string[] = [];
  for (const statement of source.statements) {
    const specifier =
      ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)
        ? statement.moduleSpecifier
        : undefined;
    if (specifier === undefined || !ts.isStringLiteral(specifier) || !specifier.text.startsWith("."))
      continue;
    const target = resolve(dirname(file), specifier.text);
    // Imports name their file with its extension; a `.js` spelling would still mean the `.ts` file.
    const candidates = [target, target.replace(/\.js$/, ".ts"), target.replace(/\.js$/, ".tsx")];
    const found = candidates.find((candidate) => known.has(candidate));
    if (found !== undefined) targets.push(found);
  }
  return targets;
}

/** Strongly connected components with more than one file (or a file importing itself), Tarjan's way. */
function cyclicComponents(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) components.push(component);
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return components;
}

/** One concrete cycle inside a component, as a readable path: the shortest way back to its first file. */
function exampleCycle(graph: ReadonlyMap<string, readonly string[]>, component: readonly string[]): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [node];
        for (let step = cameFrom.get(node); step !== undefined; step = cameFrom.get(step)) path.unshift(step);
        return [...path, start];
      }
      if (!cameFrom.has(next) && next !== start) {
        cameFrom.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start];
}

function importGraph(): Map<string, string[]> {
  const files = roots.flatMap((dir) => listFiles(join(root, dir)));
  const known = new Set(files);
  return new Map(files.map((file) => [file, importsOf(file, known)]));
}

describe("import graph", () => {
  it("has no import cycles (type-only imports included)", () => {
    const graph = importGraph();
    const cycles = cyclicComponents(graph).map((component) => {
      const example = exampleCycle(graph, component).map((file) => relative(root, file));
      const rest = component.map((file) => relative(root, file)).filter((file) => !example.includes(file));
      // A component can hold several cycles; the other files in it are named so none is missed.
      return rest.length === 0
        ? example.join(" -> ")
        : `${example.join(" -> ")} (also in this cycle: ${rest.sort().join(", ")})`;
    });
    expect(
      cycles.sort(),
      "import cycles (break them by moving what both sides need into a leaf module)",
    ).toEqual([]);
  });

  it("finds a cycle when there is one", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a", "d"]],
      ["d", []],
    ]);
    const [component, ...others] = cyclicComponents(graph);
    expect(others).toEqual([]);
    expect(exampleCycle(graph, component!)).toEqual(["a", "b", "c", "a"]);
  });
});
