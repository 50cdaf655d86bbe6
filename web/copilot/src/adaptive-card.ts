import { HostConfig } from "adaptivecards";
import { renderAdaptiveCard as renderCard } from "../../webchat/src/adaptive-card.ts";

/** Adaptive Card tiles: schema 1.5 or earlier, as in the reference product; the workspace's colours. */

const hostConfig = new HostConfig({
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  supportsInteractivity: true,
  spacing: { small: 4, default: 8, medium: 12, large: 16, extraLarge: 24, padding: 0 },
  separator: { lineThickness: 1, lineColor: "#dde1e6" },
  fontSizes: { small: 12, default: 14, medium: 16, large: 18, extraLarge: 22 },
  fontWeights: { lighter: 300, default: 400, bolder: 600 },
  containerStyles: {
    default: {
      backgroundColor: "#ffffff",
      foregroundColors: {
        default: { default: "#1d2430", subtle: "#5f6b7a" },
        accent: { default: "#1f4fa3", subtle: "#2f62c2" },
        attention: { default: "#b3261e", subtle: "#c5443d" },
        good: { default: "#1b6e35", subtle: "#2a8547" },
        warning: { default: "#8a5300", subtle: "#a66700" },
      },
    },
    emphasis: { backgroundColor: "#f1f3f6" },
  },
  actions: {
    maxActions: 6,
    spacing: "default",
    buttonSpacing: 8,
    showCard: { actionMode: "inline", inlineTopMargin: 12 },
    actionsOrientation: "horizontal",
    actionAlignment: "left",
  },
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
