import { type ReactNode, type RefObject, useEffect, useMemo, useRef } from "react";
import { useWorkspace } from "../context.ts";
import { buildSrcdoc, hostDataMessage, htmlTileSandbox, iframePolicy } from "../tile-bridge.ts";

/**
 * Delivers `data` to a frame by postMessage: on each load of the frame and whenever `data` changes (a
 * `sendData` frame gives a new value), never by reloading it.
 */
function useFrameData(
  frame: RefObject<HTMLIFrameElement | null>,
  tileId: string,
  data: unknown,
  targetOrigin: string | undefined,
): () => void {
  const loaded = useRef(false);
  const latest = useRef<{ data: unknown; targetOrigin: string | undefined }>({ data, targetOrigin });
  latest.current = { data, targetOrigin };

  const post = (): void => {
    const target = frame.current?.contentWindow;
    const { data: current, targetOrigin: origin } = latest.current;
    if (!target || origin === undefined || current === undefined) return;
    target.postMessage(hostDataMessage(tileId, current), origin);
  };

  useEffect(() => {
    if (loaded.current) post();
    // `post` reads the latest values through a ref; only a new `data` value should trigger a delivery.
  }, [data]);

  return () => {
    loaded.current = true;
    post();
  };
}

/**
 * An HTML tile: the HTML in a sandboxed iframe (`allow-scripts` only: an opaque origin, no access to the
 * workspace, its cookies or storage) with the SDK injected. The srcdoc depends on the HTML alone, so new
 * data never reloads the frame.
 */
export function HtmlTile(props: {
  readonly tileId: string;
  readonly html: string;
  readonly data: unknown;
}): ReactNode {
  const { t, registerFrame } = useWorkspace();
  const frame = useRef<HTMLIFrameElement>(null);
  const srcdoc = useMemo(() => buildSrcdoc(props.html), [props.html]);
  const onLoad = useFrameData(frame, props.tileId, props.data, "*");

  useEffect(
    () =>
      registerFrame({
        tileId: props.tileId,
        window: () => frame.current?.contentWindow,
        expectedOrigin: "null",
      }),
    [registerFrame, props.tileId],
  );

  return (
    <iframe
      ref={frame}
      className="tile-frame"
      title={t("htmlTileFrame")}
      sandbox={htmlTileSandbox}
      srcDoc={srcdoc}
      referrerPolicy="no-referrer"
      onLoad={onLoad}
      data-testid={`html-frame-${props.tileId}`}
    />
  );
}

/** An iFrame tile: another application by URL, with the sandbox of `iframePolicy` (tile-bridge.ts). */
export function IframeTile(props: {
  readonly tileId: string;
  readonly url: string;
  readonly data: unknown;
}): ReactNode {
  const { t, registerFrame } = useWorkspace();
  const frame = useRef<HTMLIFrameElement>(null);
  const policy = useMemo(() => iframePolicy(props.url, location.href), [props.url]);
  const onLoad = useFrameData(frame, props.tileId, props.data, policy?.targetOrigin);

  useEffect(() => {
    if (policy === undefined) return undefined;
    return registerFrame({
      tileId: props.tileId,
      window: () => frame.current?.contentWindow,
      expectedOrigin: policy.expectedOrigin,
    });
  }, [registerFrame, props.tileId, policy]);

  if (policy === undefined) return <p className="quiet">{t("iframeUnsafeUrl")}</p>;
  return (
    <iframe
      ref={frame}
      className="tile-frame"
      title={t("iframeTileFrame")}
      src={policy.src}
      sandbox={policy.sandbox}
      referrerPolicy="no-referrer"
      onLoad={onLoad}
      data-testid={`iframe-frame-${props.tileId}`}
    />
  );
}
