// One row of a panel: the shared stream header (see stream_header.js) led by an
// expand toggle and the row's label, an error line, a plain-text preview of the
// reply while collapsed, and the rendered transcript while expanded (Markdown and
// tool calls, see parts_view.js, as in the stream view).
//
// A collapsed row does no Markdown work at all: it only updates its header and
// preview. The transcript renderer exists only while expanded.
// The row owns no listeners: the panel delegates clicks (see panel_view.js).

import { make, makeButton, setAttr, setHidden, setText } from "./dom.js";
import { createHeader, outputTokens } from "./stream_header.js";
import { isActive } from "./format.js";
import { transcriptPreview } from "./preview.js";
import { createPartsView } from "./parts_view.js";

/** @typedef {import("./panel_reducer.js").RowData} RowData */

/**
 * @typedef {object} RowOptions
 * @property {(src: string) => DocumentFragment} render  Markdown → sanitised fragment
 * @property {() => number} now
 */

/**
 * @typedef {object} RowDrawResult
 * @property {boolean} ticking  the row needs periodic redraws (its clock, countdown, a held button)
 * @property {boolean} more     its Markdown rendering has more work for a later frame
 */

/**
 * @param {Document} doc
 * @param {number} i  the row's index (shown as i + 1)
 * @param {RowOptions} options
 */
export function createPanelRow(doc, i, options) {
  const n = i + 1;
  const el = make(doc, "div", "nbstream-row");
  el.setAttribute("data-row", String(i));
  el.setAttribute("role", "listitem");

  const expandBtn = makeButton(doc, "nbstream-expand", "", `Answer of row ${n}`);
  expandBtn.setAttribute("aria-expanded", "false");
  const labelEl = make(doc, "span", "nbstream-row-label");
  const header = createHeader(doc, {
    cancelLabel: `Cancel row ${n}`,
    retryLabel: `Retry row ${n}`,
    lead: [expandBtn, labelEl],
  });
  const errorEl = make(doc, "div", "nbstream-error");
  errorEl.hidden = true;
  const previewEl = make(doc, "div", "nbstream-preview");
  previewEl.hidden = true;
  el.append(header.el, errorEl, previewEl);

  let expanded = false;
  /** @type {HTMLElement | null} */
  let detailEl = null;
  /** @type {HTMLElement | null} */
  let promptEl = null;
  /** @type {HTMLElement | null} */
  let textEl = null;
  /** @type {import("./parts_view.js").PartsView | null} */
  let transcript = null;
  /** @type {import("./parts.js").Part[] | null} */
  let previewSource = null;
  let previewLive = false;
  let shownPrompt = "";
  let shownStatus = "";
  let shownTokens = "";

  function openDetail() {
    detailEl = make(doc, "div", "nbstream-detail");
    promptEl = make(doc, "div", "nbstream-prompt");
    textEl = make(doc, "div", "nbstream-text");
    textEl.hidden = true;
    // Further text parts and tool call groups follow textEl inside the detail.
    detailEl.append(promptEl, textEl);
    el.append(detailEl);
    transcript = createPartsView(textEl, { render: options.render, now: options.now });
  }

  function closeDetail() {
    transcript?.clear();
    transcript = null;
    detailEl?.remove();
    detailEl = promptEl = textEl = null;
  }

  return {
    el,
    index: i,
    header,

    get expanded() {
      return expanded;
    },

    /** The rendered Markdown element while expanded, else null. */
    get textEl() {
      return textEl;
    },

    /**
     * Expand (render the full Markdown on the next draw) or collapse (drop it).
     *
     * @param {boolean} on
     */
    setExpanded(on) {
      if (on === expanded) return;
      expanded = on;
      setAttr(expandBtn, "aria-expanded", on ? "true" : "false");
      el.classList.toggle("nbstream-expanded", on);
      if (on) openDetail();
      else closeDetail();
      previewSource = null; // the preview is redrawn when collapsed again
    },

    /** @param {number} t */
    pressCancel(t) {
      header.pressCancel(t);
    },

    /** @param {number} t */
    pressRetry(t) {
      header.pressRetry(t);
    },

    /**
     * Draw the row from its data.
     *
     * @param {RowData} row
     * @param {number} t  current time (ms)
     * @param {boolean} [markdown]  false: leave the Markdown of an expanded row for a later frame
     * @returns {RowDrawResult}
     */
    draw(row, t, markdown = true) {
      const active = isActive(row.status);
      const tokens = String(outputTokens(row.stats));
      if (row.status !== shownStatus) {
        shownStatus = row.status;
        el.setAttribute("data-status", row.status);
      }
      if (tokens !== shownTokens) {
        shownTokens = tokens;
        el.setAttribute("data-tokens", tokens);
      }
      setText(labelEl, row.label);
      if (row.prompt !== shownPrompt) {
        shownPrompt = row.prompt;
        setAttr(labelEl, "title", row.prompt);
      }
      const ticking = header.draw(
        {
          status: row.status,
          model: row.model,
          settings: row.settings,
          simulated: false,
          stats: row.stats,
          statsAt: row.statsAt,
          notice: row.notice,
          retryIn: row.retryIn,
          retryAt: row.retryAt,
          canRetry: row.canRetry,
          canCancel: row.canCancel,
          hasText: row.parts.length > 0,
        },
        t,
      );
      setText(errorEl, row.error);

      let more = false;
      if (expanded && transcript && promptEl) {
        setHidden(previewEl, true);
        setText(promptEl, row.prompt);
        // Tool cards are always brought up to date; Markdown only with `markdown`
        // (what is left over is reported as `more`, for a later frame).
        more = transcript.draw(row.parts, !active, { markdown, t, sources: row.sources });
      } else if (row.parts !== previewSource || active !== previewLive) {
        // Collapsed: a few hundred characters of plain text, no Markdown.
        previewSource = row.parts;
        previewLive = active;
        setText(previewEl, transcriptPreview(row.parts, row.text, active));
        setAttr(previewEl, "data-live", active ? "true" : "false");
      }
      return { ticking, more };
    },

    destroy() {
      closeDetail();
    },
  };
}

/** @typedef {ReturnType<typeof createPanelRow>} PanelRow */
