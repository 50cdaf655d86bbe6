export { buildServer, type ServerDeps, type ReadinessCheck } from "./app.ts";
/** The HTTP server type, named here so code outside server/ need not import Fastify. */
export type { FastifyInstance as HttpServer } from "fastify";
