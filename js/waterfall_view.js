// The latency waterfall of a panel: one SVG, one bar per row on a shared time
// axis, each bar split into its queued / waiting / generating segments and
// coloured by outcome (CSS, from the bar's data-status).
//
// Horizontal positions are percentages of the SVG's width, so the drawing needs
// no layout measurement and text is never stretched. A redraw touches only the
// bars it is given (changed rows and rows in progress) unless the axis changed.
// Tooltips are native <title>s, filled in when a bar is hovered (one listener
// for the whole SVG).

import { barLayout, barOutcome, barSegments, barTitle, barY, formatTick, niceTicks, segmentBox } from "./waterfall_geometry.js";
import { isActive } from "./format.js";
import { setAttr } from "./dom.js";

/** @typedef {import("./panel_reducer.js").RowData} RowData */

const NS = "http://www.w3.org/2000/svg";
/** Space below the bars for the tick labels (px). */
const AXIS_HEIGHT = 16;
const SEGMENTS = /** @type {const} */ (["queued", "waiting", "generating"]);

/**
 * @typedef {object} Bar
 * @property {SVGGElement} g
 * @property {SVGTitleElement} title
 * @property {SVGRectElement[]} rects  queued, waiting, generating
 * @property {string[]} drawn          x and width of each rect as last written
 * @property {string} status           as last written
 * @property {string} tip              the title as last written
 */

/** @param {number} f  fraction 0…1 */
function pct(f) {
  return `${(f * 100).toFixed(2)}%`;
}

/**
 * @param {Document} doc
 * @param {string} tag
 * @param {string} [className]
 */
function svgEl(doc, tag, className) {
  const el = doc.createElementNS(NS, tag);
  if (className) el.setAttribute("class", className);
  return el;
}

/**
 * @param {Document} doc
 */
