import { isIP } from "node:net";
import { z } from "zod";

/** Ids of providers and endpoints appear in URLs and logs, so they are kept simple. */
const id = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, {
  error: "an id of letters, digits, '-' and '_', starting with a letter (at most 64 characters)",
});

const httpUrl = z.url({ protocol: /^https?$/, error: "an absolute http:// or https:// URL" });

const eightByEightProvider = z.strictObject({
  type: z.literal("8x8"),
  /** https://api.8x8.com, or the simulator's URL. */
  baseUrl: httpUrl,
  apiKey: z
    .string({ error: "the 8x8 API key (a non-empty string)" })
    .min(1, { error: "a non-empty API key" }),
  /** Sent as X-8x8-Tenant when set; an empty string (from `${VAR:-}`) means "not set". */
  tenant: z
    .string()
    .optional()
    .transform((v) => (v === "" ? undefined : v)),
  /** The Chat API channel used when a handoverToAgent node names none (`baton 8x8 setup` prints it). */
  channelId: z.string().min(1).optional(),
  /**
   * Where webhook signing keys are fetched. `{kid}` and `{baseUrl}` are replaced. 8x8's docs disagree:
   * the spec says /chat-gateway/v1/jwk/{kid}/public, the code samples use the legacy
   * /vcc/us/chat/v2/... path. We default to the spec'd one and let operators switch.
   */
  jwkUrl: z
    .string()
    .refine((v) => v.includes("{kid}"), { error: "a URL template containing {kid}" })
    .default("{baseUrl}/chat-gateway/v1/jwk/{kid}/public"),
  webhook: z
    .strictObject({
      /** Requests whose x-8x8-transmission-time is further than this from now are rejected (replay guard). */
      maxSkewSeconds: z.int().min(1).max(86_400).default(300),
      /** How long events of one conversation are held to restore payload-timestamp order (0 = off). */
      reorderWindowMs: z.int().min(0).max(10_000).default(250),
      /** When set, x-8x8-tenant-id must equal it. */
      expectedTenantId: z.string().min(1).optional(),
      /** When set, x-8x8-customer-id must equal it. */
      expectedCustomerId: z.string().min(1).optional(),
    })
    .prefault({}),
  http: z
    .strictObject({
      timeoutMs: z.int().min(100).max(120_000).default(10_000),
      maxAttempts: z.int().min(1).max(10).default(4),
    })
    .prefault({}),
});

const provider = z.discriminatedUnion("type", [eightByEightProvider], {
  error: 'a provider with type "8x8"',
});

/** A shared secret a server presents as a bearer token: long enough not to be guessed, never logged. */
function serverSecret(expected: string) {
  return z
    .string({ error: expected })
    .min(32, { error: expected })
    .max(1024, { error: "a secret of at most 1024 characters" })
    .optional();
}

/**
 * A CSP source for `frame-ancestors` / `frame-src`: `'self'`, `'none'`, or an http(s) origin (a `*.` host
 * wildcard allowed). Paths and other keywords are refused: they would either mean nothing there or widen it.
 */
const cspOrigin = z.string().refine((v) => v === "'self'" || v === "'none'" || httpOriginPattern.test(v), {
  error: "'self', 'none' or an origin like https://agent.example.com (https://*.example.com for subdomains)",
});
const httpOriginPattern = /^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$/;

/** An exact http(s) origin (scheme, host, port; no path), as `new URL(...).origin` writes it. */
const exactOrigin = z
  .string()
  .refine(
    (v) => {
      try {
        const url = new URL(v);
        return (
          (url.protocol === "http:" || url.protocol === "https:") &&
          !url.hostname.includes("*") &&
          url.origin === v.replace(/\/$/, "")
        );
      } catch {
        return false;
      }
    },
    { error: "an origin like https://crm.example.com (scheme, host and port only)" },
  )
  .transform((v) => new URL(v).origin);

