import { appendFileSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { request } from "undici";
import { afterAll, beforeAll, expect, inject } from "vitest";
import { validateConfig } from "../../src/config/index.ts";
import { errorCatalog, isErrorCode } from "../../src/errors/catalog.ts";
import { createGateway, type Gateway, type GatewayOptions } from "../../src/index.ts";
import { maxJsonDepth } from "../../src/utils/text-hygiene.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import { createSimulator, type Simulator } from "../../simulator/src/index.ts";
import { prepareSimulator } from "../factories/embedded-gateway.ts";

declare module "vitest" {
  export interface ProvidedContext {
    fuzzTallyFile: string;
  }
}

/**
 * Cases per property. Small by default so a local run takes seconds; .ci/run raises it (BATON_FUZZ_RUNS)
 * so CI runs well over 10 000 cases in all.
 */
export const fuzzRuns = Math.max(1, Number(process.env.BATON_FUZZ_RUNS ?? "") || 30);

/** A fixed seed unless one is given, so a CI failure replays locally with the same BATON_FUZZ_SEED. */
export const fuzzSeed = Number(process.env.BATON_FUZZ_SEED ?? "") || 20_261_204;

let cases = 0;
let failures = 0;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

/**
 * One per fuzz file: fails the file on any unhandled rejection or uncaught exception (either would crash a
 * production process), and reports this file's case count to the global setup's tally.
 */
export function installFuzzGuards(file: string): void {
  beforeAll(() => {
    process.on("unhandledRejection", onUnhandled);
    process.on("uncaughtException", onUnhandled);
  });
  afterAll(() => {
    process.off("unhandledRejection", onUnhandled);
    process.off("uncaughtException", onUnhandled);
    appendFileSync(inject("fuzzTallyFile"), `${cases} ${failures}\n`);
    process.stdout.write(`fuzz ${file}: ${cases} cases, ${failures} failures\n`);
    expect(unhandled.map(String)).toEqual([]);
  });
}

/** Runs a property with the suite's run count and seed, counting cases and failed properties. */
export async function check<T>(arbitrary: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>) {
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        cases += 1;
        await predicate(value);
        expect(unhandled.map(String)).toEqual([]);
      }),
      { numRuns: fuzzRuns, seed: fuzzSeed, endOnFailure: true },
    );
  } catch (error) {
    failures += 1;
    // fast-check prints the whole counterexample, which for a 200 000-level document is megabytes: the
    // cause (the failed assertion) and a cut of the counterexample are what a reader needs.
    const text = error instanceof Error ? error.message : String(error);
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : "";
    // eslint-disable-next-line preserve-caught-error -- attaching it would print the whole counterexample again
    throw new Error(`${text.slice(0, 1_500)}\n…\nCaused by: ${cause.slice(0, 1_500)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Inputs

/** Strings that have broken parsers, loggers and stores: NUL, lone surrogates, bidi controls, emoji, BOM. */
export const oddChars = [
  "\u0000",
  "\ud800",
  "\udfff",
  "\u202e",
  "\u200f",
  "\u2066",
  "\ufeff",
  "\u200b",
  "👩🏽‍💻",
  "🏳️‍🌈",
  "\u0301",
  "\r\n",
  "\t",
  "\\",
  '"',
  "%00",
  "%",
  "../",
  "<script>",
  "${x}",
  "{{x}}",
  "__proto__",
  "constructor",
  "\u{10ffff}",
];

export const oddString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.array(fc.constantFrom(...oddChars), { maxLength: 12 }).map((parts) => parts.join("")),
  fc.constantFrom("", " ", "null", "0", "-1", "1e999", "true", "[]", "{}"),
  fc
    .tuple(fc.constantFrom("a", "é", "𝕏", "\u0000", "\ud83d"), fc.integer({ min: 257, max: 20_000 }))
    .map(([unit, count]) => unit.repeat(count)),
);

/** Ids from a small pool (so accepted inputs reuse a few sessions) or odd ones (mostly refused). */
export const fuzzId: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("fuzz-u1", "fuzz-u2", "fuzz-s1", "fuzz-s2") },
  { weight: 3, arbitrary: oddString },
  { weight: 1, arbitrary: fc.constantFrom(null, 0, -1, 1.5, true, [], {}, ["fuzz-u1"], "x".repeat(257)) },
);

/** Nesting well past the limit, up to 200 000 levels (a recursive walker would overflow the stack). */
export const deepJson: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(maxJsonDepth, maxJsonDepth + 1, maxJsonDepth + 2, 1_000, 10_000, 200_000),
    fc.constantFrom("[", '{"a":', '{"data":'),
    fc.boolean(),
  )
  .map(([depth, open, closed]) => {
    const close = open === "[" ? "]" : "}";
    return open.repeat(depth) + "1" + (closed ? close.repeat(depth) : "");
  });

export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4 });

/** An object shaped like `fields` where each field is kept, dropped, or replaced by junk. */
export function mutatedObject(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const entries = Object.entries(fields).map(([key, value]) =>
    fc.option(value, { nil: undefined }).map((v) => [key, v] as const),
  );
  return fc
    .tuple(fc.tuple(...entries), fc.dictionary(oddString, anyJson, { maxKeys: 2 }), fc.boolean())
    .map(([kept, extra, withExtra]) => ({
      ...Object.fromEntries(kept.filter(([, v]) => v !== undefined)),
      ...(withExtra ? extra : {}),
    }));
}

/** A raw body: serialised structured input, raw junk, deep nesting, or a large document. */
export function rawBody(structured: fc.Arbitrary<unknown>): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    { weight: 6, arbitrary: structured.map((value) => JSON.stringify(value) ?? "null") },
    { weight: 2, arbitrary: anyJson.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: oddString },
    { weight: 2, arbitrary: deepJson },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(600_000, 1_100_000, 3_000_000)
        .map((size) => JSON.stringify({ userId: "fuzz-u1", sessionId: "fuzz-s1", text: "y".repeat(size) })),
    },
  );
}

export const contentType: fc.Arbitrary<string | undefined> = fc.constantFrom(
  "application/json",
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  "application/json; charset=utf-16",
  "",
  "]][[",
  undefined,
);

/** A bearer header: missing, empty, wrong, malformed, or (when given) the right one. */
export function authorization(secret?: string): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    fc.constantFrom(undefined, "", "Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "bearer wrong-secret"),
    // Only what an HTTP client can put in a header (visible ASCII): undici refuses the rest itself.
    oddString.map((s) => `Bearer ${headerSafe(s)}`.slice(0, 4_000)),
    ...(secret === undefined
      ? []
      : [fc.constantFrom(`Bearer ${secret}`, `bearer ${secret}`, `Bearer  ${secret} `)]),
  );
}

/** The visible-ASCII part of a string: what an HTTP client can send in a header value. */
export const headerSafe = (value: string): string => value.replace(/[^\x20-\x7e]/g, "");

/**
 * A query string of odd values, percent-encoded (lone surrogates replaced, which encodeURIComponent refuses)
 * and kept under Node's 16 KiB header limit, which Node enforces before the gateway sees the request.
 */
export function querySafe(pairs: readonly (readonly [string, string])[]): string {
  return new URLSearchParams(
    pairs.map(([k, v]): [string, string] => [k, v.replace(/[\ud800-\udfff]/g, "x").slice(0, 200)]),
  ).toString();
}

/**
 * A path segment: the real token, an unknown one, or an odd string percent-encoded. Malformed escapes
 * (`%`, `%ff`) and segments over Fastify's 100-character parameter limit are left to the separate
 * known-gap case: Fastify answers them before any gateway code.
 */
export function tokenSegment(...real: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...real) },
    {
      weight: 1,
      arbitrary: oddString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "x").slice(0, 10))),
    },
    { weight: 1, arbitrary: fc.constantFrom("%00", "%2F", "..", ".", "%E2%80%AE", "a".repeat(100)) },
  );
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

export async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string | undefined>; body?: string | Buffer },
): Promise<Answer> {
  const headers = Object.fromEntries(
    Object.entries(init.headers ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const response = await request(url, {
    method: (init.method ?? "GET") as "GET",
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return { status: response.statusCode, text: await response.body.text(), headers: response.headers };
}

/** The HTTP properties: never a 5xx; a refusal carries a catalog code. */
export function expectHttpAnswer(answer: Answer, what: string): void {
  expect(answer.status, `${what}: ${answer.text.slice(0, 300)}`).toBeLessThan(500);
  // A HEAD answer has no body by definition, so its code cannot be read; its status is still checked.
  if (answer.status < 400 || what.startsWith("HEAD ")) return;
  let code: unknown;
  try {
    code = (JSON.parse(answer.text) as { error?: { code?: unknown } }).error?.code;
  } catch {
    code = undefined;
  }
  expect(
    typeof code === "string" && isErrorCode(code),
    `${what}: ${answer.status} ${answer.text.slice(0, 300)}`,
  ).toBe(true);
}

export const catalogCloseCodes = new Set<number>(
  Object.values(errorCatalog).flatMap((entry) => ("wsClose" in entry ? [entry.wsClose] : [])),
);

// ---------------------------------------------------------------------------------------------------------
// State

export interface Snapshot {
  readonly sessions: number;
  readonly messages: number;
  readonly openHandovers: number;
}

/** Counts sessions, their messages and open handovers: what a refused request must leave unchanged. */
export async function snapshot(gateway: Gateway): Promise<Snapshot> {
  const sessions = await gateway.store.sessions.list({ limit: 100_000 });
  let messages = 0;
  for (const session of sessions)
    messages += (await gateway.store.messages.listTranscript(session.id)).length;
  return {
    sessions: sessions.length,
    messages,
    openHandovers: (await gateway.store.handovers.listOpen()).length,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Gateway

export interface FuzzGateway {
  readonly gateway: Gateway;
  readonly simulator: Simulator;
  token(endpointId: string): string;
}

/** A stand-in for the built workspace app, so the Copilot page is served whether or not a build ran. */
export async function fakeCopilotDist(): Promise<string> {
  const dist = await mkdtemp(join(tmpdir(), "baton-fuzz-copilot-"));
  await mkdir(join(dist, "assets"));
  await writeFile(join(dist, "index.html"), "<!doctype html><title>workspace</title>");
  return `${dist}/`;
}

/**
 * The simulator and one gateway for the whole file (starting one costs seconds), closed after the file:
 * `endpoints` and `provider` are merged into the config as given.
 */
export function startFuzzGateway(options: {
  endpoints: (simulator: Simulator) => Record<string, unknown>;
  provider?: Record<string, unknown>;
  server?: Record<string, unknown>;
  env?: Record<string, string>;
  gatewayCopilot?: GatewayOptions["copilot"];
}): FuzzGateway {
  let gateway: Gateway | undefined;
  let simulator: Simulator | undefined;
  beforeAll(async () => {
    simulator = await createSimulator({ retry: { baseDelayMs: 20 } });
    const { port, setup } = await prepareSimulator(simulator);
    const config = validateConfig(
      {
        // The fuzzer is one client sending thousands of requests a minute: the abuse limits (tested on their
        // own) are lifted so every case reaches the route it fuzzes.
        server: {
          port,
          host: "127.0.0.1",
          limits: {
            tokenRoutesPerMinute: 1_000_000,
            sessionsPerMinute: 1_000_000,
            webchatFramesPerMinute: 1_000_000,
          },
          ...options.server,
        },
        store: "pglite://memory",
        providers: {
          eight: {
            type: "8x8",
            baseUrl: simulator.url,
            apiKey: simulator.apiKey,
            channelId: setup.channel!.id,
            webhook: { reorderWindowMs: 50 },
            http: { timeoutMs: 2_000, maxAttempts: 1 },
            ...options.provider,
          },
        },
        endpoints: options.endpoints(simulator),
      },
      { env: options.env ?? {} },
    );
    if (!config.ok) throw new Error(JSON.stringify(config.issues));
    gateway = await createGateway(config, {
      port,
      host: "127.0.0.1",
      logger: createSilentLogger(),
      ...(options.gatewayCopilot === undefined ? {} : { copilot: options.gatewayCopilot }),
    });
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    await simulator?.close();
  }, 60_000);
  return {
    get gateway() {
      return gateway!;
    },
    get simulator() {
      return simulator!;
    },
    token: (endpointId) => gateway!.endpoints.get(endpointId)!.urlToken,
  };
}
