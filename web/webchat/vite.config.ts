import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * Builds the end-user web chat page into dist/web/webchat/, which the gateway serves at `/`.
 * `base: "./"` keeps every asset URL relative, so the page works under any mount path; no external URL.
 *
 * @example npx vite build --config web/webchat/vite.config.ts
 */
const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "./",
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL("../../dist/web/webchat", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // adaptivecards is most of the bundle; one file is simpler to cache and serve than chunks.
    chunkSizeWarningLimit: 1024,
  },
  // `npx vite --config web/webchat/vite.config.ts` for development, against a gateway started with npm start.
  server: { port: 5173, proxy: { "/endpoints": { target: "http://localhost:3000", ws: true } } },
});
