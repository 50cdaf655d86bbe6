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
import { safeUrl } from "./links.ts";

/**
 * Adaptive Cards (target schema 1.3) rendered with Microsoft's `adaptivecards` renderer.
 *
 * Safety: card text comes from bots, i.e. untrusted. Markdown is switched off (the renderer then writes
 * TextBlocks as plain text; it would otherwise produce HTML), OpenUrl targets that are not http(s)/mailto/tel
 * are removed at parse time, and links open in a new tab with rel=noopener.
 */

let configured = false;

function configureRendererOnce(): void {
  if (configured) return;
  configured = true;
  // Declaring the handler without setting didProcess keeps markdown off (and silences the renderer's
  // "markdown processing isn't enabled" console warning).
  AdaptiveCard.onProcessMarkdown = (_text, result) => {
    result.didProcess = false;
  };
  GlobalSettings.allowMarkForTextHighlighting = false;
  GlobalSettings.setTabIndexAtCardRoot = false;
}

/** Colours and spacing in step with styles.css (the Copilot derives its tighter tiles from it). */
export const hostConfigJson = {
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  supportsInteractivity: true,
  spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 28, padding: 12 },
  separator: { lineThickness: 1, lineColor: "#dde1e6" },
  fontSizes: { small: 12, default: 15, medium: 17, large: 20, extraLarge: 24 },
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
        dark: { default: "#1d2430", subtle: "#5f6b7a" },
        light: { default: "#ffffff", subtle: "#f1f3f6" },
      },
    },
    emphasis: {
      backgroundColor: "#f1f3f6",
      foregroundColors: {
        default: { default: "#1d2430", subtle: "#5f6b7a" },
        accent: { default: "#1f4fa3", subtle: "#2f62c2" },
      },
    },
  },
  actions: {
    maxActions: 6,
    spacing: "default",
    buttonSpacing: 8,
    showCard: { actionMode: "inline", inlineTopMargin: 12 },
    actionsOrientation: "horizontal",
    actionAlignment: "left",
  },
  imageSizes: { small: 40, medium: 80, large: 160 },
  factSet: {
    title: {
      color: "default",
      size: "default",
      isSubtle: false,
      weight: "bolder",
      wrap: true,
      maxWidth: 150,
    },
    value: { color: "default", size: "default", isSubtle: false, weight: "default", wrap: true },
    spacing: 8,
  },
};

export const hostConfig = new HostConfig(hostConfigJson);

export interface CardHandlers {
  /** Action.Submit / Action.Execute: the inputs merged with the action's data, and the button's title. */
  readonly onSubmit: (title: string | undefined, data: Readonly<Record<string, unknown>>) => void;
  /** The page's URL, to resolve relative card links. */
  readonly baseUrl: string;
  /** The schema version cards are read as; default 1.3 (what 8x8 renders). The Copilot reads 1.5. */
  readonly version?: "1.3" | "1.5";
  /** Colours and spacing; default the web chat's. */
  readonly hostConfig?: HostConfig;
}

/** The rendered card, or undefined when the payload is not a card this renderer can show. */
export function renderAdaptiveCard(
  payload: Readonly<Record<string, unknown>>,
  handlers: CardHandlers,
): HTMLElement | undefined {
  configureRendererOnce();
  const card = new AdaptiveCard();
  card.hostConfig = handlers.hostConfig ?? hostConfig;
  card.onExecuteAction = (action: Action) => {
    if (action instanceof SubmitAction || action instanceof ExecuteAction) {
      handlers.onSubmit(action.title, toRecord(action.data));
    } else if (action instanceof OpenUrlAction) {
      const url = safeUrl(action.url, handlers.baseUrl);
      if (url) openInNewTab(url);
    }
  };
  const context = new SerializationContext(handlers.version === "1.5" ? Versions.v1_5 : Versions.v1_3);
  context.onParseAction = (action) => {
    if (action instanceof OpenUrlAction && !safeUrl(action.url, handlers.baseUrl)) action.url = undefined;
  };
  try {
    card.parse(payload, context);
    const element = card.render();
    return element ?? undefined;
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
export function openInNewTab(url: string): void {
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.target = "_blank";
  anchor.rel = "noopener noreferrer";
  anchor.click();
}
