/**
 * Renders docs/handover-lifecycle.md from the derived transition table (table.ts). A unit test compares the
 * committed file with this output, so a change to the machine that is not re-rendered fails the build.
 */
import type { FlowHandoverStatus, HandoverEndReason, HandoverState } from "../types.ts";
import { terminalHandoverStates } from "../types.ts";
import type { LifecycleRow, LifecycleSituation } from "./table.ts";
import { lifecycleRows, lifecycleSituations, startRows, tablePolicy, tableRequest } from "./table.ts";
import { HANDOVER_CANCEL_PAYLOAD } from "./types.ts";

/** What each state means. A Record, so a new state without a description does not compile. */
export const handoverStateDescriptions: Readonly<Record<HandoverState, string>> = {
  requested: "The flow asked for an agent; the provider conversation is being created. The flow is paused.",
  queued: "The provider put the request in a queue; the user waits (and may cancel).",
  active: "An agent holds the conversation; messages and typing are relayed both ways.",
  transferring:
    "The agent moved the conversation to another queue; the handover stays open until a new agent joins.",
  completed: "The agent finished (left without a transfer, or the conversation went idle after an agent).",
  cancelled:
    "The request was withdrawn before an agent joined: by the user, by maxQueueWait, or by the provider.",
  closed_by_bot: "The bot ended the handover (closeHandover); a later agent resolve is ignored.",
  abandoned: "The provider reports that the user left.",
  error: "The request failed, or the channel/provider cannot hand over.",
};

/** What the flow reads in `input.handover.status`. */
export const flowStatusDescriptions: Readonly<Record<FlowHandoverStatus, string>> = {
  queue:
    "Event while the handover runs: the request entered a queue (only with sendQueueEvent). `queue` is set.",
  active:
    "Event while the handover runs: an agent joined (only with sendActiveEvent), again after a transfer. `agent` is set.",
  inactivity:
    "Event while the handover runs: the inactivity timer (setHandoverInactivity) expired; `inactivityCount` counts expiries since the user last wrote.",
  completed:
    "Ended: the agent finished, or the bot closed the handover (`reason: closed`). Flow continues per onResolve (closed: below the closeHandover node).",
  cancelled:
    "Ended before an agent joined (`reason` says why), or the user left (`reason: user_left`). Flow continues below the node.",
  error:
    "Ended: `error.reason` is `error` (the provider call failed) or `unsupported`. Flow continues below the node.",
};

export const endReasonDescriptions: Readonly<Record<HandoverEndReason, string>> = {
  user: "`cancelled`: the user cancelled (cancel intent, cancel button or its text, the web chat's cancel).",
  timeout:
    "`cancelled`: maxQueueWait passed without an agent; the request was withdrawn — offer another queue or a callback.",
  provider:
    "`cancelled`: the contact center ended the request before an agent joined (conversation went idle).",
  user_left: "`cancelled` (state `abandoned`): the provider reports that the user left.",
  closed: "`completed` (state `closed_by_bot`): the bot closed the handover.",
  error: "`error`: the provider call failed after retries.",
  rejected:
    "`error`: the provider refused a call of the open handover for good (its conversation is gone, access refused); the user is told the connection was lost.",
  unsupported: "`error`: the channel cannot hand over, or no provider is configured.",
};

