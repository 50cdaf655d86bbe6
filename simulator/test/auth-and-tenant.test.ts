import { afterEach, describe, expect, it } from "vitest";
import { createSimulator, type Simulator } from "../src/index.ts";
import { api } from "./support/gateway-client.ts";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const accessDenied = {
  message: "Access Denied",
  errors: [{ message: "Access Denied", code: "access_denied" }],
  referenceId: expect.any(String) as unknown,
};

describe("API key authentication", () => {
  it("answers 401 UnauthorizedProblem when x-api-key is missing", async () => {
    sim = await createSimulator();
    const result = await api(sim, "GET", "/webhooks", undefined, {});
    expect(result.status).toBe(401);
    expect(result.contentType).toBe("application/problem+json");
    expect(result.body).toEqual(accessDenied);
  });

  it("answers 401 UnauthorizedProblem when x-api-key is wrong", async () => {
    sim = await createSimulator({ apiKey: "sim_right" });
    const result = await api(sim, "GET", "/conversations", undefined, { "x-api-key": "sim_wrong" });
    expect(result.status).toBe(401);
    expect(result.body).toEqual(accessDenied);
  });

  it("accepts the key under any header case", async () => {
    sim = await createSimulator({ apiKey: "sim_right" });
    const result = await api(sim, "GET", "/webhooks", undefined, { "X-API-Key": "sim_right" });
    expect(result.status).toBe(200);
    expect(result.contentType).toBe("application/hal+json");
  });

  it("generates a sim_ key of 32 hex characters when none is given", async () => {
    sim = await createSimulator();
    expect(sim.apiKey).toMatch(/^sim_[0-9a-f]{32}$/);
  });
});

describe("tenant header", () => {
  it("answers 403 ForbiddenViolationProblem when X-8x8-Tenant names another tenant", async () => {
    sim = await createSimulator({ apiKey: "k", tenant: "acme", customerId: "cust-1" });
    const result = await api(sim, "GET", "/channels", undefined, {
      "x-api-key": "k",
      "X-8x8-Tenant": "other",
    });
    expect(result.status).toBe(403);
    expect(result.contentType).toBe("application/problem+json");
    expect(result.body).toEqual({
      message: "The tenant does not belong to customer.",
      errors: ["Header X-8x8-Tenant doesn't match tenant information for customerId=cust-1"],
    });
  });

  it("accepts the configured tenant and requests without the header", async () => {
    sim = await createSimulator({ apiKey: "k", tenant: "acme" });
    expect(
      (await api(sim, "GET", "/channels", undefined, { "x-api-key": "k", "X-8x8-Tenant": "acme" })).status,
    ).toBe(200);
    expect((await api(sim, "GET", "/channels", undefined, { "x-api-key": "k" })).status).toBe(200);
  });

  it("uses sim-tenant as the tenant id when none is configured", async () => {
    sim = await createSimulator();
    expect(sim.tenant).toBe("sim-tenant");
  });
});
