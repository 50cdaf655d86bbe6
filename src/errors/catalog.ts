/**
 * The one error catalog. Every error Baton reports to a user, an operator or a peer has a
 * code here, a human message, the HTTP status it maps to and, where it can end a socket, a WebSocket close
 * code. `docs/errors.md` lists every code; test/unit/errors/catalog-documented.test.ts keeps them in step.
 *
 * Messages never contain secrets: details are added by the thrower as structured fields (`field`,
 * `expected`), never by interpolating user or config values into `message`.
 */
export interface CatalogEntry {
  readonly message: string;
  readonly status: number;
  readonly wsClose?: number;
  /**
   * The same call will fail the same way however often it is made (a rejection, not an outage): the outbox
   * does not retry it and the handover service treats it as final. Absent means retrying may help.
   */
  readonly permanent?: true;
}

export const errorCatalog = {
  // config
  BATON_ERR_CONFIG_INVALID: { message: "The configuration is invalid.", status: 500 },
  BATON_ERR_CONFIG_FILE_UNREADABLE: { message: "The configuration file cannot be read.", status: 500 },
  BATON_ERR_CONFIG_YAML_SYNTAX: { message: "The configuration file is not valid YAML.", status: 500 },
  BATON_ERR_CONFIG_ENV_MISSING: {
    message: "The configuration refers to an environment variable that is not set.",
    status: 500,
  },
  // cli
  BATON_ERR_CLI_USAGE: { message: "The command line is not valid.", status: 400 },
  BATON_ERR_SIMULATOR_STATE_INVALID: {
    message: "The 8x8 simulator's saved state cannot be used.",
    status: 500,
  },
  // http (generic)
  BATON_ERR_HTTP_NOT_FOUND: { message: "No such route.", status: 404 },
  BATON_ERR_HTTP_BAD_REQUEST: { message: "The request is not valid.", status: 400 },
  BATON_ERR_HTTP_UPGRADE_REQUIRED: {
    message: "This route is a WebSocket: connect with an upgrade request.",
    status: 426,
  },
  BATON_ERR_HTTP_BODY_TOO_LARGE: { message: "The request body is too large.", status: 413 },
  BATON_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE: {
    message: "The request's content type is not supported.",
    status: 415,
  },
  BATON_ERR_HTTP_RATE_LIMITED: {
    message: "Too many requests from this address; try again in a minute.",
    status: 429,
  },
  BATON_ERR_INPUT_TOO_DEEP: {
    message: "The JSON input nests arrays and objects too deeply.",
    status: 400,
    wsClose: 4400,
  },
  BATON_ERR_SERVER_INTERNAL: {
    message: "An internal error occurred; it has been logged.",
    status: 500,
    wsClose: 1011,
  },
  BATON_ERR_METRICS_UNAUTHORIZED: {
    message: "The metrics need `authorization: Bearer <server.metricsToken>`.",
    status: 401,
  },
  // admin API and event log
  BATON_ERR_ADMIN_NOT_ENABLED: {
    message: "The admin API is off: set server.adminKey (at least 32 characters) to enable it.",
    status: 403,
  },
  BATON_ERR_ADMIN_UNAUTHORIZED: {
    message: "The admin API needs `authorization: Bearer <server.adminKey>`.",
    status: 401,
  },
  BATON_ERR_EVENT_NOT_FOUND: {
    message: "No event-log entry has this id (entries are pruned after eventLog.retentionHours).",
    status: 404,
  },
  BATON_ERR_EVENT_NOT_REPLAYABLE: { message: "This event-log entry cannot be replayed.", status: 409 },
  BATON_ERR_SERVER_SHUTTING_DOWN: { message: "The gateway is shutting down.", status: 503, wsClose: 1001 },
  // providers
  BATON_ERR_PROVIDER_UNKNOWN: { message: "No provider with this id is configured.", status: 404 },
  BATON_ERR_PROVIDER_AMBIGUOUS: {
    message: "Several providers receive events at this path: post to {path}/{providerId}.",
    status: 404,
  },
  BATON_ERR_PROVIDER_REQUEST_REJECTED: {
    message: "The contact center rejected the request.",
    status: 502,
    permanent: true,
  },
  BATON_ERR_PROVIDER_UNAVAILABLE: {
    message: "The contact center is unavailable; the call is retried.",
    status: 502,
  },
  BATON_ERR_PROVIDER_TYPE_UNKNOWN: { message: "No provider implementation has this type.", status: 500 },
  // provider webhooks (8x8's and any other provider's)
  BATON_ERR_WEBHOOK_SIGNATURE_MISSING: {
    message: "The webhook request has no signature, or lacks one of the signed headers.",
    status: 401,
  },
  BATON_ERR_WEBHOOK_SIGNATURE_MALFORMED: {
    message: "The x-8x8-signature header is not a detached compact JWS with an unencoded payload.",
    status: 401,
  },
  BATON_ERR_WEBHOOK_SIGNATURE_ALG: {
    message: "The webhook signature uses an algorithm other than RS256 or lacks b64:false with crit.",
    status: 401,
  },
  BATON_ERR_WEBHOOK_SIGNATURE_INVALID: {
    message: "The webhook signature does not match the request body and headers.",
    status: 401,
  },
  BATON_ERR_WEBHOOK_STALE: {
    message: "The webhook transmission time is outside the accepted clock skew.",
    status: 401,
  },
  BATON_ERR_WEBHOOK_KEY_UNAVAILABLE: {
    message: "The signing key could not be fetched; the event will be accepted when 8x8 retries.",
    status: 503,
  },
  BATON_ERR_WEBHOOK_BODY_INVALID: { message: "The webhook body is not a JSON event object.", status: 400 },
  // 8x8 Chat Gateway client
  BATON_ERR_8X8_REQUEST_REJECTED: { message: "8x8 rejected the request.", status: 502, permanent: true },
  BATON_ERR_8X8_UNAVAILABLE: { message: "8x8 is unavailable after retries.", status: 502 },
  BATON_ERR_8X8_TIMEOUT: { message: "8x8 did not answer in time.", status: 504 },
  BATON_ERR_8X8_RESPONSE_INVALID: { message: "8x8 answered with a body Baton cannot read.", status: 502 },
  BATON_ERR_8X8_INPUT_INVALID: {
    message: "The request breaks a documented 8x8 Chat Gateway limit, so it was not sent.",
    status: 400,
    permanent: true,
  },
  // conversations
  BATON_ERR_ENDPOINT_UNKNOWN: {
    message: "No endpoint with this id or URL token is configured.",
    status: 404,
    wsClose: 4404,
  },
  BATON_ERR_SESSION_API_NOT_ENABLED: {
    message:
      "Inject and notify are off for this endpoint: set endpoints.<id>.apiSecret (a webhook endpoint may use its callbackSecret) and send it as a bearer token.",
    status: 403,
  },
  BATON_ERR_SESSION_API_UNAUTHORIZED: {
    message: "Inject and notify need `authorization: Bearer <apiSecret>` of this endpoint.",
    status: 401,
  },
  BATON_ERR_WEBCHAT_FRAME_INVALID: {
    message: "The web chat frame is not valid.",
    status: 400,
    wsClose: 4400,
  },
  BATON_ERR_SESSION_RATE_LIMITED: {
    message: "Too many new sessions from this address; try again in a minute.",
    status: 429,
    wsClose: 4429,
  },
  BATON_ERR_WEBCHAT_RATE_LIMITED: {
    message: "Too many frames on this web chat connection; slow down.",
    status: 429,
    wsClose: 4429,
  },
  BATON_ERR_WEBCHAT_NOT_BUILT: {
    message: "The web chat page is not built: run `npm run build:web` (npm start does it).",
    status: 503,
  },
  // copilot
  BATON_ERR_COPILOT_NOT_BUILT: {
    message: "The Copilot workspace is not built: run `npm run build` (npm start does it).",
    status: 503,
  },
  BATON_ERR_COPILOT_ACCESS_DENIED: {
    message: "No Copilot workspace for this link.",
    status: 404,
    wsClose: 4404,
  },
  BATON_ERR_COPILOT_RATE_LIMITED: {
    message: "Too many refused Copilot links from this address; try again in a minute.",
    status: 429,
    wsClose: 4429,
  },
  BATON_ERR_COPILOT_FRAME_INVALID: {
    message: "The Copilot workspace frame is not valid.",
    status: 400,
    wsClose: 4400,
  },
  BATON_ERR_COPILOT_TILE_UNKNOWN: {
    message: "The copilot flow updated a tile that is not in the grid.",
    status: 400,
  },
  BATON_ERR_COPILOT_TILE_KIND: {
    message: "The copilot flow sent data to a tile that is not an HTML or iFrame tile.",
    status: 400,
  },
  BATON_ERR_COPILOT_TILE_FAILED: {
    message: "A copilot tile could not be computed.",
    status: 500,
  },
  BATON_ERR_COPILOT_AI_UNAVAILABLE: {
    message: "The AI model did not answer usably; the offline Copilot answered instead.",
    status: 502,
  },
  BATON_ERR_COPILOT_KNOWLEDGE_UNREADABLE: {
    message: "The Copilot's knowledge folder, or a file in it, cannot be read.",
    status: 500,
  },
  BATON_ERR_COPILOT_KNOWLEDGE_LIMIT: {
    message:
      "A knowledge file or the knowledge folder is over the indexing limits; the excess is not indexed.",
    status: 500,
  },
  BATON_ERR_COPILOT_WORKSPACE_CONFLICT: {
    message:
      "The Copilot workspace kept changing while this update was applied; it was not applied and may be retried.",
    status: 503,
  },
  // handover
  BATON_ERR_HANDOVER_NOT_FOUND: {
    message: "No handover is known for this provider conversation (yet); the event is retried.",
    status: 404,
  },
  BATON_ERR_HANDOVER_UNKNOWN: { message: "No handover has this id.", status: 404 },
  BATON_ERR_HANDOVER_UNSUPPORTED: {
    message: "This endpoint or provider cannot hand over: a required setting is missing.",
    status: 400,
    permanent: true,
  },
  BATON_ERR_HANDOVER_ALREADY_OPEN: {
    message: "A handover is already open in this session; close it before starting another.",
    status: 409,
  },
  BATON_ERR_HANDOVER_NOT_OPEN: { message: "No handover is open in this session.", status: 409 },
  BATON_ERR_HANDOVER_CONFLICT: {
    message:
      "The handover kept changing while this event was applied; it was not applied and may be retried.",
    status: 503,
  },
  // bot API and webhook channel
  BATON_ERR_BOT_API_UNAUTHORIZED: {
    message: "The bot API needs `authorization: Bearer <callbackSecret>` of this endpoint.",
    status: 401,
  },
  BATON_ERR_BOT_API_NOT_ENABLED: {
    message: "This endpoint is not driven by an external bot (channel webhook without a flow).",
    status: 404,
  },
  BATON_ERR_SESSION_NOT_FOUND: {
    message: "No session with this user id and session id exists.",
    status: 404,
  },
  BATON_ERR_CALLBACK_REJECTED: {
    message: "The callback URL rejected the delivery (a 4xx other than 408 or 429); it is not retried.",
    status: 502,
    permanent: true,
  },
  BATON_ERR_CALLBACK_UNAVAILABLE: {
    message: "The callback URL could not be reached or answered 408, 429 or 5xx; the delivery is retried.",
    status: 502,
  },
  // store
  BATON_ERR_STORE_URL_INVALID: {
    message: "The store URL is not pglite://<dir> or postgres://user:pass@host:port/db.",
    status: 500,
  },
  BATON_ERR_STORE_UNAVAILABLE: { message: "The store is unreachable.", status: 503 },
  BATON_ERR_BUS_MEMORY_SHARED_STORE: {
    message:
      "Another live instance shares this store and one of them uses `bus: memory`, which only reaches its own process; configure `bus: redis://…` on every instance.",
    status: 500,
  },
  // flows
  BATON_ERR_FLOW_INVALID: { message: "The flow is invalid.", status: 500 },
  BATON_ERR_FLOW_FILE_UNREADABLE: { message: "The flow file cannot be read.", status: 500 },
  BATON_ERR_FLOW_EXPRESSION_INVALID: { message: "The expression cannot be parsed.", status: 500 },
  BATON_ERR_FLOW_LOOP: {
    message: "The flow ran too many nodes without waiting; the run was stopped.",
    status: 500,
  },
  BATON_ERR_FLOW_NODE_NOT_ALLOWED: {
    message: "A question or handoverToAgent node was reached while a handover is open; the run was stopped.",
    status: 500,
  },
  BATON_ERR_FLOW_POSITION_UNKNOWN: {
    message: "The stored flow position names a node the flow no longer has; the flow continued at its start.",
    status: 500,
  },
  BATON_ERR_STORE_NOT_FOUND: { message: "The stored record does not exist.", status: 404 },
  BATON_ERR_STORE_CONFLICT: {
    message: "The value is already stored for another record.",
    status: 409,
  },
  // the per-conversation lock
  BATON_ERR_LOCK_LOST: {
    message:
      "This instance's lock on the conversation expired and another holder has written since; nothing of this write was stored, and the work is retried by its owner.",
    status: 503,
  },
  BATON_ERR_LOCK_TOKEN_INVALID: {
    message: "A fencing token must be a positive safe integer, as the bus hands them out.",
    status: 500,
    permanent: true,
  },
  // durable runtime (outbox worker, timer service)
  BATON_ERR_RUNTIME_HANDLER_MISSING: {
    message: "No handler is registered for this outbox item or timer kind.",
    status: 500,
    permanent: true,
  },
  BATON_ERR_RUNTIME_PAYLOAD_INVALID: {
    message: "A stored outbox item's payload is not what its kind expects; it is not retried.",
    status: 500,
    permanent: true,
  },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof errorCatalog;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(errorCatalog, value);
}
