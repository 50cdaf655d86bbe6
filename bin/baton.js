#!/usr/bin/env node
// The `baton` command. It runs the TypeScript sources through tsx, so a fresh clone works after `npm ci`
// with no build step; `npm run build` only matters for packaging.
import process from "node:process";
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
