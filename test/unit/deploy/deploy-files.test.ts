import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { CliIo } from "../../../src/cli/io.ts";
import { main } from "../../../src/cli/main.ts";
import { readConfigFile } from "../../../src/config/index.ts";

/**
 * No container engine runs where these tests run, so the Dockerfile and compose.yaml are checked for what
 * can be checked without one (docs/operations.md says so): the compose file's shape, the configs it mounts
 * (through `baton config check`), and the Dockerfile against package.json and .dockerignore. The scripts
 * compose runs are exercised for real in test/e2e/deploy-scripts.test.ts.
 */
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const read = (path: string) => readFileSync(`${repo}${path}`, "utf8");

interface ComposeService {
  build?: string;
  image?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = parse(read("compose.yaml"), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`compose.yaml has no service ${name}`);
  return found;
};

/** Compose's own `${NAME:-default}` interpolation, with nothing set: the defaults a plain `up` uses. */
function withComposeDefaults(environment: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [
      key,
      value.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, (_match, fallback: string) => fallback),
    ]),
  );
}

/** `baton config check <file>` in this process, with `env` as the whole environment it sees. */
async function configCheck(file: string, env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const saved = process.env;
  process.env = { ...env };
  try {
    const code = await main(["config", "check", file], io);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    process.env = saved;
  }
}

