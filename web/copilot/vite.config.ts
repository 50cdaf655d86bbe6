import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * Builds the agent's Copilot workspace into dist/web/copilot/, which the gateway serves at `/copilot/`
 * (index.html at /copilot/, assets at /copilot/assets/). `base: "./"` keeps every asset URL relative; no
 * external URL. JSX uses Vite 8's built-in Oxc transform with React's automatic runtime (no React plugin,
 * no fast refresh).
 *
 * @example npx vite build --config web/copilot/vite.config.ts
 */
const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "./",
  publicDir: false,
  oxc: { jsx: { runtime: "automatic", importSource: "react" } },
  build: {
    outDir: fileURLToPath(new URL("../../dist/web/copilot", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // React + adaptivecards in one file: simpler to cache and serve than chunks.
    chunkSizeWarningLimit: 1536,
  },
  // `npx vite --config web/copilot/vite.config.ts` for development, against a gateway started with npm start:
  // the dev page lives at `/`, so its socket is `/ws`, forwarded to the gateway's `/copilot/ws`.
  server: {
    port: 5174,
    proxy: { "/ws": { target: "http://localhost:3000", ws: true, rewrite: (path) => `/copilot${path}` } },
  },
});
