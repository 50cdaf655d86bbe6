import { afterEach, beforeEach } from "vitest";
import { createSimulator, type Simulator, type SimulatorOptions } from "../../src/index.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.ts";

/**
 * Gives every test of the file its own simulator and webhook receiver, closed after the test.
 *
 * @example
 * let sim: Simulator;
 * let receiver: WebhookReceiver;
 * useFreshSimulator((fresh) => ({ sim, receiver } = fresh));
 */
export function useFreshSimulator(
  assign: (fresh: { sim: Simulator; receiver: WebhookReceiver }) => void,
  options: SimulatorOptions = {},
): void {
  let opened: { sim: Simulator; receiver: WebhookReceiver } | undefined;
  beforeEach(async () => {
    opened = { sim: await createSimulator(options), receiver: await startWebhookReceiver() };
    assign(opened);
  });
  afterEach(async () => {
    await opened?.sim.close();
    await opened?.receiver.close();
    opened = undefined;
  });
}
