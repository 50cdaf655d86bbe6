import { z } from "zod";
import { renderTemplate } from "../expressions/index.ts";
import { renderJsonTemplate } from "../json-template.ts";
import type { FlowHttpRequest } from "../node-io.ts";
import { contextPath, jsonTemplate, next, nodeRef, template } from "./fields.ts";
import { targetsOf, everyFlowKind, type NodeDefinition, type WithId } from "./node.ts";

/** What an httpRequest node saves at `save`. */
export interface SavedHttpResponse {
  /** 0 when no response arrived. */
  readonly status: number;
  readonly ok: boolean;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** Why the call failed: a non-2xx status, a network failure, or the timeout. */
  readonly error: "status" | "network" | "timeout" | null;
  readonly durationMs: number;
}

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const timeoutExpectation = "a whole number of milliseconds from 100 to 60000";

/**
 * Calls an HTTP API and saves `{status, ok, headers, body, error, durationMs}` at `save`. A failure (network,
 * timeout, or a status outside 200–299) sets `error` and continues at `onError` when given, else at `next`.
 *
 * Values inserted into `url` by `{{ }}` are percent-encoded, and the URL must start with a literal
 * http:// or https://, so user input can change a query or path segment but never the host.
 */
export const httpRequestSchema = z
  .strictObject({
    type: z.literal("httpRequest"),
    method: z
      .enum(["GET", "POST", "PUT", "PATCH", "DELETE"], { error: "one of GET, POST, PUT, PATCH, DELETE" })
      .default("GET"),
    url: template.refine(literalOrigin, {
      error: "an http:// or https:// URL whose scheme, host and port are written literally",
    }),
    headers: z
      .record(z.string().regex(headerName, { error: "an HTTP header name" }), template, {
        error: "an object of header name: text",
      })
      .default({}),
    /** JSON; strings may hold templates, and a string that is only `{{ expr }}` becomes the value. */
    body: jsonTemplate({ object: false }).optional(),
    timeoutMs: z
      .int({ error: timeoutExpectation })
      .min(100, { error: timeoutExpectation })
      .max(60_000, {
        error: timeoutExpectation,
      })
      .default(10_000),
    save: contextPath,
    onError: nodeRef.optional(),
    next,
  })
  .refine((node) => node.method !== "GET" || node.body === undefined, {
    error: "no body with GET (use POST, PUT, PATCH or DELETE)",
    path: ["body"],
  });

/**
 * The origin must be literal text ending in `/`, `?` or `#` before the first `{{ }}`; otherwise a value
 * could extend the host name (`https://api.example.com{{ x }}` with x = ".evil.test").
 */
function literalOrigin(url: { readonly parts: readonly unknown[] }): boolean {
  const first = url.parts[0];
  if (typeof first !== "string") return false;
  if (url.parts.length === 1) return /^https?:\/\/[^/?#\s]+([/?#]|$)/.test(first);
  return /^https?:\/\/[^/?#\s]+[/?#]/.test(first);
}

export type HttpRequestNode = WithId<z.output<typeof httpRequestSchema>>;

export const httpRequestNode: NodeDefinition<HttpRequestNode> = {
  type: "httpRequest",
  kinds: everyFlowKind,
  schema: httpRequestSchema,
  targets: (node) => targetsOf({ next: node.next, onError: node.onError }),
  async execute(node, runtime) {
    const { scope, ports } = runtime;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(node.headers)) {
      // A value with a line break could smuggle another header; it is flattened instead.
      headers[name.toLowerCase()] = renderTemplate(value, scope).replace(/[\r\n]+/g, " ");
    }
    const request: FlowHttpRequest = {
      method: node.method,
      url: renderTemplate(node.url, scope, encodeURIComponent),
      headers: node.body === undefined ? headers : { "content-type": "application/json", ...headers },
      timeoutMs: node.timeoutMs,
      ...(node.body === undefined
        ? {}
        : { body: JSON.stringify(renderJsonTemplate(node.body, scope, "value")) }),
    };
    const startedAt = ports.now();
    let saved: SavedHttpResponse;
    try {
      const response = await ports.http(request);
      const ok = response.status >= 200 && response.status < 300;
      saved = {
        status: response.status,
        ok,
        headers: response.headers,
        body: response.body ?? null,
        error: ok ? null : "status",
        durationMs: ports.now() - startedAt,
      };
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      saved = {
        status: 0,
        ok: false,
        headers: {},
        body: null,
        error: timedOut ? "timeout" : "network",
        durationMs: ports.now() - startedAt,
      };
    }
    runtime.setContext(node.save, saved);
    return { kind: "continue", next: saved.ok ? node.next : (node.onError ?? node.next) };
  },
};
