import { type ReactNode, useLayoutEffect, useRef, useState } from "react";
import type { TranscriptLine } from "../../../../src/protocol/copilot.ts";
import { useWorkspace } from "../context.ts";
import type { MessageKey } from "../messages.ts";

const sourceLabel: Readonly<Record<TranscriptLine["source"], MessageKey>> = {
  user: "sourceUser",
  bot: "sourceBot",
  agent: "sourceAgent",
  system: "sourceSystem",
};

/** Within this many pixels of the bottom counts as "at the bottom" (keeps following new lines). */
const stickThresholdPx = 24;

/** Live transcript: follows new lines unless the agent scrolled up; then offers a jump to the latest. */
export function TranscriptTile(props: { readonly lines: readonly TranscriptLine[] }): ReactNode {
  const { t, locale } = useWorkspace();
  const list = useRef<HTMLOListElement>(null);
  const [following, setFollowing] = useState(true);
  const [unseen, setUnseen] = useState(false);
  const lastSeq = props.lines.at(-1)?.seq;

  useLayoutEffect(() => {
    const el = list.current;
    if (!el) return;
    if (following) el.scrollTop = el.scrollHeight;
    else setUnseen(true);
    // Only new lines move the view (deliberately not `following`: onScroll handles that).
  }, [lastSeq, props.lines.length]);

  const onScroll = (): void => {
    const el = list.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= stickThresholdPx;
    setFollowing(atBottom);
    if (atBottom) setUnseen(false);
  };

  const jump = (): void => {
    const el = list.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    setFollowing(true);
    setUnseen(false);
  };

  const time = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });
  return (
    <div className="transcript">
      <ol
        ref={list}
        className="transcript-lines"
        role="log"
        aria-live="polite"
        aria-relevant="additions"
        tabIndex={0}
        onScroll={onScroll}
        data-testid="transcript-lines"
      >
        {props.lines.length === 0 ? <li className="quiet">{t("transcriptEmpty")}</li> : null}
        {props.lines.map((line) => (
          <li key={line.seq} className={`line line-${line.source}`} data-source={line.source}>
            <span className="line-meta">
              <span className="line-source">
                {line.source === "agent" && line.agentName ? line.agentName : t(sourceLabel[line.source])}
              </span>
              <time dateTime={line.at}>{formatTime(time, line.at)}</time>
            </span>
            <span className="line-text">{line.text}</span>
          </li>
        ))}
      </ol>
      {unseen && !following ? (
        <button type="button" className="button-small jump-latest" onClick={jump}>
          {t("jumpToLatest")}
        </button>
      ) : null}
    </div>
  );
}

function formatTime(format: Intl.DateTimeFormat, at: string): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? "" : format.format(date);
}
