/**
 * The one catalog of user-facing text Baton itself says: system messages to the user,
 * notices to the agent. English and German from the start; a flow or endpoint picks the locale.
 * Flows' own texts are written in the flow, not here.
 */
export const supportedLocales = ["en", "de"] as const;
export type Locale = (typeof supportedLocales)[number];

/** `{name}` placeholders are filled from params; a missing param leaves a sensible text (see `fallbacks`). */
const texts = {
  en: {
    "handover.connecting": "Connecting you to an agent…",
    "handover.queued": "You are in the queue{queueName}. An agent will be with you shortly.",
    "handover.agentJoined": "{agentName} has joined the conversation.",
    "handover.agentLeft": "The agent has left the conversation. You are back with the bot.",
    "handover.transferring": "You are being transferred to another agent…",
    "handover.cancelled": "You have left the queue.",
    "handover.timeout": "Sorry, no agent could take your request in time.",
    "handover.endedByProvider": "The request was closed before an agent could join.",
    "handover.closed": "You are back with the bot.",
    "handover.error": "Sorry, we could not reach an agent right now.",
    "handover.lost": "Sorry, the connection to the agent was lost.",
    "handover.cancelButton": "Cancel",
    "agent.userLeft": "The user has left the chat.",
    "agent.userReturned": "The user is back in the chat.",
    "agent.messageNotShown":
      "Your last message could not be shown to the customer. Please send it again, worded differently.",
    "agent.defaultName": "An agent",
    "copilot.link": "Agent Copilot for this conversation: {url}",
    "copilot.noSuggestion": "No suggestion yet.",
  },
  de: {
    "handover.connecting": "Sie werden mit einem Mitarbeiter verbunden…",
    "handover.queued": "Sie sind in der Warteschlange{queueName}. Gleich ist jemand für Sie da.",
    "handover.agentJoined": "{agentName} ist dem Gespräch beigetreten.",
    "handover.agentLeft": "Der Mitarbeiter hat das Gespräch verlassen. Sie schreiben wieder mit dem Bot.",
    "handover.transferring": "Sie werden an einen anderen Mitarbeiter weitergeleitet…",
    "handover.cancelled": "Sie haben die Warteschlange verlassen.",
    "handover.timeout": "Leider konnte Ihre Anfrage nicht rechtzeitig angenommen werden.",
    "handover.endedByProvider": "Die Anfrage wurde beendet, bevor ein Mitarbeiter sie annehmen konnte.",
    "handover.closed": "Sie schreiben wieder mit dem Bot.",
    "handover.error": "Leider können wir gerade keinen Mitarbeiter erreichen.",
    "handover.lost": "Leider ist die Verbindung zum Mitarbeiter abgebrochen.",
    "handover.cancelButton": "Abbrechen",
    "agent.userLeft": "Der Nutzer hat den Chat verlassen.",
    "agent.userReturned": "Der Nutzer ist zurück im Chat.",
    "agent.messageNotShown":
      "Ihre letzte Nachricht konnte dem Kunden nicht angezeigt werden. Bitte senden Sie sie noch einmal, anders formuliert.",
    "agent.defaultName": "Ein Mitarbeiter",
    "copilot.link": "Agent Copilot für dieses Gespräch: {url}",
    "copilot.noSuggestion": "Noch kein Vorschlag.",
  },
} as const satisfies Record<Locale, Record<string, string>>;

export type MessageKey = keyof (typeof texts)["en"];

/** Picks a supported locale from a BCP-47 tag (`de-AT` → `de`); English otherwise. */
export function resolveLocale(tag: string | undefined): Locale {
  const language = tag?.toLowerCase().split(/[-_]/)[0];
  return (supportedLocales as readonly string[]).includes(language ?? "") ? (language as Locale) : "en";
}

/**
 * The text for `key` in `locale`, with `{param}` placeholders filled. `queueName` is inserted as
 * ` "name"` so the sentence reads well with or without it; `agentName` falls back to "An agent".
 *
 * @example
 * translate("de", "handover.agentJoined", { agentName: "Anna" }) // "Anna ist dem Gespräch beigetreten."
 */
export function translate(
  locale: Locale,
  key: MessageKey,
  params: Readonly<Record<string, string | undefined>> = {},
): string {
  const template: string = texts[locale][key];
  return template.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = params[name];
    if (name === "queueName") return value ? ` "${value}"` : "";
    if (name === "agentName") return value ?? texts[locale]["agent.defaultName"];
    return value ?? "";
  });
}

/** Every key of a locale, for the test that keeps the languages complete. */
export function catalogKeys(locale: Locale): string[] {
  return Object.keys(texts[locale]);
}
