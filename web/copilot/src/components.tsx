import { type CSSProperties, type ReactNode, useEffect, useId, useRef, useState } from "react";
import type { Citation } from "../../../src/protocol/copilot.ts";
import { copyText } from "./clipboard.ts";
import { useWorkspace } from "./context.ts";
import { type Translate, handoverStateLabel } from "./messages.ts";
import type { ConnectionStatus, ShownProblem } from "./workspace-state.ts";

/** A tile: a labelled region with a heading, placed on the grid by CSS variables (grid.ts). */
export function TileFrame(props: {
  readonly id: string;
  readonly title: string;
  readonly kind: string;
  readonly style: CSSProperties;
  readonly children: ReactNode;
}): ReactNode {
  const headingId = useId();
  return (
    <section
      className={`tile tile-${props.kind}`}
      style={props.style}
      aria-labelledby={headingId}
      data-testid={`tile-${props.id}`}
      data-tile-kind={props.kind}
    >
      <h2 className="tile-title" id={headingId}>
        {props.title}
      </h2>
      <div className="tile-body">{props.children}</div>
    </section>
  );
}

/** Copies `text`; says "Copied" (announced) for two seconds. */
export function CopyButton(props: { readonly text: string }): ReactNode {
  const { t } = useWorkspace();
  const [result, setResult] = useState<"idle" | "copied" | "failed">("idle");
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const show = (ok: boolean): void => {
    setResult(ok ? "copied" : "failed");
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setResult("idle"), 2000);
  };
  const onClick = (): void => {
    copyText(props.text).then(show, () => show(false));
  };
  return (
    <button
      type="button"
      className="button-small copy-button"
      data-testid="copy-button"
      data-state={result}
      onClick={onClick}
    >
      <span aria-live="polite">
        {result === "copied" ? t("copied") : result === "failed" ? t("copyFailed") : t("copy")}
      </span>
    </button>
  );
}

/** Numbered citations: title, source path and the excerpt the answer rests on. */
export function Citations(props: { readonly citations: readonly Citation[] }): ReactNode {
  const { t } = useWorkspace();
  if (props.citations.length === 0) return null;
  return (
    <div className="citations" data-testid="citations">
      <h3 className="citations-title">{t("citations")}</h3>
      <ol>
        {props.citations.map((c, i) => (
          <li key={`${c.source}|${i}`} data-testid="citation">
            <span className="citation-title">{c.title}</span>{" "}
            <code className="citation-source">{c.source}</code>
            <blockquote className="citation-excerpt">{c.excerpt}</blockquote>
          </li>
        ))}
      </ol>
    </div>
  );
}

export function Header(props: {
  readonly t: Translate;
  readonly sessionKey: string | undefined;
  readonly handoverState: string | undefined;
  readonly connection: ConnectionStatus;
  readonly onReconnectNow: () => void;
}): ReactNode {
  const { t, connection } = props;
  const status =
    connection.phase === "live"
      ? t("statusConnected")
      : connection.phase === "reconnecting"
        ? t("statusReconnecting")
        : t("statusConnecting");
  return (
    <header className="top">
      <h1>{t("heading")}</h1>
      <dl className="session-facts">
        <div>
          <dt>{t("sessionLabel")}</dt>
          <dd data-testid="session-key">{props.sessionKey ?? "…"}</dd>
        </div>
        <div>
          <dt>{t("handoverLabel")}</dt>
          <dd data-testid="handover-state" data-state={props.handoverState ?? ""}>
            {handoverStateLabel(t, props.handoverState)}
          </dd>
        </div>
      </dl>
      <p className="connection" role="status" data-testid="connection-status" data-state={connection.phase}>
        <span className="connection-dot" aria-hidden="true" />
        {status}
        {connection.phase === "reconnecting" ? (
          <button type="button" className="button-small" onClick={props.onReconnectNow}>
            {t("reconnectNow")}
          </button>
        ) : null}
      </p>
    </header>
  );
}

/** Every problem stays here until dismissed: server problems, errors, data for unknown tiles, layout. */
export function ProblemsPanel(props: {
  readonly t: Translate;
  readonly problems: readonly ShownProblem[];
  readonly onDismiss: (key: string) => void;
  readonly onDismissAll: () => void;
}): ReactNode {
  const { t, problems } = props;
  const latest = problems.at(-1);
  return (
    <>
      {/* Always in the page, so the first problem is announced even though the panel was hidden. */}
      <p className="sr-only" role="status" aria-live="polite">
        {latest ? (latest.local ? t(latest.local.key, latest.local.params) : latest.message) : ""}
      </p>
      <aside
        className="problems"
        data-testid="copilot-problems"
        aria-label={t("problemsHeading", { count: String(problems.length) })}
        hidden={problems.length === 0}
      >
        <div className="problems-head">
          <h2>{t("problemsHeading", { count: String(problems.length) })}</h2>
          {problems.length > 1 ? (
            <button type="button" className="button-small" onClick={props.onDismissAll}>
              {t("dismissAll")}
            </button>
          ) : null}
        </div>
        <ul>
          {problems.map((p) => (
            <li key={p.key} data-testid="copilot-problem" data-code={p.code} data-tile-id={p.tileId ?? ""}>
              <div className="problem-text">
                <code>{p.code}</code>
                {p.tileId !== undefined ? (
                  <span className="problem-tile">{t("problemTile", { tileId: p.tileId })}</span>
                ) : null}
                <span>{p.local ? t(p.local.key, p.local.params) : p.message}</span>
              </div>
              <button
                type="button"
                className="button-small"
                data-testid="problem-dismiss"
                onClick={() => props.onDismiss(p.key)}
              >
                {t("dismiss")}
              </button>
            </li>
          ))}
        </ul>
      </aside>
    </>
  );
}

/** Full-page message for a link the gateway refused (or that lacks its parameters): never a blank page. */
export function FullPageMessage(props: {
  readonly title: string;
  readonly body: string;
  readonly testId: string;
}): ReactNode {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <main className="full-page" data-testid={props.testId} role="alert">
      <h1 ref={ref} tabIndex={-1}>
        {props.title}
      </h1>
      <p>{props.body}</p>
    </main>
  );
}
