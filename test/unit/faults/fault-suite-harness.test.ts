import { describe, expect, it } from "vitest";
import type { DirectionFigures } from "../../faults/delivery-ledger.ts";
import { diagnoseAgentMessage, diagnoseUserMessage } from "../../faults/evidence.ts";
import { directionTable } from "../../faults/report.ts";
import { readFaultSuiteSettings } from "../../faults/settings.ts";

/** The fault suite's settings, its table and its diagnoses (test/faults/), without running the suite. */

describe("the fault suite's settings", () => {
  it("defaults to 10,000 messages each way over 100 conversations", () => {
    expect(readFaultSuiteSettings({})).toMatchObject({
      messages: 10_000,
      users: 100,
      ratePerSecond: 40,
      finalWaitSeconds: 120,
      keepDatabase: false,
      gatewayLogLevel: "warn",
      postgresUrl: "postgres://postgres@127.0.0.1:5432/test",
    });
  });

  it("takes a quick run's counts from the environment, never more users than messages", () => {
    expect(
      readFaultSuiteSettings({
        BATON_FAULTS_MESSAGES: "60",
        BATON_FAULTS_USERS: "100",
        BATON_FAULTS_RATE: "10",
      }),
    ).toMatchObject({ messages: 60, users: 60, ratePerSecond: 10 });
  });

  it("refuses every bad variable at once, naming each and what it accepts", () => {
    expect(() =>
      readFaultSuiteSettings({
        BATON_FAULTS_MESSAGES: "lots",
        BATON_FAULTS_USERS: "0",
        BATON_FAULTS_LOG_LEVEL: "loud",
        BATON_FAULTS_KEEP_DATABASE: "yes",
        BATON_TEST_POSTGRES_URL: "mysql://x",
      }),
    ).toThrow(
      [
        "fault suite settings:",
        '  BATON_FAULTS_MESSAGES must be an integer from 30 to 1000000, got "lots"',
        '  BATON_FAULTS_USERS must be an integer from 1 to 1000, got "0"',
        '  BATON_FAULTS_LOG_LEVEL must be one of error, warn, info, debug, got "loud"',
        '  BATON_FAULTS_KEEP_DATABASE must be 1 (keep) or 0 (drop, the default), got "yes"',
        '  BATON_TEST_POSTGRES_URL must be a postgres:// URL, got "mysql://x"',
      ].join("\n"),
    );
  });
});

describe("the fault suite's table", () => {
  it("aligns labels left and values right, one row per figure, '-' where there is none", () => {
    const figures: DirectionFigures = {
      sent: 10_000,
      delivered: 9_998,
      lost: 2,
      duplicated: 0,
      outOfOrder: 0,
      unexpected: 0,
      lagP50Ms: 41,
      lagP99Ms: 12_345,
      lagMaxMs: null,
      throughputPerSecond: 38.5,
    };
    expect(directionTable("user → agent", figures)).toBe(
      [
        "user → agent",
        "  sent                10000",
        "  delivered            9998",
        "  lost                    2",
        "  duplicated              0",
        "  out of order            0",
        "  unexpected              0",
        "  lag p50 (ms)           41",
        "  lag p99 (ms)        12345",
        "  lag max (ms)            -",
        "  throughput (msg/s)   38.5",
      ].join("\n"),
    );
  });
});

describe("the fault suite's diagnosis of a lost message", () => {
  it("says where a user message stopped on its way to 8x8", () => {
    const stored = [{ seq: 8 }];
    const acknowledged = { seq: 8, firstSentAt: 1, ackedAt: 2, sends: 1, connection: 1 };
    expect(diagnoseUserMessage({ acknowledged: null, stored: [], outbox: [] })).toBe(
      "never stored by the gateway (the client still holds it unacknowledged)",
    );
    expect(diagnoseUserMessage({ acknowledged, stored, outbox: [] })).toBe(
      "stored (and acknowledged) but never queued for 8x8: no outbox item",
    );
    expect(
      diagnoseUserMessage({
        acknowledged,
        stored,
        outbox: [{ status: "pending", attempts: 3, last_error: "503" }],
      }),
    ).toBe("still pending in the outbox after 3 attempts");
    expect(
      diagnoseUserMessage({
        acknowledged,
        stored,
        outbox: [{ status: "done", attempts: 1, last_error: null }],
      }),
    ).toBe("the outbox completed it but 8x8 does not have it");
    expect(
      diagnoseUserMessage({
        acknowledged,
        stored,
        outbox: [{ status: "dead", attempts: 10, last_error: "BATON_ERR_8X8_UNAVAILABLE" }],
      }),
    ).toBe("the outbox gave up (dead after 10 attempts: BATON_ERR_8X8_UNAVAILABLE)");
  });

  it("says where an agent message stopped on its way to the user", () => {
    const none = {
      refusedBySimulator: null,
      stored: [],
      webhookEvents: [],
      simulatorGaveUpInConversation: 0,
    };
    expect(diagnoseAgentMessage({ ...none, refusedBySimulator: "409 no_agent" })).toBe(
      "the simulator refused the agent's send: 409 no_agent",
    );
    expect(diagnoseAgentMessage({ ...none, simulatorGaveUpInConversation: 2 })).toBe(
      "its webhook never reached the gateway (8x8 gave up retrying) and no catch-up fetched it",
    );
    expect(diagnoseAgentMessage(none)).toBe("its webhook never reached the gateway");
    expect(diagnoseAgentMessage({ ...none, webhookEvents: [{ status: "failed" }] })).toBe(
      "webhook accepted (event status failed) but the message was not stored",
    );
    expect(
      diagnoseAgentMessage({ ...none, webhookEvents: [{ status: "processed" }], stored: [{ seq: 3 }] }),
    ).toBe("stored by the gateway but never shown to the user");
  });
});