export function renderLifecycleMarkdown(): string {
  const situations = lifecycleSituations();
  const rows = lifecycleRows();
  const starts = startRows();
  const open = situations.filter((s) => !isTerminal(s.state));
  const terminal = situations.filter((s) => isTerminal(s.state));
  const terminalAllIgnored = terminal.every((s) => rowsOf(rows, s).every((row) => row.ignored));
  const lines: string[] = [
    "# Handover lifecycle",
    "",
    "<!-- Generated from src/handover/machine/ by test/unit/handover/lifecycle-docs-current.test.ts.",
    "     Do not edit: change the machine, then run `npx vitest run test/unit/handover -u`. -->",
    "",
    "The handover state machine (`src/handover/machine/transition.ts`) is pure: `transition(state, event)`",
    "returns the next state and the effects the handover service executes. Everything below is derived by",
    "running it, with a request that switches every option on (accepted message repeated, cancel intent",
    "and button, queue/active/resolve events, maxQueueWait) and an armed inactivity timer.",
    "",
    "## States",
    "",
    "| State | Meaning |",
    "|---|---|",
    ...Object.entries(handoverStateDescriptions).map(([state, text]) => `| \`${state}\` | ${text} |`),
    "",
    "## Diagram",
    "",
    "```mermaid",
    "stateDiagram-v2",
    "  [*] --> requested",
    ...mermaidEdges(rows),
    ...terminalHandoverStates.map((state) => `  ${state} --> [*]`),
    "```",
    "",
    "## What the flow sees",
    "",
    "`input.handover` is `{status, handoverId, providerId, reason?, error?, inactivityCount?, queue?, agent?}`.",
    "",
    "| `status` | When |",
    "|---|---|",
    ...Object.entries(flowStatusDescriptions).map(([status, text]) => `| \`${status}\` | ${text} |`),
    "",
    "| `reason` | Meaning |",
    "|---|---|",
    ...Object.entries(endReasonDescriptions).map(([reason, text]) => `| \`${reason}\` | ${text} |`),
    "",
    "Every handover ends with exactly one `flow.resume`. `resumeAt`: `belowNode` (below the handoverToAgent",
    "node), `entrypoint` (the current entrypoint, onResolve `entrypoint`), `current` (the flow is running the",
    "closeHandover node that asked, and goes on below it). `trigger`: `now` (the flow runs at once with",
    "`input.handover`), or `nextUserMessage` (completed without sendResolveEvent: the position moves, the",
    "flow runs when the user next writes). The endings, as derived:",
    "",
    "| Ending | Caused by | `status` / `reason` | `resumeAt` | `trigger` |",
    "|---|---|---|---|---|",
    ...endings([...starts, ...rows]),
    "",
    "With `sendResolveEvent: false` a completion resumes with `trigger: nextUserMessage`; with",
    `\`onResolve: entrypoint\` it resumes at \`entrypoint\` (the table's request uses \`${tableRequest.onResolve}\`).`,
    "",
    "## Rules worth knowing",
    "",
    `- An agent's \`left\` is held for the provider's agent-left grace (\`agentLeftGraceSeconds\` in its`,
    `  capabilities; 8x8 declares **${tablePolicy.agentLeftGraceSeconds} s**, as in this table): 8x8 does not say whether TRANSFER`,
    "  comes before or after the agent's `left`. TRANSFER, QUEUED or a new agent inside the grace make it a",
    "  transfer; the grace timer or an `idle` conversation make it the end (a grace of 0 ends it at the `left`).",
    "  User messages written meanwhile are",
    "  held (posting to an ended 8x8 conversation would open a new interaction) and passed on if it is a transfer.",
    "- Cancelling works only while waiting (`requested`, `queued`): the cancel intent, the cancel button (payload",
    `  \`${HANDOVER_CANCEL_PAYLOAD}\`, or its label typed as text), or the web chat's cancel. In \`active\` and`,
    "  `transferring` a cancel keyword is an ordinary message for the agent.",
    "- User messages while the handover is open go to the provider, never to the flow; empty ones go nowhere.",
    "  While waiting, repeatAcceptedMessage answers each with the accepted message again.",
    "- Inactivity (setHandoverInactivity) can be armed while `queued` or `active`; it keeps running through a",
    "  transfer. Each expiry raises `inactivityCount` and re-arms; each user message resets the count to 0.",
    "- The agent is told when the user's last connection closes and when one comes back, once per change.",
    "- Timer fires that are not armed, or earlier than the armed due time (re-armed since), are ignored.",
    "",
    "## Transitions",
    "",
    "`·` in the next-state column: the state does not change. Ignored events change nothing and only log why.",
    "",
    "### start",
    "",
    "| Call | State | Effects | Why |",
    "|---|---|---|---|",
    ...starts.map(
      (row) =>
        `| \`${row.event}\` | **${row.to}** | ${row.effects.map((e) => `\`${e}\``).join(", ")} | ${row.note ?? ""} |`,
    ),
    "",
  ];
  for (const situation of terminalAllIgnored ? open : situations) {
    lines.push(`### ${situation.title}`, "", "| Event | Next | Effects | Why |", "|---|---|---|---|");
    for (const row of rowsOf(rows, situation)) {
      const next = row.to === row.from ? "·" : `**${row.to}**`;
      const effects = row.ignored ? "ignored" : row.effects.map((effect) => `\`${effect}\``).join(", ");
      lines.push(`| ${row.event} | ${next} | ${effects === "" ? "—" : effects} | ${row.note ?? ""} |`);
    }
    lines.push("");
  }
  if (terminalAllIgnored) {
    lines.push(
      `### ${terminalHandoverStates.join(", ")}`,
      "",
      "Terminal: every event is ignored (logged). A second handover in the same session is a new machine.",
      "",
    );
  }
  return lines.join("\n");
}

function isTerminal(state: HandoverState): boolean {
  return (terminalHandoverStates as readonly HandoverState[]).includes(state);
}

function rowsOf(rows: readonly LifecycleRow[], situation: LifecycleSituation): LifecycleRow[] {
  return rows.filter((row) => row.situation === situation.id);
}

function eventType(label: string): string {
  return label.split(/ \(|,/u)[0]!;
}

function mermaidEdges(rows: readonly LifecycleRow[]): string[] {
  const edges = new Map<string, Set<string>>();
  for (const row of rows) {
    if (row.to === row.from) continue;
    const key = `${row.from} --> ${row.to}`;
    const labels = edges.get(key) ?? new Set<string>();
    labels.add(eventType(row.event));
    edges.set(key, labels);
  }
  return [...edges].map(([edge, labels]) => `  ${edge} : ${[...labels].join(", ")}`);
}

function endings(rows: readonly LifecycleRow[]): string[] {
  const seen = new Map<string, { causes: Set<string>; line: (causes: string) => string }>();
  for (const row of rows) {
    if (row.resume === undefined) continue;
    const { input, resumeAt, trigger } = row.resume;
    const outcome = [input.status, input.reason].filter((part) => part !== undefined).join(" / ");
    const key = `${row.to}|${outcome}|${resumeAt}|${trigger}`;
    const entry = seen.get(key) ?? {
      causes: new Set<string>(),
      line: (causes: string) =>
        `| \`${row.to}\` | ${causes} | \`${outcome}\` | \`${resumeAt}\` | \`${trigger}\` |`,
    };
    entry.causes.add(eventType(row.event));
    seen.set(key, entry);
  }
  return [...seen.values()].map(({ causes, line }) => line([...causes].join(", ")));
}
