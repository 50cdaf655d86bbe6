import type { ProviderCapabilities } from "../port.ts";

/**
 * What 8x8's Chat Gateway allows and needs, as documented at
 * https://developer.8x8.com/contactcenter/docs/chat-gateway-overview : at most 30 `additionalProperties` on the
 * user data and at most 200 `history` messages when a conversation is created. 8x8 says a TRANSFER means the
 * following agent `left` is not the end, but not which of the two comes first, and advises waiting a short
 * grace for a TRANSFER after a `left`; on a real close 8x8 sends `idle` right after `left`, which ends the wait
 * at once, so users normally do not wait the 10 s.
 */
export const eightByEightLimits: ProviderCapabilities = {
  maxCustomProperties: 30,
  maxTranscriptMessages: 200,
  agentLeftGraceSeconds: 10,
};
