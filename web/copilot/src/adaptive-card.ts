import { HostConfig } from "adaptivecards";
import { hostConfigJson, renderAdaptiveCard as renderCard } from "../../webchat/src/adaptive-card.ts";

/** Adaptive Card tiles: schema 1.5 or earlier, as in Cognigy.AI's Agent Copilot, so cards port over; the workspace's colours. */

/** The web chat's colours, with the tighter spacing and type of a tile. */
const hostConfig = new HostConfig({
  ...hostConfigJson,
  spacing: { small: 4, default: 8, medium: 12, large: 16, extraLarge: 24, padding: 0 },
  fontSizes: { small: 12, default: 14, medium: 16, large: 18, extraLarge: 22 },
});

/**
 * The rendered card, or undefined when the payload is not a card this renderer can show. `onSubmit` gets
 * the inputs merged with the action's data (what the postback carries). The web chat's renderer does the
 * work (same safety rules), read as schema 1.5 with the workspace's colours.
 */
export function renderAdaptiveCard(
  payload: Readonly<Record<string, unknown>>,
  baseUrl: string,
  onSubmit: (data: Readonly<Record<string, unknown>>) => void,
): HTMLElement | undefined {
  return renderCard(payload, {
    baseUrl,
    version: "1.5",
    hostConfig,
    onSubmit: (_title, data) => onSubmit(data),
  });
}
