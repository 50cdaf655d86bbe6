/**
 * The web chat page's message catalog: every string the page shows or announces,
 * in English and German. `de` is typed against `en`, so a missing translation fails `tsc`; placeholders are
 * `{name}` and test/messages.test.ts checks both languages use the same ones.
 */

const en = {
  pageTitle: "Baton chat",
  heading: "Chat",
  conversationLabel: "Conversation",
  composerLabel: "Message",
  composerPlaceholder: "Type a message…",
  send: "Send",
  attach: "Attach a file",
  you: "You",
  bot: "Bot",
  agentFallback: "Agent",
  system: "Notice",
  sending: "Sending…",
  notSent: "Not sent",
  retry: "Send again",
  quickRepliesLabel: "Suggested replies",
  typingAgent: "{name} is typing…",
  typingAgentAnonymous: "The agent is typing…",
  typingBot: "The bot is typing…",
  bannerQueued: "Waiting for an agent…",
  bannerQueueName: "Queue: {queue}",
  bannerActive: "You are chatting with {name}",
  bannerActiveAnonymous: "You are chatting with an agent",
  bannerTransferring: "Transferring you to another agent…",
  statusConnecting: "Connecting…",
  statusConnected: "Connected",
  statusReconnecting: "Reconnecting…",
  notConfigured: "This chat is not set up: the page needs a ?token= parameter or a baton-endpoint meta tag.",
  dismiss: "Dismiss",
  errorNotice: "Error {code}",
  fileTooLarge: "“{name}” is larger than {limit} and was not sent.",
  fileUnreadable: "“{name}” could not be read.",
  attachment: "Attachment",
  imageAlt: "Image: {name}",
  opensInNewTab: "(opens in a new tab)",
  cardSubmitted: "Sent the form",
  cardUnavailable: "This card cannot be shown.",
} as const;

export type MessageKey = keyof typeof en;
export type Catalog = Readonly<Record<MessageKey, string>>;

const de: Catalog = {
  pageTitle: "Baton-Chat",
  heading: "Chat",
  conversationLabel: "Unterhaltung",
  composerLabel: "Nachricht",
  composerPlaceholder: "Nachricht eingeben…",
  send: "Senden",
  attach: "Datei anhängen",
  you: "Sie",
  bot: "Bot",
  agentFallback: "Mitarbeiter",
  system: "Hinweis",
  sending: "Wird gesendet…",
  notSent: "Nicht gesendet",
  retry: "Erneut senden",
  quickRepliesLabel: "Antwortvorschläge",
  typingAgent: "{name} schreibt…",
  typingAgentAnonymous: "Der Mitarbeiter schreibt…",
  typingBot: "Der Bot schreibt…",
  bannerQueued: "Warten auf einen Mitarbeiter…",
  bannerQueueName: "Warteschlange: {queue}",
  bannerActive: "Sie chatten mit {name}",
  bannerActiveAnonymous: "Sie chatten mit einem Mitarbeiter",
  bannerTransferring: "Sie werden an einen anderen Mitarbeiter weitergeleitet…",
  statusConnecting: "Verbindung wird hergestellt…",
  statusConnected: "Verbunden",
  statusReconnecting: "Verbindung wird wiederhergestellt…",
  notConfigured:
    "Dieser Chat ist nicht eingerichtet: Die Seite braucht einen Parameter ?token= oder ein baton-endpoint-Meta-Tag.",
  dismiss: "Schließen",
  errorNotice: "Fehler {code}",
  fileTooLarge: "„{name}“ ist größer als {limit} und wurde nicht gesendet.",
  fileUnreadable: "„{name}“ konnte nicht gelesen werden.",
  attachment: "Anhang",
  imageAlt: "Bild: {name}",
  opensInNewTab: "(öffnet in einem neuen Tab)",
  cardSubmitted: "Formular gesendet",
  cardUnavailable: "Diese Karte kann nicht angezeigt werden.",
};

export type Locale = "en" | "de";

export const catalogs: Readonly<Record<Locale, Catalog>> = { en, de };

/** A translator bound to one locale: `t("typingAgent", { name: "Anna" })`. */
export type Translate = (key: MessageKey, params?: Readonly<Record<string, string>>) => string;

export function createTranslator(locale: Locale): Translate {
  const catalog = catalogs[locale];
  return (key, params) =>
    catalog[key].replace(/\{(\w+)\}/g, (whole, name: string) => params?.[name] ?? whole);
}