describe("compose.yaml", () => {
  it("runs two gateways on one PostgreSQL and one Redis, after the setup step, with the same config", () => {
    for (const name of ["postgres", "redis", "simulator", "setup", "gateway-a", "gateway-b"])
      expect(Object.keys(compose.services)).toContain(name);
    const [a, b] = [service("gateway-a"), service("gateway-b")];
    for (const gateway of [a, b]) {
      expect(gateway.entrypoint).toEqual(["sh", "/etc/baton/gateway.sh"]);
      expect(gateway.volumes).toEqual(["./deploy:/etc/baton:ro", "setup:/setup:ro"]);
      expect(gateway.environment?.BATON_STORE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\/baton$/);
      expect(gateway.environment?.BATON_BUS_URL).toBe("redis://redis:6379");
      expect(gateway.depends_on).toEqual({
        postgres: { condition: "service_healthy" },
        redis: { condition: "service_healthy" },
        setup: { condition: "service_completed_successfully" },
      });
    }
    expect(a.environment).toEqual(b.environment);
  });

  it("points the simulator's webhook at one of the gateways, inside the compose network", () => {
    const target = new URL(service("setup").environment!.WEBHOOK_PUBLIC_URL!);
    expect(["gateway-a", "gateway-b"]).toContain(target.hostname);
    // The container port of the gateways: server.port of deploy/baton.yaml.
    expect(target.port).toBe("3000");
    expect(service("setup").depends_on).toEqual({ simulator: { condition: "service_healthy" } });
  });

  it("publishes ports on 127.0.0.1 only and mounts only files that exist", () => {
    for (const [name, definition] of Object.entries(compose.services)) {
      for (const port of definition.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
      for (const volume of definition.volumes ?? []) {
        const [source] = volume.split(":");
        if (source!.startsWith(".")) expect(existsSync(`${repo}${source}`), volume).toBe(true);
        else expect(Object.keys(compose.volumes), volume).toContain(source);
      }
    }
    for (const script of ["gateway.sh", "setup.sh", "baton.yaml", "setup.yaml"])
      expect(existsSync(`${repo}deploy/${script}`), script).toBe(true);
  });

  it("gives every long-running service a health check", () => {
    for (const name of ["postgres", "redis", "simulator"])
      expect(service(name).healthcheck?.test.length, name).toBeGreaterThan(0);
  });
});

describe("the configs compose mounts", () => {
  const gatewayEnv = {
    ...withComposeDefaults(service("gateway-a").environment),
    // What deploy/setup.sh writes for the gateways.
    EIGHT_X_EIGHT_CHANNEL_ID: "channel-from-setup",
  };

  it("deploy/baton.yaml passes `baton config check` with a gateway's environment", async () => {
    const result = await configCheck(`${repo}deploy/baton.yaml`, gatewayEnv);
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(result.out).toContain("valid (1 provider(s), 1 endpoint(s))");
  });

  it("deploy/baton.yaml is a several-instance config: PostgreSQL store, Redis bus, the demo flow", async () => {
    const result = await readConfigFile(`${repo}deploy/baton.yaml`, gatewayEnv);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.config.store).toMatch(/^postgres:\/\//);
    expect(result.config.bus).toMatch(/^redis:\/\//);
    expect(result.config.providers.eight).toMatchObject({ channelId: "channel-from-setup" });
    // The image's flows folder, where the Dockerfile copies flows/.
    expect(result.config.endpoints.web?.flow).toBe("/app/flows/demo.yaml");
  });

  it("deploy/baton.yaml names what is missing when the setup step did not run", async () => {
    const { EIGHT_X_EIGHT_CHANNEL_ID: _dropped, ...withoutChannel } = gatewayEnv;
    const result = await configCheck(`${repo}deploy/baton.yaml`, withoutChannel);
    expect(result.code).toBe(1);
    expect(result.err).toContain("providers.eight.channelId");
    expect(result.err).toContain("EIGHT_X_EIGHT_CHANNEL_ID");
  });

  it("deploy/setup.yaml passes `baton config check` with the setup step's environment", async () => {
    const result = await configCheck(
      `${repo}deploy/setup.yaml`,
      withComposeDefaults(service("setup").environment),
    );
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile").replace(/\\\n\s*/g, " ");
  const instructions = dockerfile
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
  const ignored = read(".dockerignore")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));

  it("builds in stages on Node 20 slim with npm ci", () => {
    const stages = instructions.filter((line) => line.startsWith("FROM "));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toMatch(/^FROM node:20-slim\b/);
    const runs = instructions.filter((line) => line.startsWith("RUN "));
    expect(runs.filter((line) => line.includes("npm ci")).length).toBe(2);
    expect(runs.some((line) => line.includes("npm ci --omit=dev"))).toBe(true);
  });

  it("runs only npm scripts that package.json has, and builds both web pages", () => {
    const used = [...dockerfile.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!);
    expect(used).toEqual(expect.arrayContaining(["build:web", "build:copilot"]));
    for (const script of used) expect(Object.keys(scripts), script).toContain(script);
  });

  it("copies only what exists and what .dockerignore lets through", () => {
    const copies = instructions.filter((line) => line.startsWith("COPY ") && !line.includes("--from="));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = copy.split(/\s+/).slice(1, -1);
      for (const source of sources) {
        if (source === ".") continue;
        expect(existsSync(`${repo}${source}`), source).toBe(true);
        expect(ignored, source).not.toContain(source);
      }
    }
    // What the build stage needs from `COPY . .`: the page sources and the server code they import.
    for (const needed of ["web", "src", "package.json", "package-lock.json", "tsconfig.json"])
      expect(ignored, needed).not.toContain(needed);
    expect(ignored).toEqual(expect.arrayContaining(["node_modules", ".git", ".baton"]));
  });

  it("runs `baton serve` as a non-root user with a health check on /healthz", () => {
    const user = instructions.filter((line) => line.startsWith("USER ")).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)\b/);
    const healthcheck = instructions.find((line) => line.startsWith("HEALTHCHECK "));
    expect(healthcheck).toContain("/healthz");
    const json = (prefix: string) =>
      JSON.parse(instructions.find((line) => line.startsWith(prefix))!.slice(prefix.length)) as string[];
    expect([...json("ENTRYPOINT "), ...json("CMD ")]).toEqual([
      "node",
      "bin/baton.js",
      "serve",
      "--config",
      "/etc/baton/baton.yaml",
    ]);
  });
});
