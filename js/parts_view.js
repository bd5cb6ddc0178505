// The transcript of one call in the DOM: text parts rendered as Markdown (see
// live_text.js: stable blocks once, the tail per frame) and tool calls as cards
// (see tool_card.js), consecutive calls side by side in one group. Used by the
// stream view and by expanded panel rows.
//
// It owns a run of sibling elements starting with `first`, the `.nbstream-text`
// element the caller created and placed: one element per segment (see
// `segmentParts` in parts.js), a `.nbstream-text` per text part and a
// `.nbstream-tools` per group of consecutive tool calls. A text-only reply is the
// one segment `first`, exactly as before tools existed. Segments are matched by
// position and kind; where the kind differs, that segment and the ones after it
// are rebuilt. A text part that is no longer the last part is final: rendered
// fully once, then left alone.

import { createLiveText } from "./live_text.js";
import { make, setAttr, setHidden } from "./dom.js";
import { segmentParts } from "./parts.js";
import { createToolCard } from "./tool_card.js";
import { createNote, createSources, createThinking } from "./content_parts.js";

/**
 * @typedef {import("./parts.js").Part} Part
 * @typedef {import("./tool_card.js").ToolCard} ToolCard
 */

/**
 * @typedef {object} PartsViewOptions
 * @property {(src: string) => DocumentFragment} render  Markdown → sanitised fragment
 * @property {() => number} now      clock in ms
 * @property {number} [budgetMs]     Markdown work per draw across text parts (at least one part progresses)
 */

/**
 * @typedef {object} TextSeg
 * @property {"text"} kind
 * @property {HTMLElement} el
 * @property {ReturnType<typeof createLiveText>} live
 * @property {string | null} text    what the renderer was last given
 * @property {boolean} final
 * @property {boolean} more          the renderer has more work
 */

/**
 * @typedef {object} ToolsSeg
 * @property {"tools"} kind
 * @property {HTMLElement} el
 * @property {ToolCard[]} cards
 */

/**
 * @typedef {object} PartSeg   a thinking part or a note
 * @property {"thinking" | "note"} kind
 * @property {HTMLElement} el
 * @property {(part: any) => void} draw
 */

/**
 * @param {HTMLElement} first  the first `.nbstream-text` element, already in its parent
 * @param {PartsViewOptions} options
 */