export function createWaterfall(doc) {
  const svg = /** @type {SVGSVGElement} */ (svgEl(doc, "svg", "nbstream-waterfall"));
  svg.setAttribute("width", "100%");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Latency waterfall: time queued, waiting for the first token, and generating, per row");
  const grid = svgEl(doc, "g", "nbstream-wf-grid");
  const barsG = svgEl(doc, "g", "nbstream-wf-bars");
  barsG.setAttribute("shape-rendering", "crispEdges");
  const nowLine = svgEl(doc, "line", "nbstream-wf-now");
  const axis = svgEl(doc, "g", "nbstream-wf-axis");
  svg.append(grid, barsG, nowLine, axis);

  /** @type {Bar[]} */
  let bars = [];
  let layout = barLayout(0);
  let axisMax = -1;
  /** @type {RowData[]} */
  let lastRows = [];
  let lastClock = 0;

  /** @param {number} n */
  function setCount(n) {
    if (n === bars.length) return;
    layout = barLayout(n);
    const frag = doc.createDocumentFragment();
    bars = [];
    for (let i = 0; i < n; i++) {
      const g = /** @type {SVGGElement} */ (svgEl(doc, "g", "nbstream-bar"));
      g.setAttribute("data-row", String(i));
      const title = /** @type {SVGTitleElement} */ (svgEl(doc, "title"));
      g.append(title);
      const y = String(barY(layout, i));
      const h = String(layout.barHeight);
      const rects = SEGMENTS.map((name) => {
        const r = /** @type {SVGRectElement} */ (svgEl(doc, "rect", `nbstream-seg-${name}`));
        r.setAttribute("y", y);
        r.setAttribute("height", h);
        r.setAttribute("x", "0%");
        r.setAttribute("width", "0%");
        g.append(r);
        return r;
      });
      frag.append(g);
      bars.push({ g, title, rects, drawn: ["0%", "0%", "0%", "0%", "0%", "0%"], status: "", tip: "" });
    }
    barsG.replaceChildren(frag);
    svg.setAttribute("height", String(layout.plotHeight + AXIS_HEIGHT));
    nowLine.setAttribute("y1", "0");
    nowLine.setAttribute("y2", String(layout.plotHeight));
    axisMax = -1; // redraw the axis for the new height
  }

  /** @param {number} max */
  function drawAxis(max) {
    const { ticks, step } = niceTicks(max);
    const lines = doc.createDocumentFragment();
    const labels = doc.createDocumentFragment();
    ticks.forEach((t, k) => {
      const x = pct(t / max);
      const line = svgEl(doc, "line");
      line.setAttribute("x1", x);
      line.setAttribute("x2", x);
      line.setAttribute("y1", "0");
      line.setAttribute("y2", String(layout.plotHeight));
      lines.append(line);
      const text = svgEl(doc, "text");
      text.setAttribute("x", x);
      text.setAttribute("y", String(layout.plotHeight + AXIS_HEIGHT - 3));
      text.setAttribute("text-anchor", k === 0 ? "start" : k === ticks.length - 1 ? "end" : "middle");
      text.textContent = formatTick(t, step);
      labels.append(text);
    });
    grid.replaceChildren(lines);
    axis.replaceChildren(labels);
  }

  /**
   * @param {number} i
   * @param {RowData} row
   * @param {number} clock
   * @param {number} max
   */
  function drawBar(i, row, clock, max) {
    const bar = bars[i];
    const segs = barSegments(row.timeline, row.status, clock);
    if (bar.status !== row.status) {
      bar.status = row.status;
      bar.g.setAttribute("data-status", row.status);
      bar.g.setAttribute("data-outcome", barOutcome(row.status));
    }
    // Attribute values are compared with what was last written, not read back from the DOM.
    for (let k = 0; k < 3; k++) {
      const box = segmentBox(segs[SEGMENTS[k]], max);
      const x = pct(box.x);
      const w = pct(box.width);
      if (bar.drawn[2 * k] !== x) {
        bar.drawn[2 * k] = x;
        bar.rects[k].setAttribute("x", x);
      }
      if (bar.drawn[2 * k + 1] !== w) {
        bar.drawn[2 * k + 1] = w;
        bar.rects[k].setAttribute("width", w);
      }
    }
    // Durations of a finished row are fixed: write its tooltip once. Rows in
    // progress get theirs when hovered.
    setTip(bar, isActive(row.status) ? row.label : barTitle(row.label, row.status, segs));
  }

  /**
   * @param {Bar} bar
   * @param {string} tip
   */
  function setTip(bar, tip) {
    if (bar.tip === tip) return;
    bar.tip = tip;
    bar.title.textContent = tip;
  }

  /** @param {Event} ev */
  function onHover(ev) {
    const target = /** @type {Element | null} */ (ev.target);
    const g = target?.closest?.("g.nbstream-bar");
    if (!g) return;
    const i = Number(g.getAttribute("data-row"));
    const row = lastRows[i];
    const bar = bars[i];
    if (!row || !bar) return;
    setTip(bar, barTitle(row.label, row.status, barSegments(row.timeline, row.status, lastClock)));
  }
  svg.addEventListener("mouseover", onHover);

  return {
    el: svg,

    /** Number of bars (tests). */
    get count() {
      return bars.length;
    },

    /** The axis end (s) currently drawn (tests). */
    get axisMax() {
      return axisMax;
    },

    /**
     * Draw the bars of `changed` rows plus every row in progress (all of them if
     * the number of rows or the axis changed).
     *
     * @param {RowData[]} rows
     * @param {number} clock     the panel's clock (s): "now" for rows in progress
     * @param {Iterable<number> | null} changed  null: all rows
     * @param {boolean} running  show the "now" line
     */
    draw(rows, clock, changed, running) {
      setCount(rows.length);
      lastRows = rows;
      lastClock = clock;
      let latest = clock;
      for (const { timeline: tl } of rows) {
        if (tl.ended !== null && tl.ended > latest) latest = tl.ended;
        if (tl.started !== null && tl.started > latest) latest = tl.started;
        if (tl.first_token !== null && tl.first_token > latest) latest = tl.first_token;
      }
      const max = niceTicks(latest).max;
      let all = changed === null;
      if (max !== axisMax) {
        axisMax = max;
        drawAxis(max);
        all = true;
      }
      if (all) {
        for (let i = 0; i < rows.length; i++) drawBar(i, rows[i], clock, max);
      } else {
        /** @type {Set<number>} */
        const done = new Set();
        for (const i of /** @type {Iterable<number>} */ (changed)) {
          if (i < rows.length && !done.has(i)) {
            done.add(i);
            drawBar(i, rows[i], clock, max);
          }
        }
        for (let i = 0; i < rows.length; i++) {
          if (!done.has(i) && isActive(rows[i].status)) drawBar(i, rows[i], clock, max);
        }
      }
      const nowX = pct(Math.min(1, clock / max));
      setAttr(nowLine, "x1", nowX);
      setAttr(nowLine, "x2", nowX);
      if (nowLine.hasAttribute("visibility") === running) {
        if (running) nowLine.removeAttribute("visibility");
        else nowLine.setAttribute("visibility", "hidden");
      }
    },

    destroy() {
      svg.removeEventListener("mouseover", onHover);
    },
  };
}

/** @typedef {ReturnType<typeof createWaterfall>} Waterfall */
