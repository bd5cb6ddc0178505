// The parts of a reply beyond text and tool calls, in the DOM: thinking (collapsed in a
// <details>), notes (a pause the kernel continued, a block type it does not know) and the
// cited sources listed under the answer. Used by parts_view.js (the stream view and the
// expanded panel rows). Everything here came from the API, i.e. from the model or a web
// page: it is only ever written as text, and a link's href only when it is http(s).

import { make, setAttr, setText } from "./dom.js";
import { safeUrl } from "./parts.js";

/**
 * @typedef {import("./parts.js").ThinkingPart} ThinkingPart
 * @typedef {import("./parts.js").NotePart} NotePart
 * @typedef {import("./parts.js").Source} Source
 * @typedef {import("./parts.js").Link} Link
 */

/**
 * The summary of a thinking part: what the reader sees while it is collapsed. Pure.
 *
 * @param {ThinkingPart} part
 */
export function thinkingLabel(part) {
  const what = part.redacted ? "thinking (redacted)" : "thinking";
  if (!part.done) return `${what}…`;
  if (part.redacted) return "thought (redacted by the API)";
  return part.text ? "thought" : "thought (the API did not show the text)";
}

/**
 * A link to an http(s) URL that opens in a new tab, or plain text without one.
 *
 * @param {Document} doc
 * @param {string} title
 * @param {string | null} url
 */
export function makeLink(doc, title, url) {
  const href = safeUrl(url);
  if (!href) return make(doc, "span", "nbstream-link-text", title || "source");
  const a = /** @type {HTMLAnchorElement} */ (make(doc, "a", "", title || href));
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer nofollow";
  return a;
}

/** @param {Document} doc */
export function createThinking(doc) {
  const el = /** @type {HTMLDetailsElement} */ (make(doc, "details", "nbstream-thinking"));
  const summary = make(doc, "summary", "nbstream-thinking-label");
  const body = make(doc, "div", "nbstream-thinking-text");
  el.append(summary, body);
  el.open = false; // collapsed by default; afterwards the reader's choice stands
  return {
    el,
    /** @param {ThinkingPart} part */
    draw(part) {
      setAttr(el, "data-done", part.done ? "true" : "false");
      setText(summary, thinkingLabel(part));
      setText(body, part.text);
    },
  };
}

/** @param {Document} doc */
export function createNote(doc) {
  const el = make(doc, "div", "nbstream-note");
  el.setAttribute("role", "note");
  return {
    el,
    /** @param {NotePart} part */
    draw(part) {
      setAttr(el, "data-kind", part.kind);
      setText(el, part.text);
    },
  };
}

/** @param {Document} doc */
export function createSources(doc) {
  const el = make(doc, "div", "nbstream-sources");
  el.setAttribute("role", "group");
  el.setAttribute("aria-label", "sources");
  const title = make(doc, "div", "nbstream-sources-title", "Sources");
  const list = make(doc, "ol", "");
  el.append(title, list);
  let shown = 0;
  return {
    el,
    /** @param {Source[]} sources  only ever grows during a call; a new list redraws all */
    draw(sources) {
      if (sources.length < shown) {
        list.replaceChildren();
        shown = 0;
      }
      for (const s of sources.slice(shown)) {
        const li = make(doc, "li", "");
        li.setAttribute("value", String(s.n));
        li.append(makeLink(doc, s.title, s.url));
        if (s.location) li.append(" ", make(doc, "span", "nbstream-source-location", s.location));
        if (s.cited_text) li.append(" ", make(doc, "q", "nbstream-cited", s.cited_text));
        list.append(li);
      }
      shown = sources.length;
      el.hidden = shown === 0;
    },
  };
}

/**
 * A server tool's results as a list of links (search results, a fetched page).
 *
 * @param {Document} doc
 * @param {HTMLElement} list   the <ul> to fill
 * @param {Link[]} links
 */
export function drawLinks(doc, list, links) {
  list.replaceChildren(...links.map((l) => {
    const li = make(doc, "li", "");
    li.append(makeLink(doc, l.title, l.url));
    return li;
  }));
  list.hidden = links.length === 0;
}
