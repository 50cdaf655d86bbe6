/**
 * A child process for the Redis presence tests: opens a Redis bus, counts one connection of a key, says
 * "joined" and waits to be killed (SIGKILL: no goodbye, its entry must expire on its own).
 *
 * node --import tsx test/factories/presence-holder-child.ts <redis url> <prefix> <key> <presence ttl ms>
 */
import { createRedisBus } from "../../src/bus/redis.ts";

const [url, prefix, key, ttl] = process.argv.slice(2);
if (url === undefined || prefix === undefined || key === undefined || ttl === undefined)
  throw new Error("usage: presence-holder-child.ts <redis url> <prefix> <key> <presence ttl ms>");
const bus = await createRedisBus(url, { prefix, presenceTtlMs: Number(ttl) });
await bus.presence.join(key);
process.stdout.write("joined\n");
// Keeps refreshing its entry until killed.
setInterval(() => {}, 60_000);
