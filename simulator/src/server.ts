import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "pino";
import { API_PREFIX, CARD_ACTIONS_PREFIX } from "./chat-gateway-api.ts";
import {
  ControlError,
  forbiddenTenant,
  GatewayProblem,
  resourceNotFound,
  serverError,
  SimulatedFailure,
  simulatedFailure,
  unauthorized,
} from "./errors.ts";
import type { FaultState } from "./faults.ts";
import { jsonReply, PLAIN_JSON, PROBLEM_JSON, type Reply } from "./reply.ts";
import { BodyTooLargeError } from "./request-body.ts";
import type { ApiRequest, RequestLog } from "./request-log.ts";
import type { Router } from "./router.ts";
import type { KeyStore } from "./signing.ts";

export type ServerDeps = {
  /** `/chat-gateway/v1/...` and `/api/v1/...` operations: API key, tenant check and faults apply. */
  gatewayRouter: Router;
  /** `/sim/...` control API: no key, no faults. */
  controlRouter: Router;
  keys: KeyStore;
  faults: FaultState;
  apiKey: string;
  /** When set, a request naming another tenant in X-8x8-Tenant gets 403. */
  tenant: string | undefined;
  customerId: string;
  consoleHtml: string;
  logger: Logger;
  /** Aborted on close so latency faults do not hold the shutdown. */
  shutdown: AbortSignal;
  /** Every 8x8 API call lands here, faulted ones included. */
  requestLog: RequestLog;
  /** Called after every request that may have changed the state (any method but GET and HEAD). */
  onMutation(): void;
};

/**
 * Thrown once an operation has run when the lost-response fault hits it: the side effects stay, and the
 * server resets the connection instead of answering.
 */
class LostResponse extends Error {
  constructor(readonly status: number) {
    super("response lost by fault injection");
  }
}

const JWK_PATH = /^\/chat-gateway\/v1\/jwk\/([^/]+)\/public\/?$/;

/** The simulator's HTTP server: dispatches to the public JWK, the 8x8 API, the control API or the console. */
export function createSimulatorServer(deps: ServerDeps): Server {
  return createServer((req, res) => {
    handle(deps, req, res).catch((error: unknown) => {
      // handle() turns route errors into replies; whatever escapes it (a bad URL, a failed write) leaves
      // no reply to send, so the request is logged and its socket dropped.
      deps.logger.error({ err: error, method: req.method, url: req.url }, "simulator request failed");
      res.destroy();
    });
  });
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://simulator.invalid");
  const method = req.method ?? "GET";
  let reply: Reply;
  try {
    reply = await route(deps, method, url, req);
  } catch (error) {
    if (error instanceof LostResponse) {
      resetConnection(req, res);
      return;
    }
    reply = errorReply(deps, error, url.pathname);
  } finally {
    if (method !== "GET" && method !== "HEAD") deps.onMutation();
  }
  if (res.destroyed) return;
  // Drain whatever body a handler did not read, so keep-alive connections stay usable.
  req.resume();
  res.writeHead(reply.status, {
    ...(reply.contentType === undefined ? {} : { "content-type": reply.contentType }),
    ...reply.headers,
  });
  res.end(reply.body);
}

async function route(deps: ServerDeps, method: string, url: URL, req: IncomingMessage): Promise<Reply> {
  const { pathname } = url;
  const jwk = JWK_PATH.exec(pathname);
  if (jwk !== null && method === "GET") return jwkReply(deps.keys, decodeURIComponent(jwk[1] ?? ""));
  if (isGatewayPath(pathname)) return loggedGatewayCall(deps, method, url, req);
  if (pathname.startsWith("/sim/")) return controlRoute(deps, method, url, req);
  if (method === "GET" && (pathname === "/console" || pathname === "/console/"))
    return consoleReply(deps.consoleHtml);
  if (method === "GET" && pathname === "/") return { status: 302, headers: { location: "/console" } };
  return jsonReply(404, { error: { code: "not_found", message: `no route for ${method} ${pathname}` } });
}

