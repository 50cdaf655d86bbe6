/**
 * The Copilot workspace's message catalog: every string the page shows or announces, in English and German.
 * `de` is typed against `en`, so a missing translation fails `tsc`; placeholders are `{name}` and
 * test/page-logic.test.ts checks both languages use the same ones.
 */

const en = {
  pageTitle: "Agent Copilot",
  heading: "Agent Copilot",
  sessionLabel: "Session",
  handoverLabel: "Handover",
  handoverUnknown: "unknown",
  handoverRequested: "Requested",
  handoverQueued: "In the queue",
  handoverActive: "Agent connected",
  handoverTransferring: "Being transferred",
  handoverCompleted: "Completed",
  handoverCancelled: "Cancelled",
  handoverClosedByBot: "Closed by the bot",
  handoverAbandoned: "Customer left",
  handoverError: "Failed",
  statusConnecting: "Connecting…",
  statusConnected: "Live",
  statusReconnecting: "Reconnecting…",
  statusReconnectingIn: "Reconnecting in {seconds} s…",
  reconnectNow: "Reconnect now",
  linkInvalidTitle: "This link is not valid or has expired",
  linkInvalidBody:
    "Ask for a new Copilot link in the conversation, or check that the whole link was copied. ({code})",
  linkIncomplete: "The link is incomplete: it needs userId, sessionId and URLToken.",
  loading: "Loading the workspace…",
  workspaceLabel: "Copilot tiles",
  tileEmpty: "Nothing here yet.",
  tileWaiting: "Waiting for the copilot flow…",
  problemsHeading: "Problems ({count})",
  problemTile: "Tile “{tileId}”",
  dismiss: "Dismiss",
  dismissAll: "Dismiss all",
  copy: "Copy",
  copied: "Copied",
  copyFailed: "Copy failed",
  engine: "Engine: {engine}",
  citations: "Sources",
  transcriptEmpty: "No messages yet.",
  jumpToLatest: "New messages ↓",
  sourceUser: "Customer",
  sourceBot: "Bot",
  sourceAgent: "Agent",
  sourceSystem: "System",
  sentimentPositive: "Positive",
  sentimentNeutral: "Neutral",
  sentimentNegative: "Negative",
  sentimentScore: "Score {score}",
  sentimentBasisLastInput: "from the last message",
  sentimentBasisLast10: "from the last 10 messages",
  searchLabel: "Search the knowledge base",
  searchPlaceholder: "Ask a question…",
  search: "Search",
  searching: "Searching…",
  answerFor: "Answer for “{query}”",
  noAnswer: "No answer found.",
  identityImageAlt: "Customer picture",
  htmlTileFrame: "Custom tile content",
  iframeTileFrame: "Embedded application",
  iframeUnsafeUrl: "This tile's address is not an http(s) URL and is not shown.",
  cardUnavailable: "This card cannot be shown.",
  cardSent: "Sent",
  notConnected: "Not connected: the action was not sent. Try again when the workspace is live.",
  problemUnknownTile: "Data arrived for tile “{tileId}”, which is not in the grid.",
  problemNotDataTile: "Data arrived for tile “{tileId}”, which is not an HTML or iFrame tile.",
  problemBadFrame: "The server sent a message the workspace does not understand.",
  problemOutsideGrid: "Tile “{tileId}” does not fit the {columns}×{rows} grid and was moved inside it.",
  problemBadBackground: "The grid background “{value}” is not a colour and was ignored.",
  problemServerError: "{message}",
} as const;

export type MessageKey = keyof typeof en;
export type Catalog = Readonly<Record<MessageKey, string>>;