/** An IP address or CIDR range, or one of proxy-addr's names for a range (loopback, linklocal, uniquelocal). */
const proxyAddress = z.string().refine(
  (v) => {
    if (v === "loopback" || v === "linklocal" || v === "uniquelocal") return true;
    const [address = "", bits, ...rest] = v.split("/");
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return false;
    if (bits === undefined) return true;
    const n = Number(bits);
    return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
  },
  { error: "an IP address or CIDR range (10.0.0.0/8), or loopback, linklocal, uniquelocal" },
);

/** Requests per minute, per client address or connection; 0 would refuse everything, so at least 1. */
const perMinute = (fallback: number) => z.int().min(1).max(1_000_000).default(fallback);

const endpoint = z.strictObject({
  channel: z.enum(["webchat", "rest", "webhook", "8x8"], { error: "one of webchat, rest, webhook, 8x8" }),
  /** Path of the YAML flow, relative to the config file. */
  flow: z.string().min(1).optional(),
  /** 64 hex characters; generated and kept in the store when absent. */
  urlToken: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { error: "64 lower-case hex characters (256 bits)" })
    .optional(),
  handover: z.strictObject({ provider: id }).optional(),
  /** Language of Baton's own texts on this endpoint (a session's client may ask for another). */
  locale: z.enum(["en", "de"], { error: "en or de" }).default("en"),
  copilot: z.strictObject({ flow: z.string().min(1) }).optional(),
  /**
   * Web chat: tell the agent when the user's last connection closes ("the user has left the chat") and when
   * one comes back. `graceSeconds` absorbs page reloads. Default on, 5 s.
   */
  presenceNotices: z
    .strictObject({
      enabled: z.boolean().default(true),
      graceSeconds: z.number().min(0).max(3600).default(5),
    })
    .prefault({}),
  /**
   * Webhook channel: where every output of a session is POSTed (and, for an external bot, its users' messages
   * and the handover events). Required with `channel: webhook`, refused on other channels (see load.ts).
   */
  callbackUrl: httpUrl.optional(),
  /**
   * Webhook channel: the HMAC-SHA256 key of `x-baton-signature`, and the bearer token the bot API expects.
   * Write it as `${VAR}`; it is never logged nor echoed in an error.
   */
  callbackSecret: z
    .string({ error: "a secret of at least 16 characters" })
    .min(16, { error: "a secret of at least 16 characters" })
    .max(1024, { error: "a secret of at most 1024 characters" })
    .optional(),
  /**
   * The bearer token `POST /inject/{urlToken}` and `POST /notify/{urlToken}` require: the URL token is public
   * (every web chat page carries it), so showing text as the bot or moving the flow needs a secret that only
   * the operator's backend holds. Without it (and, on a webhook endpoint, without callbackSecret) both routes
   * are refused. Write it as `${VAR}`; it is never logged nor echoed in an error.
   */
  apiSecret: serverSecret("a secret of at least 32 characters (write it as ${VAR})"),
});

/**
 * The Copilot workspace, shared by every endpoint that has a copilot flow (`endpoints.<id>.copilot.flow`).
 * Without `ai` the Copilot works offline (lexicon sentiment, extractive summary, quoted answers).
 */
