import type { IncomingMessage } from "node:http";
import type { Reply } from "./reply.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export type RequestContext = {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
};

export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;

type Route = { method: HttpMethod; segments: string[]; handler: Handler };

export type RouteMatch =
  | { kind: "found"; handler: Handler; params: Record<string, string> }
  | { kind: "method-not-allowed"; allowed: HttpMethod[] }
  | { kind: "not-found" };

/**
 * A deliberately small router: literal segments and `:name` parameters, first registered route wins.
 * Literal routes such as `/webhooks/verify` must be added before `/webhooks/:webhookId`.
 */
export class Router {
  readonly #routes: Route[] = [];

  add(method: HttpMethod, pattern: string, handler: Handler): this {
    this.#routes.push({ method, segments: splitPath(pattern), handler });
    return this;
  }

  match(method: string, pathname: string): RouteMatch {
    const segments = decodeSegments(pathname);
    if (segments === undefined) return { kind: "not-found" };
    const allowed: HttpMethod[] = [];
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, segments);
      if (params === undefined) continue;
      if (route.method === method) return { kind: "found", handler: route.handler, params };
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { kind: "method-not-allowed", allowed } : { kind: "not-found" };
  }
}

function splitPath(path: string): string[] {
  return path.split("/").filter((segment) => segment !== "");
}

function decodeSegments(pathname: string): string[] | undefined {
  try {
    return splitPath(pathname).map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, expected] of pattern.entries()) {
    const value = actual[index] ?? "";
    if (expected.startsWith(":")) params[expected.slice(1)] = value;
    else if (expected !== value) return undefined;
  }
  return params;
}
