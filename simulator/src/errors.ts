import { randomBytes } from "node:crypto";

/**
 * 8x8's error bodies, as its OpenAPI declares them. They are not RFC 7807 even though they are sent as
 * `application/problem+json`, and the shape of `errors` differs per operation, so each shape has its own
 * builder. Handlers throw {@link GatewayProblem}; the server turns it into the response.
 */
export class GatewayProblem extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body["message"] === "string" ? body["message"] : `HTTP ${status}`);
  }
}

function referenceId(): string {
  return randomBytes(8).toString("hex");
}

/** 401: missing or wrong `x-api-key`. */
export function unauthorized(): GatewayProblem {
  return new GatewayProblem(401, {
    message: "Access Denied",
    errors: [{ message: "Access Denied", code: "access_denied" }],
    referenceId: referenceId(),
  });
}

/**
 * 403: the tenant named in `X-8x8-Tenant` (or, on the card actions, in the path) is not the key's. `errors`
 * are plain strings here.
 */
export function forbiddenTenant(customerId: string, where = "Header X-8x8-Tenant"): GatewayProblem {
  return new GatewayProblem(403, {
    message: "The tenant does not belong to customer.",
    errors: [`${where} doesn't match tenant information for customerId=${customerId}`],
  });
}

/** 404 `ResourceNotFoundProblem`: used by webhooks, channels, conversations, messages, attachments. */
export function resourceNotFound(resourceType: string, id: string): GatewayProblem {
  return new GatewayProblem(404, {
    message: `Resource of type ${resourceType} with id ${id} was not found.`,
    errors: [`Entity of type ${resourceType} with id ${id} was not found.`],
  });
}

/** 404 `ResourceNotFoundExceptionPayload`: typing, thinking, read-receipt, post-agent-assignment, card actions. */
export function resourceNotFoundObject(resourceType: string, id: string): GatewayProblem {
  return new GatewayProblem(404, {
    message: "Resource not found",
    errors: [
      { code: "resource_not_found", message: `Entity of type ${resourceType} with id ${id} was not found.` },
    ],
  });
}

/** 400 `GenericExceptionPayload`: most validation failures (e.g. code `invalid_queue`). */
export function badRequest(code: string, message: string): GatewayProblem {
  return new GatewayProblem(400, { message, errors: [{ code, message }] });
}

/** 400 `BadRequestProblem` on send-message: `errors` is a single object, not an array. */
export function badMessageRequest(message: string): GatewayProblem {
  return new GatewayProblem(400, {
    message,
    errors: { code: "invalid_json_object", message },
    referenceId: referenceId(),
  });
}

/** 400 `InvalidParameterExceptionPayload`: typing, thinking, read-receipt, post-agent-assignment. */
export function invalidParameter(conversationId: string, detail: string): GatewayProblem {
  const message = `Invalid parameter exception for conversation ${conversationId}: ${detail}`;
  return new GatewayProblem(400, {
    message,
    errors: [{ code: "invalid_parameter", message }],
    referenceId: referenceId(),
  });
}

/** Injected failures (faults) and unexpected errors use the generic shape too. */
export function serverError(status: number, code: string, message: string): GatewayProblem {
  return new GatewayProblem(status, { message, errors: [{ code, message }] });
}

/** The `errorRate` fault's answer: the generic shape, told apart so the request log can name the fault. */
export class SimulatedFailure extends GatewayProblem {}

export function simulatedFailure(status: number): SimulatedFailure {
  const message = `Simulated failure (HTTP ${status}).`;
  return new SimulatedFailure(status, { message, errors: [{ code: "simulated_fault", message }] });
}

/** Errors of the control API (`/sim/...`), which is ours and uses one plain JSON shape. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly expected?: string,
  ) {
    super(message);
  }

  toBody(): { error: Record<string, string> } {
    const error: Record<string, string> = { code: this.code, message: this.message };
    if (this.field !== undefined) error["field"] = this.field;
    if (this.expected !== undefined) error["expected"] = this.expected;
    return { error };
  }
}

export function invalidControlInput(field: string, expected: string, message?: string): ControlError {
  return new ControlError(400, "invalid_input", message ?? `${field} must be ${expected}`, field, expected);
}
