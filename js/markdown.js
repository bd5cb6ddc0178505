// Markdown → sanitised HTML for untrusted model output.
//
// Two layers, each safe on its own intent:
//  1. marked (GFM) with raw HTML disabled: every HTML token is rendered as
//     escaped text, images become plain links (nothing is fetched), and inline
//     tags never switch marked into its "raw block" mode.
//  2. DOMPurify with a strict allowlist, SANITIZE_NAMED_PROPS (anti-clobbering),
//     and a link policy: only http:, https:, mailto: and # hrefs survive; every
//     link opens in a new tab with rel="noopener noreferrer nofollow".

import { Marked } from "marked";
import createDOMPurify from "dompurify";

const ALLOWED_TAGS = [
  "p", "h1", "h2", "h3", "h4", "h5", "h6",
  "ul", "ol", "li",
  "a", "em", "strong", "del", "code", "pre",
  "blockquote", "hr", "br",
  "table", "thead", "tbody", "tr", "th", "td",
  "input", // GFM task-list checkboxes only; forced to disabled checkboxes below
];

const ALLOWED_ATTR = ["href", "title", "class", "align", "start", "type", "checked", "disabled"];

/** Which attribute may appear on which element (everything else is removed). */
const ATTR_ELEMENTS = {
  href: ["a"],
  title: ["a"],
  class: ["code"],
  align: ["th", "td"],
  start: ["ol"],
  type: ["input"],
  checked: ["input"],
  disabled: ["input"],
};

