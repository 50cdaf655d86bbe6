import "./styles.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { FullPageMessage } from "./components.tsx";
import { createTranslator } from "./messages.ts";
import { parseLinkParams, resolveLocale } from "./page-config.ts";

/**
 * Boot: language and link parameters from the page URL, then the workspace. A link without its parameters
 * gets a full-page message, never a blank page.
 */
function boot(): void {
  const locale = resolveLocale(
    location.search,
    navigator.languages?.length ? navigator.languages : [navigator.language],
  );
  const t = createTranslator(locale);
  document.documentElement.lang = locale;
  document.title = t("pageTitle");
  const container = document.getElementById("root");
  if (!container) return;
  const link = parseLinkParams(location.search);
  createRoot(container).render(
    <StrictMode>
      {link.ok ? (
        <App t={t} locale={locale} link={link.params} />
      ) : (
        <FullPageMessage testId="link-invalid" title={t("linkInvalidTitle")} body={t("linkIncomplete")} />
      )}
    </StrictMode>,
  );
}

boot();
