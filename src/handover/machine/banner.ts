import type { HandoverBanner } from "../../protocol/messages.ts";
import type { HandoverMachineState } from "./types.ts";

/**
 * The banner a user's client shows for a handover in this state: derived, never stored, so a client that
 * reconnects gets the same banner the live `user.banner` effects last showed.
 */
export function bannerOf(state: HandoverMachineState): HandoverBanner {
  switch (state.state) {
    case "requested":
    case "queued": {
      const cancelLabel = state.request.cancelButtonText?.trim();
      return {
        state: "queued",
        ...(state.queue?.name !== undefined ? { queueName: state.queue.name } : {}),
        ...(cancelLabel !== undefined && cancelLabel !== "" ? { cancelLabel } : {}),
      };
    }
    case "active":
      return { state: "active", ...(state.agent?.name !== undefined ? { agentName: state.agent.name } : {}) };
    case "transferring":
      return { state: "transferring" };
    case "completed":
    case "cancelled":
    case "closed_by_bot":
    case "abandoned":
    case "error":
      return { state: "none" };
  }
}
