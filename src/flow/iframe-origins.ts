import type { FlowIssue } from "./load.ts";
import type { IframeTileNode } from "./nodes/iframe-tile.ts";

/**
 * The iFrame tiles of a copilot flow whose origin is not one of `allowed` (`copilot.iframeOrigins`), as flow
 * issues. Checked when the flow loads, for templated URLs too: the schema makes the origin literal (a value
 * can change the path or query, never the host), so every tile's origin is known before the flow runs and a
 * flow embedding an unlisted application never boots instead of failing in front of an agent.
 */
export function iframeOriginIssues(
  flow: { readonly file: string; readonly nodes: ReadonlyMap<string, { readonly type: string }> },
  allowed: readonly string[],
): FlowIssue[] {
  const issues: FlowIssue[] = [];
  for (const node of flow.nodes.values()) {
    if (node.type !== "iframeTile") continue;
    const tile = node as IframeTileNode;
    const origin = literalOrigin(tile.url.parts[0]);
    if (origin !== undefined && allowed.includes(origin)) continue;
    issues.push({
      file: flow.file,
      nodeId: tile.id,
      field: "url",
      expected:
        allowed.length === 0
          ? `a URL whose origin${origin === undefined ? "" : ` (${origin})`} is listed in copilot.iframeOrigins (it is empty)`
          : `a URL whose origin${origin === undefined ? "" : ` (${origin})`} is one of copilot.iframeOrigins: ${allowed.join(", ")}`,
    });
  }
  return issues;
}

function literalOrigin(first: unknown): string | undefined {
  if (typeof first !== "string") return undefined;
  try {
    return new URL(first).origin;
  } catch {
    return undefined;
  }
}
