// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

/** Packages that do I/O: the core (decisions) must receive them through ports instead. */
const drivers = [
  "fastify",
  "fastify-*",
  "@fastify/*",
  "undici",
  "pg",
  "@electric-sql/*",
  "ioredis",
  "kysely",
  "ws",
  "node:http",
  "node:https",
  "node:net",
  "node:fs",
  "node:fs/promises",
];

const httpFramework = ["fastify", "fastify-*", "@fastify/*"];
const dataDrivers = ["pg", "@electric-sql/*", "ioredis", "kysely"];
const simulator = ["**/simulator/**"];

/**
 * Per-folder import boundaries. Flat config lets the last matching block win
 * for a rule, so every folder gets exactly one block with the whole list of what it may not import.
 */
function importBoundaries() {
  const areas = [
    {
      files: [
        "src/handover/**",
        "src/flow/**",
        "src/conversation/**",
        "src/copilot/*.ts",
        "src/copilot/tiles/**",
      ],
      banned: [...drivers, ...simulator],
      why: "Core code decides and receives ports; I/O lives in adapters (store/, bus/, providers/, channels/) and the simulator is never imported.",
    },
    {
      files: [
        "src/providers/**",
        "src/eventlog/**",
        "src/telemetry/**",
        "src/config/**",
        "src/copilot/ai/**",
        "src/copilot/knowledge/node-file-system.ts",
      ],
      banned: [...httpFramework, ...dataDrivers, ...simulator],
      why: "Adapters of this folder use neither Fastify (only server/) nor database/bus drivers (only store/, bus/), nor the simulator.",
    },
    {
      files: ["src/copilot/knowledge/**"],
      ignores: ["src/copilot/knowledge/node-file-system.ts"],
      banned: [...drivers, ...simulator],
      why: "The knowledge loader and index read files only through the KnowledgeFileSystem port; node-file-system.ts is its one adapter.",
    },
    {
      files: ["src/store/**", "src/bus/**", "src/runtime/**"],
      banned: [...httpFramework, ...simulator],
      why: "Store, bus and runtime (outbox, timers) adapters do not know about HTTP serving or the simulator.",
    },
    {
      files: ["src/server/**", "src/channels/**"],
      banned: [...dataDrivers, ...simulator],
      why: "Serving code reaches data through the Store port, and never imports the simulator.",
    },
    {
      files: ["src/*.ts", "src/errors/**", "src/protocol/**", "src/utils/**", "src/i18n/**"],
      banned: [...drivers, ...simulator],
      why: "Shared modules stay free of drivers and of the simulator.",
    },
  ];
  return areas.map(({ files, ignores, banned, why }) => ({
    files,
    ...(ignores ? { ignores } : {}),
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: banned, message: why }] }] },
  }));
}

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", ".baton/**", ".scratch/**", "coverage/**", "web/**/dist/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["*.js", "bin/*.js"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // `void promise` drops a rejection as silently as a missing await, and an unhandled rejection ends the
      // process. A fire-and-forget promise gets a .catch that logs, or says why its error cannot matter.
      // (Import cycles are checked by test/unit/architecture/import-cycles.test.ts: import-x/no-cycle skips
      // type-only imports, and every cycle this code base had was one.)
      "@typescript-eslint/no-floating-promises": ["error", { ignoreVoid: false }],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  ...importBoundaries(),
  {
    // Browser code: no Node built-ins or server drivers; only the wire types are shared with the gateway.
    files: ["web/**"],
    ignores: ["web/*/vite.config.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "node:*",
                "fastify",
                "@fastify/*",
                "ws",
                "undici",
                "pg",
                "ioredis",
                "kysely",
                "@electric-sql/*",
              ],
              message: "web/ is browser code: no Node built-ins or server drivers.",
            },
            {
              regex: "^(\\.\\./){3,}src/(?!protocol/)",
              message: "web/ shares only the wire types in src/protocol/ with the gateway.",
            },
          ],
        },
      ],
    },
  },
  {
    // The operator page is plain JavaScript that tsc checks (web/admin/tsconfig.json, checkJs), and tsc knows
    // the browser's globals; ESLint's no-undef does not.
    files: ["web/admin/**/*.js"],
    rules: { "no-undef": "off" },
  },
  {
    files: ["test/**", "bench/**"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
    },
  },
  prettier,
);
