import {
  type Action,
  AdaptiveCard,
  ExecuteAction,
  GlobalSettings,
  HostConfig,
  OpenUrlAction,
  SerializationContext,
  SubmitAction,
  Versions,
} from "adaptivecards";
import { safeUrl } from "../../webchat/src/links.ts";

/**
 * Adaptive Card tiles (schema 1.5 or earlier, as the reference product) rendered with Microsoft's
 * `adaptivecards` renderer, configured like the web chat's: markdown off (TextBlocks are plain text, the
 * renderer would otherwise produce HTML), OpenUrl targets that are not http(s)/mailto/tel removed at parse
 * time, links in a new tab with rel=noopener.
 */

let configured = false;

function configureRendererOnce(): void {
  if (configured) return;
  configured = true;
  AdaptiveCard.onProcessMarkdown = (_text, result) => {
    result.didProcess = false;
  };
  GlobalSettings.allowMarkForTextHighlighting = false;
  GlobalSettings.setTabIndexAtCardRoot = false;
}

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
 * the inputs merged with the action's data (what the postback carries).
 */
export function renderAdaptiveCard(
  payload: Readonly<Record<string, unknown>>,
  baseUrl: string,
  onSubmit: (data: Readonly<Record<string, unknown>>) => void,
): HTMLElement | undefined {
  configureRendererOnce();
  const card = new AdaptiveCard();
  card.hostConfig = hostConfig;
  card.onExecuteAction = (action: Action) => {
    if (action instanceof SubmitAction || action instanceof ExecuteAction) {
      onSubmit(toRecord(action.data));
    } else if (action instanceof OpenUrlAction) {
      const url = safeUrl(action.url, baseUrl);
      if (url) openInNewTab(url);
    }
  };
  const context = new SerializationContext(Versions.v1_5);
  context.onParseAction = (action) => {
    if (action instanceof OpenUrlAction && !safeUrl(action.url, baseUrl)) action.url = undefined;
  };
  try {
    card.parse(payload, context);
    return card.render() ?? undefined;
  } catch {
    return undefined;
  }
}

function toRecord(data: unknown): Readonly<Record<string, unknown>> {
  return typeof data === "object" && data !== null && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : data === undefined
      ? {}
      : { value: data };
}

/** A real anchor click, so the browser opens a tab (window.open with features may open a popup window). */
function openInNewTab(url: string): void {
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.target = "_blank";
  anchor.rel = "noopener noreferrer";
  anchor.click();
}