const SAFE_HREF = /^(?:(?:https?|mailto):|#)/i;
const LANGUAGE_CLASS = /^language-[A-Za-z0-9_+#.-]{1,40}$/;
const ALIGN = /^(?:left|center|right)$/;

/**
 * Whether an href is allowed. Browsers ignore ASCII whitespace and control
 * characters inside a URL scheme, so they are removed before checking.
 *
 * @param {string} href
 */
export function isSafeHref(href) {
  // eslint-disable-next-line no-control-regex
  const compact = href.replace(/[\u0000-\u0020\u007f-\u009f\u00a0\u1680\u180e\u2000-\u2029\u205f\u3000\ufeff]/g, "");
  return SAFE_HREF.test(compact);
}

/** @param {string} s */
function escapeHtml(s) {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * @param {Array<{type: string, raw?: string, text?: string, tokens?: any[]}> | undefined} tokens
 * @returns {string}
 */
function plainText(tokens) {
  if (!tokens) return "";
  return tokens.map((t) => (t.tokens ? plainText(t.tokens) : t.text ?? t.raw ?? "")).join("");
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  silent: true,
});

marked.use({
  tokenizer: {
    // Same match as marked's own inline tag rule, but without its side effects:
    // marked's version turns on "raw block" mode after <pre>/<script>/<code>,
    // which stops escaping the following text. Here a tag is only ever text.
    /** @param {string} src */
    tag(src) {
      if (src.charCodeAt(0) !== 60) return undefined;
      // @ts-ignore - `this` is marked's Tokenizer
      const m = this.rules.inline.tag.exec(src);
      if (!m) return undefined;
      // @ts-ignore
      const state = this.lexer.state;
      return { type: "html", raw: m[0], inLink: state.inLink, inRawBlock: false, block: false, text: m[0] };
    },
  },
  renderer: {
    // Raw HTML is shown, never interpreted.
    /** @param {{text: string, block?: boolean}} token */
    html({ text, block }) {
      if (!block) return escapeHtml(text);
      const body = escapeHtml(text.replace(/\n+$/, "")).replace(/\n/g, "<br>");
      return `<p>${body}</p>\n`;
    },
    // Images are never loaded: show a link to the image with its alt text.
    /** @param {{href: string, title?: string | null, text: string, tokens?: any[]}} token */
    image({ href, title, text, tokens }) {
      const alt = (tokens ? plainText(tokens) : text) || "";
      const label = alt ? `image: ${alt}` : `image: ${href}`;
      const t = title ? ` title="${escapeHtml(title)}"` : "";
      return `<a href="${escapeHtml(href || "")}"${t}>[${escapeHtml(label)}]</a>`;
    },
  },
});

/** @type {ReturnType<typeof createDOMPurify> | null} */
let purifier = null;
/** @type {Window | null} */
let purifierWindow = null;

const PURIFY_CONFIG = {
  ALLOWED_TAGS,
  ALLOWED_ATTR,
  // These values are not URLs; keep them out of the URI check.
  ADD_URI_SAFE_ATTR: ["align", "start", "type", "checked", "disabled"],
  ALLOWED_URI_REGEXP: SAFE_HREF,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  ALLOW_SELF_CLOSE_IN_ATTR: false,
  SAFE_FOR_XML: true,
  SANITIZE_DOM: true,
  SANITIZE_NAMED_PROPS: true,
  KEEP_CONTENT: true,
  WHOLE_DOCUMENT: false,
};

/**
 * @param {Element} node
 */
function enforcePolicy(node) {
  const tag = node.nodeName.toLowerCase();
  for (const { name } of Array.from(node.attributes)) {
    const allowedOn = /** @type {Record<string, string[]>} */ (ATTR_ELEMENTS)[name];
    if (!allowedOn || !allowedOn.includes(tag)) node.removeAttribute(name);
  }
  if (tag === "a") {
    const href = node.getAttribute("href");
    if (href !== null && !isSafeHref(href)) node.removeAttribute("href");
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  } else if (tag === "code") {
    const cls = node.getAttribute("class");
    if (cls !== null && !LANGUAGE_CLASS.test(cls)) node.removeAttribute("class");
  } else if (tag === "th" || tag === "td") {
    const align = node.getAttribute("align");
    if (align !== null && !ALIGN.test(align)) node.removeAttribute("align");
  } else if (tag === "ol") {
    const start = node.getAttribute("start");
    if (start !== null && !/^\d{1,9}$/.test(start)) node.removeAttribute("start");
  } else if (tag === "input") {
    node.setAttribute("type", "checkbox");
    node.setAttribute("disabled", "");
  }
}

/** The DOMPurify instance bound to the current window (created on first use). */
function getPurifier() {
  const win = /** @type {(Window & typeof globalThis) | undefined} */ (globalThis.window);
  if (!win) throw new Error("nbstream: renderMarkdown needs a DOM window");
  if (purifier && purifierWindow === win) return purifier;
  const p = createDOMPurify(win);
  p.addHook("afterSanitizeAttributes", (node) => {
    if (node.nodeType === 1) enforcePolicy(/** @type {Element} */ (node));
  });
  purifier = p;
  purifierWindow = win;
  return p;
}

/**
 * Markdown → unsanitised HTML (marked with raw HTML escaped). Internal.
 *
 * @param {string} src
 */
export function markdownToHtml(src) {
  return /** @type {string} */ (marked.parse(src));
}

/**
 * Sanitise an HTML string with the widget's policy (the second layer on its own).
 *
 * @param {string} html
 * @returns {string}
 */
export function sanitizeHtml(html) {
  return /** @type {string} */ (/** @type {unknown} */ (getPurifier().sanitize(html, PURIFY_CONFIG)));
}

/**
 * Render untrusted Markdown to a sanitised HTML string.
 *
 * @param {string} src
 * @returns {string}
 */
export function renderMarkdown(src) {
  return sanitizeHtml(markdownToHtml(src));
}

/**
 * Render untrusted Markdown to a sanitised DocumentFragment, ready to insert
 * (no second HTML parse of the sanitised output).
 *
 * @param {string} src
 * @returns {DocumentFragment}
 */
export function renderMarkdownFragment(src) {
  return /** @type {DocumentFragment} */ (
    /** @type {unknown} */ (getPurifier().sanitize(markdownToHtml(src), { ...PURIFY_CONFIG, RETURN_DOM_FRAGMENT: true }))
  );
}
