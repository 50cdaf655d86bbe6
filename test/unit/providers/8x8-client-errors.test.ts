import { afterEach, describe, expect, it } from "vitest";
import { isBatonError } from "../../../src/errors/index.ts";
import { ChatGatewayError, isChatGatewayError } from "../../../src/providers/8x8/gateway-error.ts";
import { createTestClient, testApiKey, type TestClient } from "../../factories/chat-gateway-test-client.ts";
import { useStubHttpServer, type StubReply } from "../../factories/stub-http-server.ts";

const stub = useStubHttpServer();
let harness: TestClient;
afterEach(() => harness.client.close());

function client() {
  harness = createTestClient(stub.url, { retry: { maxAttempts: 2 } });
  return harness.client;
}

async function failureOf(reply: StubReply, call?: () => Promise<unknown>): Promise<ChatGatewayError> {
  stub.handle(() => reply);
  const run = call ?? (() => client().conversations.create({ channelId: "25", user: { name: "Ana" } }));
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isChatGatewayError(error)) throw new Error(`expected a ChatGatewayError, got ${String(error)}`);
  return error;
}

const problemJson = { "content-type": "application/problem+json" };

describe("8x8 error bodies become one typed error", () => {
  it("GenericExceptionPayload: errors as an array of {code, message}", async () => {
    const error = await failureOf({
      status: 400,
      headers: problemJson,
      body: {
        message: "Invalid request.",
        errors: [{ code: "invalid_queue", message: "Queue ID 112 is invalid." }],
      },
    });
    expect(error).toBeInstanceOf(ChatGatewayError);
    expect(isBatonError(error)).toBe(true);
    expect(error.code).toBe("BATON_ERR_8X8_REQUEST_REJECTED");
    expect(error.httpStatus).toBe(400);
    expect(error.status).toBe(502);
    expect(error.details).toMatchObject({
      operation: "conversations.create",
      status: 400,
      providerMessage: "Invalid request.",
      fieldErrors: [{ code: "invalid_queue", message: "Queue ID 112 is invalid." }],
      attempts: 1,
    });
    expect(error.message).toBe("8x8 rejected the request. (conversations.create, HTTP 400)");
  });

  it("ForbiddenViolationProblem: errors as an array of strings", async () => {
    const error = await failureOf({
      status: 403,
      headers: problemJson,
      body: {
        message: "The tenant does not belong to customer.",
        errors: ["Header X-8x8-Tenant doesn't match tenant information for customerId=aaaa"],
      },
    });
    expect(error.httpStatus).toBe(403);
    expect(error.details.providerMessage).toBe("The tenant does not belong to customer.");
    expect(error.details.fieldErrors).toEqual([
      { message: "Header X-8x8-Tenant doesn't match tenant information for customerId=aaaa" },
    ]);
  });

  it("BadRequestProblem: errors as a single object, with referenceId", async () => {
    const message = "Invalid authorType=ghfgh, has to be one of user, bot, agent";
    const error = await failureOf(
      {
        status: 400,
        headers: problemJson,
        body: { message, errors: { code: "invalid_json_object", message }, referenceId: "98e9da1f69f06d90" },
      },
      () => client().messages.send("c1", { authorType: "user", text: "hi" }),
    );
    expect(error.details).toMatchObject({
      operation: "messages.send",
      status: 400,
      providerMessage: message,
      fieldErrors: [{ code: "invalid_json_object", message }],
      referenceId: "98e9da1f69f06d90",
    });
  });

  it("UnauthorizedProblem: 401 with referenceId", async () => {
    const error = await failureOf({
      status: 401,
      headers: problemJson,
      body: {
        message: "Access Denied",
        errors: [{ message: "Access Denied", code: "access_denied" }],
        referenceId: "dacd0dd252723a2",
      },
    });
    expect(error.code).toBe("BATON_ERR_8X8_REQUEST_REJECTED");
    expect(error.details).toMatchObject({
      status: 401,
      providerMessage: "Access Denied",
      fieldErrors: [{ code: "access_denied", message: "Access Denied" }],
      referenceId: "dacd0dd252723a2",
    });
  });

  it("ValidationExceptionPayload: validations carry the field (the submitted value is dropped)", async () => {
    const error = await failureOf({
      status: 400,
      body: {
        message: "Validation failed",
        errors: [],
        validations: [
          { field: "webHookId", value: "45", code: "invalid_webhook", message: "Unknown webhook." },
        ],
      },
    });
    expect(error.details.fieldErrors).toEqual([
      { field: "webHookId", code: "invalid_webhook", message: "Unknown webhook." },
    ]);
    expect(JSON.stringify(error)).not.toContain('"45"');
  });

  it("ConstraintViolationProblem: validations as strings", async () => {
    const error = await failureOf({
      status: 400,
      body: {
        message: "Constraint Violation",
        errors: ["name: May not be empty."],
        validations: ["name: May not be empty."],
      },
    });
    expect(error.details.fieldErrors.map((e) => e.message)).toEqual([
      "name: May not be empty.",
      "name: May not be empty.",
    ]);
  });

  it("an HTML page from a proxy gives a clean error with the page title", async () => {
    const error = await failureOf({
      status: 404,
      headers: { "content-type": "text/html" },
      body: "<html><head><title>404 Not Found</title></head><body><h1>nginx</h1></body></html>",
    });
    expect(error.code).toBe("BATON_ERR_8X8_REQUEST_REJECTED");
    expect(error.httpStatus).toBe(404);
    expect(error.details.providerMessage).toBe("404 Not Found");
    expect(error.details.fieldErrors).toEqual([]);
  });

  it("a 502 HTML page after retries is BATON_ERR_8X8_UNAVAILABLE with the last status", async () => {
    const error = await failureOf({
      status: 502,
      headers: { "content-type": "text/html; charset=utf-8" },
      body: "<!DOCTYPE html><html><title>502 Bad Gateway</title></html>",
    });
    expect(error.code).toBe("BATON_ERR_8X8_UNAVAILABLE");
    expect(error.details).toMatchObject({ status: 502, providerMessage: "502 Bad Gateway", attempts: 2 });
  });

  it("an empty error body still gives status and operation", async () => {
    const error = await failureOf({ status: 404 }, () => client().webhooks.get("nope"));
    expect(error.details).toEqual({ operation: "webhooks.get", status: 404, fieldErrors: [], attempts: 1 });
  });

  it("an unparsable success body is BATON_ERR_8X8_RESPONSE_INVALID and is not retried", async () => {
    const error = await failureOf({ status: 200, body: "<html>maintenance</html>" }, () =>
      client().webhooks.get("12"),
    );
    expect(error.code).toBe("BATON_ERR_8X8_RESPONSE_INVALID");
    expect(error.details).toMatchObject({ operation: "webhooks.get", status: 200, reason: "body" });
    expect(stub.requests).toHaveLength(1);
  });

  it("a success body of the wrong shape is BATON_ERR_8X8_RESPONSE_INVALID naming the field", async () => {
    const error = await failureOf({ status: 200, body: { name: "no id" } }, () =>
      client().webhooks.get("12"),
    );
    expect(error.code).toBe("BATON_ERR_8X8_RESPONSE_INVALID");
    expect(error.details.fieldErrors.map((e) => e.field)).toContain("id");
  });
});

describe("the API key never leaks", () => {
  const cases: [string, StubReply][] = [
    [
      "400 echoing the key",
      { status: 400, body: { message: `bad key ${testApiKey}`, errors: [testApiKey] } },
    ],
    ["401 echoing the key", { status: 401, body: { message: "Access Denied", referenceId: testApiKey } }],
    ["500 HTML echoing the key", { status: 500, body: `<title>oops ${testApiKey}</title>` }],
    ["503 plain text", { status: 503, body: `upstream said ${testApiKey}` }],
    ["network error", { destroy: true }],
  ];

  it.each(cases)("%s", async (_name, reply) => {
    const error = await failureOf(reply);
    const visible = [
      error.message,
      JSON.stringify(error),
      JSON.stringify(error.details),
      String(error.stack),
    ].join("\n");
    expect(visible).not.toContain(testApiKey);
  });
});
