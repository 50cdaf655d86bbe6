/**
 * A provider written only for tests: an in-memory contact center and a `type: "test"` provider that talks to
 * it over HTTP and receives its signed webhook deliveries. docs/providers.md uses it as the worked example.
 */
export {
  startTestContactCenter,
  type CenterCall,
  type CenterConversation,
  type CenterFile,
  type CenterMessage,
  type EmittedEvent,
  type TestContactCenter,
  type TestContactCenterOptions,
  type TestOperation,
} from "./contact-center.ts";
export type { DeliveryRecord } from "./event-delivery.ts";
export {
  createTestProvider,
  testProvider,
  testProviderWebhookPath,
  type TestProvider,
  type TestProviderConfig,
} from "./provider.ts";
export { testProviderCapabilities } from "./wire.ts";