const de: Catalog = {
  pageTitle: "Agent Copilot",
  heading: "Agent Copilot",
  sessionLabel: "Sitzung",
  handoverLabel: "Übergabe",
  handoverUnknown: "unbekannt",
  handoverRequested: "Angefragt",
  handoverQueued: "In der Warteschlange",
  handoverActive: "Mitarbeiter verbunden",
  handoverTransferring: "Wird weitergeleitet",
  handoverCompleted: "Abgeschlossen",
  handoverCancelled: "Abgebrochen",
  handoverClosedByBot: "Vom Bot beendet",
  handoverAbandoned: "Kunde hat die Unterhaltung verlassen",
  handoverError: "Fehlgeschlagen",
  statusConnecting: "Verbindung wird hergestellt…",
  statusConnected: "Live",
  statusReconnecting: "Verbindung wird wiederhergestellt…",
  statusReconnectingIn: "Neuer Verbindungsversuch in {seconds} s…",
  reconnectNow: "Jetzt verbinden",
  linkInvalidTitle: "Dieser Link ist ungültig oder abgelaufen",
  linkInvalidBody:
    "Fordern Sie in der Unterhaltung einen neuen Copilot-Link an oder prüfen Sie, ob der ganze Link kopiert wurde. ({code})",
  linkIncomplete: "Der Link ist unvollständig: Er braucht userId, sessionId und URLToken.",
  loading: "Arbeitsbereich wird geladen…",
  workspaceLabel: "Copilot-Kacheln",
  tileEmpty: "Noch nichts da.",
  tileWaiting: "Warten auf den Copilot-Flow…",
  problemsHeading: "Probleme ({count})",
  problemTile: "Kachel „{tileId}“",
  dismiss: "Schließen",
  dismissAll: "Alle schließen",
  copy: "Kopieren",
  copied: "Kopiert",
  copyFailed: "Kopieren fehlgeschlagen",
  engine: "Engine: {engine}",
  citations: "Quellen",
  transcriptEmpty: "Noch keine Nachrichten.",
  jumpToLatest: "Neue Nachrichten ↓",
  sourceUser: "Kunde",
  sourceBot: "Bot",
  sourceAgent: "Mitarbeiter",
  sourceSystem: "System",
  sentimentPositive: "Positiv",
  sentimentNeutral: "Neutral",
  sentimentNegative: "Negativ",
  sentimentScore: "Wert {score}",
  sentimentBasisLastInput: "aus der letzten Nachricht",
  sentimentBasisLast10: "aus den letzten 10 Nachrichten",
  searchLabel: "Wissensdatenbank durchsuchen",
  searchPlaceholder: "Frage eingeben…",
  search: "Suchen",
  searching: "Suche läuft…",
  answerFor: "Antwort auf „{query}“",
  noAnswer: "Keine Antwort gefunden.",
  identityImageAlt: "Bild des Kunden",
  htmlTileFrame: "Eigener Kachelinhalt",
  iframeTileFrame: "Eingebettete Anwendung",
  iframeUnsafeUrl: "Die Adresse dieser Kachel ist keine http(s)-URL und wird nicht angezeigt.",
  cardUnavailable: "Diese Karte kann nicht angezeigt werden.",
  cardSent: "Gesendet",
  notConnected:
    "Keine Verbindung: Die Aktion wurde nicht gesendet. Versuchen Sie es erneut, sobald der Arbeitsbereich live ist.",
  problemUnknownTile: "Daten für die Kachel „{tileId}“, die nicht im Raster ist.",
  problemNotDataTile: "Daten für die Kachel „{tileId}“, die keine HTML- oder iFrame-Kachel ist.",
  problemBadFrame: "Der Server hat eine Nachricht gesendet, die der Arbeitsbereich nicht versteht.",
  problemOutsideGrid:
    "Die Kachel „{tileId}“ passt nicht in das {columns}×{rows}-Raster und wurde hineinverschoben.",
  problemBadBackground: "Der Rasterhintergrund „{value}“ ist keine Farbe und wurde ignoriert.",
  problemServerError: "{message}",
};

export type Locale = "en" | "de";

export const catalogs: Readonly<Record<Locale, Catalog>> = { en, de };

/** A translator bound to one locale: `t("answerFor", { query: "refund" })`. */
export type Translate = (key: MessageKey, params?: Readonly<Record<string, string>>) => string;

export function createTranslator(locale: Locale): Translate {
  const catalog = catalogs[locale];
  return (key, params) =>
    catalog[key].replace(/\{(\w+)\}/g, (whole, name: string) => params?.[name] ?? whole);
}

/**
 * The label of each handover state the gateway sends in `handoverState` (its lifecycle states). The page
 * shares only the wire types with the gateway, so the list is repeated here; test/unit/copilot checks it
 * against the gateway's own list.
 */
export const handoverStateKeys = {
  requested: "handoverRequested",
  queued: "handoverQueued",
  active: "handoverActive",
  transferring: "handoverTransferring",
  completed: "handoverCompleted",
  cancelled: "handoverCancelled",
  closed_by_bot: "handoverClosedByBot",
  abandoned: "handoverAbandoned",
  error: "handoverError",
} as const satisfies Readonly<Record<string, MessageKey>>;

export type HandoverStateName = keyof typeof handoverStateKeys;

function isHandoverStateName(state: string): state is HandoverStateName {
  return Object.hasOwn(handoverStateKeys, state);
}

/** The status line's text: the state's label, "unknown" before the first state, a newer state as sent. */
export function handoverStateLabel(t: Translate, state: string | undefined): string {
  if (state === undefined || state === "") return t("handoverUnknown");
  return isHandoverStateName(state) ? t(handoverStateKeys[state]) : state;
}
