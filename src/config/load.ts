import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { BatonError } from "../errors/index.ts";
import { expandEnv, joinPath, type MissingVariable } from "./expand-env.ts";
import { configSchema, type BatonConfig } from "./schema.ts";

/** One problem with a configuration: where, and what was expected there. Never the offending value. */
export interface ConfigIssue {
  readonly path: string;
  readonly expected: string;
  readonly code:
    | "BATON_ERR_CONFIG_INVALID"
    | "BATON_ERR_CONFIG_ENV_MISSING"
    | "BATON_ERR_CONFIG_YAML_SYNTAX"
    | "BATON_ERR_CONFIG_FILE_UNREADABLE";
}

export interface LoadedConfig {
  readonly config: BatonConfig;
  /** Directory relative paths in the config (flows, pglite://) are resolved against. */
  readonly baseDir: string;
  readonly file: string | undefined;
}

export type ConfigResult =
  | ({ readonly ok: true } & LoadedConfig)
  | { readonly ok: false; readonly issues: readonly ConfigIssue[]; readonly file: string | undefined };

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads, expands and validates a YAML config file, collecting every problem at once.
 * Relative paths inside the file are relative to the file's directory.
 *
 * @example
 * const result = await readConfigFile("baton.yaml");
 * if (!result.ok) for (const issue of result.issues) console.error(formatConfigIssue(issue));
 */
export async function readConfigFile(file: string, env: Env = process.env): Promise<ConfigResult> {
  const absolute = resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "an existing file" : "a readable file";
    return {
      ok: false,
      file: absolute,
      issues: [{ path: "(file)", expected: reason, code: "BATON_ERR_CONFIG_FILE_UNREADABLE" }],
    };
  }
  return parseConfigText(text, { env, baseDir: dirname(absolute), file: absolute });
}

export function parseConfigText(
  text: string,
  options: { env?: Env; baseDir?: string; file?: string } = {},
): ConfigResult {
  // Positions come from a LineCounter rather than yaml's pretty errors, whose excerpt of the offending
  // line could show a secret written in the file.
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (document.errors.length > 0) {
    const issues = document.errors.map<ConfigIssue>((e) => ({
      path: describePosition(lineCounter.linePos(e.pos[0])),
      expected: `valid YAML (${e.code.toLowerCase().replaceAll("_", " ")})`,
      code: "BATON_ERR_CONFIG_YAML_SYNTAX",
    }));
    return { ok: false, file: options.file, issues };
  }
  return validateConfig(document.toJS() ?? {}, options);
}

function describePosition(position: { line: number; col: number }): string {
  return `line ${position.line}, column ${position.col}`;
}

/** Validates an already-parsed config object (what a YAML file or a test supplies). */
export function validateConfig(
  raw: unknown,
  options: { env?: Env; baseDir?: string; file?: string } = {},
): ConfigResult {
  const missing: MissingVariable[] = [];
  const expanded = expandEnv(raw, options.env ?? process.env, missing);
  const issues: ConfigIssue[] = missing.map((m) => ({
    path: m.path,
    expected: `environment variable ${m.variable} to be set (or write \${${m.variable}:-default})`,
    code: "BATON_ERR_CONFIG_ENV_MISSING",
  }));
  const parsed = configSchema.safeParse(expanded);
  if (!parsed.success) {
    // A value left empty by a missing variable is already reported as such; its schema error is noise.
    const missingPaths = new Set(missing.map((m) => m.path));
    issues.push(...parsed.error.issues.flatMap(toConfigIssues).filter((i) => !missingPaths.has(i.path)));
  }
  issues.push(...crossReferenceIssues(expanded));
  if (issues.length > 0 || !parsed.success) return { ok: false, file: options.file, issues: dedupe(issues) };
  return { ok: true, config: parsed.data, baseDir: options.baseDir ?? process.cwd(), file: options.file };
}

/** Like readConfigFile, but throws BATON_ERR_CONFIG_INVALID listing every issue (for `serve`). */
export async function loadConfigFile(file: string, env: Env = process.env): Promise<LoadedConfig> {
  const result = await readConfigFile(file, env);
  if (!result.ok)
    throw new BatonError("BATON_ERR_CONFIG_INVALID", { file: result.file, issues: result.issues });
  return result;
}

export function formatConfigIssue(issue: ConfigIssue): string {
  return `${issue.code}  ${issue.path}: expected ${issue.expected}`;
}

function toConfigIssues(issue: z.core.$ZodIssue): ConfigIssue[] {
  const path = issue.path.reduce<string>(
    (p, key) => joinPath(p, typeof key === "symbol" ? String(key) : key),
    "",
  );
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      path: joinPath(path, key),
      expected: `a known key ("${key}" is not one${path === "" ? "" : ` of ${path}`})`,
      code: "BATON_ERR_CONFIG_INVALID",
    }));
  }
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    // A discriminated union with a bad discriminator reports why each option failed; the top message is the
    // one we wrote for the field.
    return [{ path: path || "(root)", expected: issue.message, code: "BATON_ERR_CONFIG_INVALID" }];
  }
  return [{ path: path || "(root)", expected: describeExpectation(issue), code: "BATON_ERR_CONFIG_INVALID" }];
}

/** zod's default messages read "Invalid input: expected string, received number"; we keep the expectation. */
function describeExpectation(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") {
    return issue.message.endsWith("received undefined") ? `${issue.expected} (required)` : issue.expected;
  }
  const message = issue.message.replace(/^Invalid input: expected /, "").replace(/, received \w+$/, "");
  return message
    .replace(/^Too small: expected (\w+) to be /, "$1 ")
    .replace(/^Too big: expected (\w+) to be /, "$1 ");
}

/** Checks between sections, run even when other parts are invalid so every problem shows at once. */
function crossReferenceIssues(raw: unknown): ConfigIssue[] {
  if (!isRecord(raw) || !isRecord(raw.endpoints)) return [];
  const providers = isRecord(raw.providers) ? Object.keys(raw.providers) : [];
  const issues: ConfigIssue[] = [];
  for (const [endpointId, endpoint] of Object.entries(raw.endpoints)) {
    if (isRecord(endpoint)) issues.push(...callbackIssues(endpointId, endpoint));
    if (!isRecord(endpoint) || !isRecord(endpoint.handover)) continue;
    const providerId = endpoint.handover.provider;
    if (typeof providerId === "string" && !providers.includes(providerId)) {
      issues.push({
        path: `endpoints.${endpointId}.handover.provider`,
        expected: `the id of a configured provider (${providers.join(", ") || "none is configured"})`,
        code: "BATON_ERR_CONFIG_INVALID",
      });
    }
  }
  return issues;
}

/** `callbackUrl` and `callbackSecret` belong to the webhook channel: required there, refused elsewhere. */
function callbackIssues(endpointId: string, endpoint: Record<string, unknown>): ConfigIssue[] {
  const webhook = endpoint.channel === "webhook";
  return (["callbackUrl", "callbackSecret"] as const).flatMap((key): ConfigIssue[] => {
    const present = endpoint[key] !== undefined;
    if (webhook === present) return [];
    return [
      {
        path: `endpoints.${endpointId}.${key}`,
        expected: webhook
          ? `${key} (required with channel webhook)`
          : `no ${key} (it belongs to channel webhook only)`,
        code: "BATON_ERR_CONFIG_INVALID",
      },
    ];
  });
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.code}|${i.path}|${i.expected}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
