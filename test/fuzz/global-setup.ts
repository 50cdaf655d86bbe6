import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

/**
 * Each fuzz file runs in its own worker, so the files append their counts to one tally file and the total
 * is printed here, once, after every file finished: the line CI logs show.
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), "baton-fuzz-tally-"));
  const file = join(dir, "tally");
  writeFileSync(file, "");
  project.provide("fuzzTallyFile", file);
  return () => {
    let cases = 0;
    let failures = 0;
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const [count, failed] = line.split(" ").map(Number);
      cases += count ?? 0;
      failures += failed ?? 0;
    }
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`fuzz: ${cases} cases, ${failures} failures\n`);
  };
}
