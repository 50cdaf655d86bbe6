import type { ReactNode } from "react";
import type { Citation, SentimentLabel, TileContent } from "../../../../src/protocol/copilot.ts";
import { safeUrl } from "../../../webchat/src/links.ts";
import { Citations, CopyButton } from "../components.tsx";
import { useWorkspace } from "../context.ts";
import type { MessageKey } from "../messages.ts";

const sentimentKey: Readonly<Record<SentimentLabel, MessageKey>> = {
  positive: "sentimentPositive",
  neutral: "sentimentNeutral",
  negative: "sentimentNegative",
};

/** Label with its colour, a score bar from -1 to 1 and what it was computed with. */
export function SentimentTile(props: {
  readonly content: Extract<TileContent, { kind: "sentiment" }>;
}): ReactNode {
  const { t } = useWorkspace();
  const { label, basis, engine } = props.content;
  const score = Math.max(-1, Math.min(1, Number.isFinite(props.content.score) ? props.content.score : 0));
  const known = label in sentimentKey;
  return (
    <div
      className={`sentiment sentiment-${known ? label : "neutral"}`}
      data-testid="sentiment"
      data-label={label}
    >
      <p className="sentiment-label">{known ? t(sentimentKey[label]) : label}</p>
      <div
        className="score-bar"
        role="meter"
        aria-valuemin={-1}
        aria-valuemax={1}
        aria-valuenow={score}
        aria-label={t("sentimentScore", { score: score.toFixed(2) })}
      >
        <span className="score-marker" style={{ left: `${((score + 1) / 2) * 100}%` }} />
      </div>
      <p className="meta">
        {t("sentimentScore", { score: score.toFixed(2) })} ·{" "}
        {basis === "last10" ? t("sentimentBasisLast10") : t("sentimentBasisLastInput")} ·{" "}
        {t("engine", { engine })}
      </p>
    </div>
  );
}

/** A suggestion: text, a copy button when the tile is copyable, and its citations. */
export function NextActionTile(props: {
  readonly text: string;
  readonly citations: readonly Citation[];
  readonly copyable: boolean;
}): ReactNode {
  return (
    <div className="suggestion" data-testid="next-action">
      <p className="suggestion-text">{props.text}</p>
      {props.copyable && props.text !== "" ? <CopyButton text={props.text} /> : null}
      <Citations citations={props.citations} />
    </div>
  );
}

export function SummaryTile(props: {
  readonly text: string;
  readonly engine: string;
  readonly copyable: boolean;
}): ReactNode {
  const { t } = useWorkspace();
  return (
    <div className="suggestion" data-testid="summary">
      <p className="suggestion-text">{props.text}</p>
      <div className="row">
        {props.copyable && props.text !== "" ? <CopyButton text={props.text} /> : null}
        <span className="meta">{t("engine", { engine: props.engine })}</span>
      </div>
    </div>
  );
}

/** A profile card: fields as a description list, an optional picture (http(s) only, no referrer). */
export function IdentityTile(props: {
  readonly content: Extract<TileContent, { kind: "identity" }>;
}): ReactNode {
  const { t } = useWorkspace();
  const { fields, layout } = props.content;
  const image = safeUrl(props.content.imageUrl, location.href, "image");
  return (
    <div
      className={`identity identity-${layout === "vertical" ? "vertical" : "horizontal"}`}
      data-testid="identity"
    >
      {image !== undefined ? (
        <img
          className="identity-image"
          src={image}
          alt={t("identityImageAlt")}
          referrerPolicy="no-referrer"
        />
      ) : null}
      <dl className="identity-fields">
        {fields.map((f, i) => (
          <div key={`${f.label}|${i}`}>
            <dt>{f.label}</dt>
            <dd>{f.value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
