// One tool call of a transcript as a card: its name, status, duration, the
// arguments (pretty-printed JSON once complete) and the result, collapsed in a
// <details>. Everything here comes from the kernel, i.e. from the model or the
// tool: it is only ever written as text, never parsed as HTML.

import { make, makeButton, setAttr, setHidden, setText } from "./dom.js";
import { formatSeconds, toolStatusLabel } from "./format.js";
import { drawLinks } from "./content_parts.js";

/** @typedef {import("./parts.js").ToolPart} ToolPart */

/**
 * JSON re-indented like `JSON.stringify(value, null, 2)`, but token by token: numbers,
 * escapes and key order stay exactly as the model wrote them. `src` must be valid JSON.
 *
 * @param {string} src
 */
export function prettyJson(src) {
  let out = "";
  let depth = 0;
  const pad = () => "\n" + "  ".repeat(depth);
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '"') {
      // Copy the whole string literal.
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === "\\" ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j;
    } else if (c === " " || c === "\n" || c === "\t" || c === "\r") {
      // whitespace between tokens is replaced by the indentation
    } else if (c === "{" || c === "[") {
      let j = i + 1;
      while (j < src.length && " \n\t\r".includes(src[j])) j++;
      if (src[j] === (c === "{" ? "}" : "]")) {
        out += c + src[j];
        i = j;
      } else {
        depth++;
        out += c + pad();
      }
    } else if (c === "}" || c === "]") {
      depth--;
      out += pad() + c;
    } else if (c === ",") {
      out += "," + pad();
    } else if (c === ":") {
      out += ": ";
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * The text shown for a tool call's arguments: the raw streamed text while it is forming
 * (or if it does not parse), pretty-printed JSON once complete. Pure.
 *
 * @param {string} input
 * @param {string} status
 */
export function toolArgsText(input, status) {
  if (status === "forming" || !input) return input;
  try {
    JSON.parse(input);
  } catch {
    return input;
  }
  return prettyJson(input);
}

/**
 * @param {Document} doc
 */
export function createToolCard(doc) {
  const el = make(doc, "div", "nbstream-tool");
  el.setAttribute("role", "group");
  const head = make(doc, "div", "nbstream-tool-head");
  const nameEl = make(doc, "span", "nbstream-tool-name");
  const statusEl = make(doc, "span", "nbstream-tool-status");
  const durationEl = make(doc, "span", "nbstream-tool-duration");
  durationEl.hidden = true;
  // approve=True: the call waits for the user. The buttons carry no listener: the view delegates clicks
  // (see `decisionOf`), so a card rebuilt by a redraw needs no wiring.
  const decideEl = make(doc, "span", "nbstream-tool-decide");
  decideEl.hidden = true;
  const approveBtn = makeButton(doc, "nbstream-approve", "Approve", "Approve this tool call");
  const denyBtn = makeButton(doc, "nbstream-deny", "Deny", "Deny this tool call");
  decideEl.append(approveBtn, denyBtn);
  const serverEl = make(doc, "span", "nbstream-tool-server", "runs in the API");
  serverEl.hidden = true;
  head.append(nameEl, statusEl, durationEl, serverEl, decideEl);
  const argsEl = make(doc, "pre", "nbstream-tool-args");
  argsEl.hidden = true;
  const linksEl = make(doc, "ul", "nbstream-tool-links");
  linksEl.hidden = true;
  el.append(head, argsEl, linksEl);
  /** @type {import("./parts.js").Link[] | null} */
  let shownLinks = null;

  /** @type {HTMLDetailsElement | null} */
  let resultEl = null;
  /** @type {HTMLElement | null} */
  let resultLabel = null;
  /** @type {HTMLElement | null} */
  let resultPre = null;
  /** @type {string | null} */
  let shownResult = null;
  /** @type {string | null} */
  let shownInput = null;
  let shownForming = false;
  /** Local time (ms) when this view first saw the tool running (for its live clock). */
  /** @type {number | null} */
  let runningSince = null;

  /** @param {ToolPart} part */
  function drawResult(part) {
    if (part.result === null) {
      if (resultEl) resultEl.hidden = true;
      return;
    }
    if (!resultEl) {
      resultEl = /** @type {HTMLDetailsElement} */ (make(doc, "details", "nbstream-tool-result"));
      resultLabel = make(doc, "summary", "nbstream-tool-result-label");
      resultPre = make(doc, "pre", "");
      resultEl.append(resultLabel, resultPre);
      // Collapsed by default; an error message is short and wanted: shown open. Set once:
      // afterwards the reader's choice stands.
      resultEl.open = part.is_error;
      el.append(resultEl);
    }
    resultEl.hidden = false;
    const pre = /** @type {HTMLElement} */ (resultPre);
    if (part.result !== shownResult) {
      shownResult = part.result;
      pre.textContent = part.result;
    }
    if (pre.classList.contains("nbstream-tool-error") !== part.is_error) pre.classList.toggle("nbstream-tool-error", part.is_error);
    const label = part.is_error ? "error" : part.result === "" ? "result (empty)" : "result";
    setText(/** @type {HTMLElement} */ (resultLabel), label);
  }

  return {
    el,

    /** The tool id this card shows (null before the first draw). */
    get id() {
      return el.getAttribute("data-tool-id");
    },

    /**
     * @param {ToolPart} part
     * @param {number} t  current time (ms)
     */
    draw(part, t) {
      setAttr(el, "data-tool-id", part.id);
      setAttr(el, "data-status", part.status);
      const name = part.name || "tool";
      setText(nameEl, `${name}(…)`);
      setAttr(el, "aria-label", `tool call ${name}`);
      setText(statusEl, toolStatusLabel(part.status));
      setHidden(serverEl, !part.server);
      if (part.links !== shownLinks) {
        shownLinks = part.links;
        drawLinks(doc, linksEl, part.links ?? []);
      }

      let duration = "";
      if (part.duration !== null) {
        duration = formatSeconds(part.duration);
        runningSince = null;
      } else if (part.status === "running") {
        // Until the kernel reports the duration, a local clock (the view redraws while the call runs).
        runningSince ??= t;
        duration = formatSeconds(Math.max(0, t - runningSince) / 1000);
      } else {
        runningSince = null;
      }
      setText(durationEl, duration);

      const asking = part.status === "asking";
      setHidden(decideEl, !asking);
      setAttr(approveBtn, "aria-label", `Approve ${name}`);
      setAttr(denyBtn, "aria-label", `Deny ${name}`);
      if (!asking) {
        approveBtn.disabled = false;
        denyBtn.disabled = false;
      }

      const forming = part.status === "forming";
      if (part.input !== shownInput || forming !== shownForming) {
        shownInput = part.input;
        shownForming = forming;
        setText(argsEl, toolArgsText(part.input, part.status));
      }
      drawResult(part);
    },
  };
}

/**
 * The decision a click means: a card's Approve or Deny button, with the card's tool id (else null).
 * The clicked pair is disabled at once, so a second click sends nothing.
 *
 * @param {EventTarget | null} target
 * @returns {{id: string, approved: boolean} | null}
 */
export function decisionOf(target) {
  const el = /** @type {Element | null} */ (target && "closest" in target ? target : null);
  const button = el?.closest(".nbstream-approve, .nbstream-deny");
  const card = button?.closest(".nbstream-tool");
  const id = card?.getAttribute("data-tool-id");
  if (!button || !card || !id || /** @type {HTMLButtonElement} */ (button).disabled) return null;
  for (const b of card.querySelectorAll(".nbstream-approve, .nbstream-deny")) {
    /** @type {HTMLButtonElement} */ (b).disabled = true;
  }
  return { id, approved: button.classList.contains("nbstream-approve") };
}

/** @typedef {ReturnType<typeof createToolCard>} ToolCard */