const copilot = z.strictObject({
  /** An OpenAI-compatible chat completions server; each failed call falls back to the offline answer. */
  ai: z
    .strictObject({
      /** The API root including its version: https://api.openai.com/v1, http://localhost:11434/v1. */
      baseUrl: httpUrl,
      model: z.string({ error: "the model name (a non-empty string)" }).min(1, { error: "a model name" }),
      /** Sent as a bearer token; optional because local servers need none. Write it as `${VAR}`. */
      apiKey: z
        .string()
        .optional()
        .transform((v) => (v === "" ? undefined : v)),
      /** Per call; after it the offline answer is used. */
      timeoutMs: z.int().min(100).max(120_000).default(10_000),
    })
    .optional(),
  /** Markdown (.md) and text (.txt) files the knowledge tile searches; the path is relative to the config file. */
  knowledge: z.strictObject({ folder: z.string().min(1, { error: "a folder path" }) }).optional(),
  /** What the transcript (and the AI) never shows; each kind is masked unless switched off. */
  redaction: z
    .strictObject({
      cardNumbers: z.boolean().default(true),
      emails: z.boolean().default(true),
      phoneNumbers: z.boolean().default(true),
    })
    .prefault({}),
  /**
   * Origins an iFrame tile may show (`https://crm.example.com`): a copilot flow whose literal iframeTile URL
   * has another origin is refused when it loads, a templated one shows a tile problem instead. They are the
   * Copilot page's CSP `frame-src` as well. Empty (the default): only the workspace's own origin.
   */
  iframeOrigins: z.array(exactOrigin).max(100).default([]),
  /**
   * Who may embed the Copilot page in a frame (CSP `frame-ancestors`): 8x8's agent desktop shows it in a
   * frame, so its origin belongs here. Default `'self'` and `https://*.8x8.com`.
   */
  frameAncestors: z.array(cspOrigin).min(1).max(100).default(["'self'", "https://*.8x8.com"]),
  /** The workspace link posted to the agent when a handover starts. */
  link: z
    .strictObject({
      /** The message text; `{url}` is replaced by the link. Default: the message catalog's text. */
      text: z
        .string()
        .refine((v) => v.includes("{url}"), { error: "a text containing {url}" })
        .optional(),
      /**
       * Gone: links are always signed, because the URL token and the session's ids are known to the end
       * user, so without the signed token the user could open the agent's workspace. Still declared so a
       * config naming it gets this explanation rather than "unknown key".
       */
      signed: z
        .unknown()
        .optional()
        .refine((v) => v === undefined, {
          error: "no signed setting: Copilot links are always signed now (remove copilot.link.signed)",
        })
        .transform(() => undefined),
      /** Lifetime of a link's signed token. */
      ttlMinutes: z
        .int()
        .min(1)
        .max(7 * 24 * 60)
        .default(60),
    })
    .prefault({}),
});

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      port: z.int().min(0).max(65_535).default(3000),
      host: z.string().min(1).default("0.0.0.0"),
      /** Goes into links given to agents; defaults to http://localhost:{port}. */
      publicUrl: httpUrl.optional(),
      /** Largest accepted request body, bytes. */
      bodyLimit: z
        .int()
        .min(1024)
        .max(64 * 1024 * 1024)
        .default(1024 * 1024),
      /**
       * When set, `GET /metrics` needs `authorization: Bearer <metricsToken>`. Unset, it is open: then keep
       * the port away from the public internet (the metrics name providers and endpoints and show traffic).
       */
      metricsToken: serverSecret("a token of at least 32 characters (write it as ${VAR})"),
      /**
       * Opens the admin API (`/api/v1/…`: the event log and replay) as `authorization: Bearer <adminKey>`.
       * Unset, the admin API answers 403 (it is off); the operator page at /admin/ asks for the key.
       */
      adminKey: serverSecret("a key of at least 32 characters (write it as ${VAR})"),
      /**
       * Whether `X-Forwarded-For` names the client (Fastify's `trustProxy`): `false` (default: the TCP peer
       * is the client), `true` (trust every proxy: only when nothing reaches Baton but through them), a hop
       * count, or the proxies' addresses / CIDR ranges. Rate limits count per client address, so behind a
       * proxy without it every client shares the proxy's address.
       */
      trustProxy: z
        .union([z.boolean(), z.int().min(1).max(100), z.array(proxyAddress).min(1).max(100)], {
          error: "true, false, a hop count, or a list of proxy addresses / CIDR ranges",
        })
        .default(false),
      /**
       * Abuse limits, counted per instance in a sliding minute (docs/security.md, Abuse limits). Generous on
       * purpose: they stop floods, not people; raise them when many clients share one address.
       */
      limits: z
        .strictObject({
          /** Calls of the token routes (REST turn, inject, notify, bot API) per client address. */
          tokenRoutesPerMinute: perMinute(1200),
          /** New sessions (web chat hello, REST turn for an unknown session) per client address. */
          sessionsPerMinute: perMinute(300),
          /** Frames one web chat connection may send. */
          webchatFramesPerMinute: perMinute(600),
        })
        .prefault({}),
    })
    .prefault({}),
  /** The web chat page (`GET /`). */
  webchat: z
    .strictObject({
      /** Who may show the page in a frame (CSP `frame-ancestors`). Default: the page's own origin only. */
      frameAncestors: z.array(cspOrigin).min(1).max(100).default(["'self'"]),
    })
    .prefault({}),
  store: z
    .string()
    .refine((v) => /^(pglite|postgres|postgresql):\/\/.+/.test(v), {
      error: "pglite://<directory> or postgres://user:pass@host:5432/db",
    })
    .default("pglite://.baton/data"),
  bus: z
    .string()
    .refine((v) => v === "memory" || /^rediss?:\/\/.+/.test(v), { error: "memory or redis://host:6379" })
    .default("memory"),
  /** The durable outbox of outbound calls (docs/guarantees.md, "Outbound 8x8 calls"). */
  outbox: z
    .strictObject({
      /**
       * How long a call that keeps failing with a passing error (an outage, 429, 5xx) is retried before it is
       * given up; a handover whose message is given up ends and the user is told. Default 2 hours: longer
       * than an hour's outage of 8x8.
       */
      retryForMinutes: z
        .int()
        .min(1)
        .max(7 * 24 * 60)
        .default(120),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    })
    .prefault({}),
  providers: z.record(id, provider).default({}),
  endpoints: z.record(id, endpoint).default({}),
  copilot: copilot.prefault({}),
  /**
   * The operator's event log (docs/event-log.md): every webhook request and every 8x8 call attempt, metadata
   * only, plus inbound bodies for replay. Written in batches off the request path; pruned after retention.
   */
  eventLog: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Entries older than this are deleted (checked every 10 minutes). */
      retentionHours: z
        .int()
        .min(1)
        .max(24 * 366)
        .default(72),
      /** Largest inbound body kept per entry; longer ones are cut (and then replayed from the webhook store). */
      maxBodyBytes: z
        .int()
        .min(0)
        .max(1024 * 1024)
        .default(64 * 1024),
      /** Entries waiting in memory to be written; beyond it new ones are dropped, counted and logged. */
      bufferSize: z.int().min(100).max(1_000_000).default(10_000),
      /** How often the buffer is written. */
      flushIntervalMs: z.int().min(10).max(60_000).default(1_000),
    })
    .prefault({}),
  /**
   * Catch-up of open handovers with their provider (docs/guarantees.md): besides at start, after a gap and
   * after an outage, every open handover is read from the provider this often (0 = never). Each sweep costs
   * a few API calls per open handover, `concurrency` at a time.
   */
  reconcile: z
    .strictObject({
      intervalSeconds: z.int().min(0).max(86_400).default(300),
      concurrency: z.int().min(1).max(64).default(4),
    })
    .prefault({}),
});

/** The validated configuration, defaults applied. */
export type BatonConfig = z.output<typeof configSchema>;
export type ProviderConfig = BatonConfig["providers"][string];
export type EightByEightProviderConfig = Extract<ProviderConfig, { type: "8x8" }>;
export type EndpointConfig = BatonConfig["endpoints"][string];
export type CopilotConfig = BatonConfig["copilot"];
export type ServerLimits = BatonConfig["server"]["limits"];
export type CopilotAiConfig = NonNullable<CopilotConfig["ai"]>;