export function createPartsView(first, options) {
  const doc = /** @type {Document} */ (first.ownerDocument);
  const { render, now } = options;
  const budgetMs = options.budgetMs ?? 8;

  /** @param {HTMLElement} el @returns {TextSeg} */
  function textSeg(el) {
    return { kind: "text", el, live: createLiveText(el, { render, now }), text: null, final: false, more: false };
  }

  /** @returns {ToolsSeg} */
  function toolsSeg() {
    const el = make(doc, "div", "nbstream-tools");
    el.setAttribute("role", "group");
    el.setAttribute("aria-label", "tool calls");
    return { kind: "tools", el, cards: [] };
  }

  /** @param {"thinking" | "note"} kind @returns {PartSeg} */
  function partSeg(kind) {
    const made = kind === "thinking" ? createThinking(doc) : createNote(doc);
    return { kind, el: made.el, draw: made.draw };
  }

  /** @type {Array<TextSeg | ToolsSeg | PartSeg>} */
  const segs = [textSeg(first)];
  /** @type {ReturnType<typeof createSources> | null} the sources under the answer, made on the first */
  let sources = null;

  /** Remove the segments from index k on (never the first: it belongs to the caller). */
  /** @param {number} k */
  function dropFrom(k) {
    while (segs.length > Math.max(k, 1)) {
      const s = /** @type {TextSeg | ToolsSeg | PartSeg} */ (segs.pop());
      if (s.kind === "text") s.live.clear();
      s.el.remove();
    }
  }

  /**
   * @param {ToolsSeg} seg
   * @param {import("./parts.js").ToolPart[]} tools
   * @param {number} t
   */
  function drawTools(seg, tools, t) {
    // Cards are matched by position and id; from the first mismatch on they are rebuilt.
    let k = 0;
    while (k < seg.cards.length && k < tools.length && seg.cards[k].id === tools[k].id) k++;
    while (seg.cards.length > k) /** @type {ToolCard} */ (seg.cards.pop()).el.remove();
    for (let j = k; j < tools.length; j++) {
      const card = createToolCard(doc);
      seg.cards.push(card);
      seg.el.append(card.el);
    }
    for (let j = 0; j < tools.length; j++) seg.cards[j].draw(tools[j], t);
  }

  return {
    /** The incremental renderer of the first text part (tests). */
    get firstLive() {
      return /** @type {TextSeg} */ (segs[0]).live;
    },

    /** Number of segments (tests). */
    get segmentCount() {
      return segs.length;
    },

    /**
     * Draw the parts. Tool cards are always brought up to date (cheap: only what changed
     * is written); Markdown is rendered only with `markdown` true, within the budget.
     *
     * @param {Part[]} parts
     * @param {boolean} final  the call is over: no part will grow any more
     * @param {{markdown?: boolean, t?: number, sources?: import("./parts.js").Source[]}} [opts]
     * @returns {boolean} whether Markdown work remains for a later frame
     */
    draw(parts, final, opts = {}) {
      const markdown = opts.markdown ?? true;
      const t = opts.t ?? now();
      const want = segmentParts(parts);
      let more = false;
      let stepped = false;
      const t0 = now();
      for (let k = 0; k < want.length; k++) {
        const w = want[k];
        let seg = segs[k];
        if (seg && seg.kind !== w.kind) {
          dropFrom(k);
          seg = segs[k];
        }
        if (!seg) {
          seg = w.kind === "text" ? textSeg(make(doc, "div", "nbstream-text")) : w.kind === "tools" ? toolsSeg() : partSeg(w.kind);
          segs[k - 1].el.after(seg.el);
          segs.push(seg);
        }
        if (w.kind === "thinking" || w.kind === "note") {
          const ps = /** @type {PartSeg} */ (seg);
          setHidden(ps.el, false);
          ps.draw(w.part);
          continue;
        }
        if (w.kind === "tools") {
          const ts = /** @type {ToolsSeg} */ (seg);
          setHidden(ts.el, false);
          drawTools(ts, w.tools, t);
          continue;
        }
        const s = /** @type {TextSeg} */ (seg);
        const segFinal = final || !w.last;
        if (w.kind !== "text") continue; // (narrows w)
        setAttr(s.el, "aria-busy", segFinal ? "false" : "true");
        setHidden(s.el, w.text === "");
        if (w.text === s.text && segFinal === s.final && !s.more) continue;
        if (markdown && (!stepped || now() - t0 < budgetMs)) {
          stepped = true;
          s.text = w.text;
          s.final = segFinal;
          s.live.set(w.text, segFinal);
          s.more = s.live.step();
          if (s.more) more = true;
        } else {
          more = true; // left for a later frame
        }
      }
      dropFrom(want.length);
      const list = opts.sources ?? [];
      if (list.length && !sources) sources = createSources(doc);
      if (sources) {
        sources.draw(list);
        const lastEl = segs[segs.length - 1].el;
        if (lastEl.nextSibling !== sources.el) lastEl.after(sources.el); // always under the answer
      }
      return more;
    },

    /** Hide every segment (the text is hidden by the kernel); the next `draw` shows them again. */
    hide() {
      for (const s of segs) setHidden(s.el, true);
      if (sources) setHidden(sources.el, true);
    },

    /** Forget everything rendered (the first element stays, empty). */
    clear() {
      dropFrom(1);
      if (sources) sources.el.remove();
      sources = null;
      const s = /** @type {TextSeg} */ (segs[0]);
      s.live.clear();
      s.text = null;
      s.more = false;
    },
  };
}

/** @typedef {ReturnType<typeof createPartsView>} PartsView */