/** The 8x8 API: `/chat-gateway/v1/...` plus the card actions under `/api/v1/...`. */
function isGatewayPath(pathname: string): boolean {
  return [API_PREFIX, CARD_ACTIONS_PREFIX].some(
    (prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`),
  );
}

/**
 * An RST rather than a clean close: the caller sees "socket hang up" / ECONNRESET mid-call, as when a
 * connection dies after the server acted but before its answer arrived.
 */
function resetConnection(req: IncomingMessage, res: ServerResponse): void {
  req.socket.resetAndDestroy();
  res.destroy();
}

/** Runs one 8x8 API call and records how it ended in the request log (a lost answer rethrown). */
async function loggedGatewayCall(
  deps: ServerDeps,
  method: string,
  url: URL,
  req: IncomingMessage,
): Promise<Reply> {
  const log = (status: number, outcome: ApiRequest["outcome"]) =>
    deps.requestLog.record({ method, path: url.pathname, status, outcome });
  let reply: Reply;
  try {
    reply = await gatewayRoute(deps, method, url, req);
  } catch (error) {
    if (error instanceof LostResponse) {
      log(error.status, "lost-response");
      throw error;
    }
    reply = errorReply(deps, error, url.pathname);
    log(reply.status, error instanceof SimulatedFailure ? "fault-error" : "answered");
    return reply;
  }
  log(reply.status, "answered");
  return reply;
}

/** The JWK endpoint declares no security in 8x8's OpenAPI: no key, no tenant check, no faults. */
function jwkReply(keys: KeyStore, kid: string): Reply {
  const jwk = keys.publicJwk(kid);
  if (jwk === undefined) throw resourceNotFound("Jwk", kid);
  return jsonReply(200, jwk, PLAIN_JSON);
}

/**
 * Order matters: latency applies to every 8x8 response; the key and tenant are checked before anything
 * else; an injected error answers before the handler runs, so a failed call changes nothing; a lost
 * response is decided after the handler ran, so the call's effects (stored message, events) all happen.
 */
async function gatewayRoute(
  deps: ServerDeps,
  method: string,
  url: URL,
  req: IncomingMessage,
): Promise<Reply> {
  const faults = deps.faults.get();
  if (faults.latencyMs > 0) await delay(faults.latencyMs, undefined, { signal: deps.shutdown });
  if (!hasValidApiKey(req, deps.apiKey)) throw unauthorized();
  const tenantHeader = req.headers["x-8x8-tenant"];
  const tenant = Array.isArray(tenantHeader) ? tenantHeader[0] : tenantHeader;
  if (deps.tenant !== undefined && tenant !== undefined && tenant !== deps.tenant) {
    throw forbiddenTenant(deps.customerId);
  }
  if (deps.faults.roll(faults.errorRate)) throw simulatedFailure(faults.errorStatus);
  const match = deps.gatewayRouter.match(method, url.pathname);
  switch (match.kind) {
    case "found": {
      const reply = await settledReply(deps, url.pathname, () =>
        match.handler({ req, url, params: match.params }),
      );
      if (deps.faults.roll(faults.lostResponseRate)) throw new LostResponse(reply.status);
      return reply;
    }
    case "method-not-allowed":
      return {
        ...jsonReply(405, methodNotAllowedBody(method), PROBLEM_JSON),
        headers: { allow: match.allowed.join(", ") },
      };
    case "not-found":
      throw new GatewayProblem(404, {
        message: `Resource not found: ${url.pathname}`,
        errors: [`No operation ${method} ${url.pathname}`],
      });
  }
}

async function controlRoute(
  deps: ServerDeps,
  method: string,
  url: URL,
  req: IncomingMessage,
): Promise<Reply> {
  const match = deps.controlRouter.match(method, url.pathname);
  switch (match.kind) {
    case "found":
      return match.handler({ req, url, params: match.params });
    case "method-not-allowed":
      throw new ControlError(
        405,
        "method_not_allowed",
        `${method} is not allowed; use ${match.allowed.join(", ")}`,
      );
    case "not-found":
      throw new ControlError(404, "not_found", `no control route ${method} ${url.pathname}`);
  }
}

/** The handler's reply, or the error reply it would get: a lost response can hit either. */
async function settledReply(
  deps: ServerDeps,
  pathname: string,
  run: () => Reply | Promise<Reply>,
): Promise<Reply> {
  try {
    return await run();
  } catch (error) {
    return errorReply(deps, error, pathname);
  }
}

function methodNotAllowedBody(method: string): object {
  const message = `Request method '${method}' is not supported`;
  return { message, errors: [{ code: "method_not_allowed", message }] };
}

/** The header name is case-insensitive (node lower-cases it); the comparison is constant-time. */
function hasValidApiKey(req: IncomingMessage, apiKey: string): boolean {
  const header = req.headers["x-api-key"];
  const given = Array.isArray(header) ? header[0] : header;
  if (given === undefined) return false;
  const expected = Buffer.from(apiKey, "utf8");
  const actual = Buffer.from(given, "utf8");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function consoleReply(html: string): Reply {
  return {
    status: 200,
    contentType: "text/html; charset=utf-8",
    headers: {
      // The page is self-contained: inline script and style only, and it talks to this origin alone.
      "content-security-policy":
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'",
      "cache-control": "no-store",
    },
    body: html,
  };
}

function errorReply(deps: ServerDeps, error: unknown, pathname: string): Reply {
  if (error instanceof GatewayProblem) return jsonReply(error.status, error.body, PROBLEM_JSON);
  if (error instanceof ControlError) return jsonReply(error.status, error.toBody());
  const isGateway = isGatewayPath(pathname);
  if (error instanceof BodyTooLargeError) {
    return isGateway
      ? jsonReply(413, serverError(413, "payload_too_large", error.message).body, PROBLEM_JSON)
      : jsonReply(413, new ControlError(413, "payload_too_large", error.message).toBody());
  }
  if (deps.shutdown.aborted)
    return jsonReply(503, { error: { code: "shutting_down", message: "simulator is closing" } });
  deps.logger.error({ err: error, pathname }, "simulator request failed");
  return isGateway
    ? jsonReply(500, serverError(500, "internal_error", "Internal error.").body, PROBLEM_JSON)
    : jsonReply(500, new ControlError(500, "internal_error", "internal error").toBody());
}
