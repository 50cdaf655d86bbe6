import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { BatonError, isBatonError } from "../errors/index.ts";

/** Every error leaves the server as `{ error: { code, message, field?, expected?, ... } }`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new BatonError("BATON_ERR_HTTP_NOT_FOUND", { method: request.method, path: request.url.split("?")[0] }),
    ),
  );
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const batonError = toBatonError(error);
    // A provider's webhook receiver logs each refusal itself, once, at warn, with what it knows of it: a
    // second line here would double every forged or stale delivery in the log.
    if (batonError.code.startsWith("BATON_ERR_WEBHOOK_")) return sendError(reply, batonError);
    if (batonError.status >= 500) request.log.error({ err: error, code: batonError.code }, "request failed");
    else request.log.info({ code: batonError.code, details: batonError.details }, "request rejected");
    return sendError(reply, batonError);
  });
}

export function sendError(reply: FastifyReply, error: BatonError): FastifyReply {
  return reply.status(error.status).type("application/json").send({ error: error.toJSON() });
}

function toBatonError(error: FastifyError): BatonError {
  if (isBatonError(error)) return error;
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") return new BatonError("BATON_ERR_HTTP_BODY_TOO_LARGE");
  if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
    return new BatonError("BATON_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE");
  if (
    error.validation ||
    (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
  ) {
    return new BatonError("BATON_ERR_HTTP_BAD_REQUEST", { reason: error.message });
  }
  return new BatonError("BATON_ERR_SERVER_INTERNAL", {}, { cause: error });
}
