// nbstream front end: the anywidget module.
//
// The default export is a factory. anywidget calls it once per widget model and
// then calls `initialize` once for that model and `render` once per view, so the
// closure below is per-model state. (Properties stored on the `model` object do
// not work for this: anywidget hands `initialize` and `render` different model
// proxies.)
//
// Dispatch is on the synced trait `_view`: "stream" is one streaming reply,
// "panel" a panel of parallel calls.

import transcriptCss from "../nbstream/transcript.css";
import widgetCss from "./style.css";
import { createStreamState } from "./stream_state.js";
import { createStreamView } from "./stream_view.js";
import { createPanelState } from "./panel_state.js";
import { createPanelView } from "./panel_view.js";

// The answer's own look is shared with the static copy (nbstream/_static_style.py embeds the same file,
// raised the same way): every .nbstream-text rule gets two more classes than any host rule around it
// (JupyterLab styles the outputs the widget sits in, e.g. pre line heights).
const RAISED = ":is(.nbstream, .nbstream-static) .nbstream-text.nbstream-text";
const css = transcriptCss.replace(/\.nbstream-text(?![\w-])/g, RAISED) + widgetCss;
const STYLE_ID = "nbstream-style";

/**
 * Add the stylesheet to a document once (updated in place if it changed, e.g. after a reload of the module).
 *
 * @param {Document} doc
 */
export function injectStyle(doc) {
  const existing = doc.getElementById(STYLE_ID);
  if (existing) {
    if (existing.textContent !== css) existing.textContent = css;
    return;
  }
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = css;
  (doc.head ?? doc.documentElement).appendChild(style);
}

/**
 * @typedef {import("./stream_state.js").ModelLike} ModelLike
 * @typedef {import("./stream_state.js").StreamState} StreamState
 * @typedef {import("./panel_state.js").PanelState} PanelState
 */

const VIEWS = new Set(["stream", "panel"]);

/**
 * @param {HTMLElement} el
 * @param {string} message
 */
function renderUnsupported(el, message) {
  const div = el.ownerDocument.createElement("div");
  div.className = "nbstream nbstream-unsupported";
  div.textContent = message;
  el.replaceChildren(div);
  return () => div.remove();
}

/**
 * Remove a view when its signal aborts or its cleanup function is called (once).
 *
 * @param {AbortSignal | undefined} signal
 * @param {() => void} fn
 */
function onceCleanup(signal, fn) {
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    fn();
  };
  signal?.addEventListener("abort", cleanup, { once: true });
  return cleanup;
}

/**
 * Show a view in `el`, redrawn on every change of its per-model state, until its signal aborts
 * or the returned cleanup runs; a page reloaded mid-run first catches up.
 *
 * @template C
 * @param {HTMLElement} el
 * @param {{subscribe(fn: (change: C) => void): () => void, resyncIfBehind(): void}} state
 * @param {{el: HTMLElement, destroy(): void}} view
 * @param {(change: C) => void} onChange
 * @param {AbortSignal | undefined} signal
 */
function attach(el, state, view, onChange, signal) {
  el.replaceChildren(view.el);
  const unsubscribe = state.subscribe(onChange);
  state.resyncIfBehind();
  return onceCleanup(signal, () => {
    unsubscribe();
    view.destroy();
    view.el.remove();
  });
}

/**
 * Create the widget definition for one model.
 *
 * @param {{env?: import("./frame_loop.js").ViewEnv}} [options]  test hooks
 */
export function createWidget(options = {}) {
  /** @type {StreamState | null} */
  let stream = null;
  /** @type {PanelState | null} */
  let panel = null;

  /** @param {ModelLike} model */
  function streamFor(model) {
    stream ??= createStreamState(model, { now: options.env?.now });
    return stream;
  }

  /** @param {ModelLike} model */
  function panelFor(model) {
    panel ??= createPanelState(model, { now: options.env?.now });
    return panel;
  }

  return {
    /**
     * Once per model: start collecting frames, so views created later still see them.
     *
     * @param {{model: ModelLike, signal?: AbortSignal}} ctx
     */
    initialize({ model, signal }) {
      const kind = model.get("_view") ?? "stream";
      if (kind === "panel") {
        const state = panelFor(model);
        return onceCleanup(signal, () => {
          state.dispose();
          if (panel === state) panel = null;
        });
      }
      if (kind !== "stream") return undefined;
      const state = streamFor(model);
      return onceCleanup(signal, () => {
        state.dispose();
        if (stream === state) stream = null;
      });
    },

    /**
     * Once per view.
     *
     * @param {{model: ModelLike, el: HTMLElement, signal?: AbortSignal}} ctx
     */
    render({ model, el, signal }) {
      const doc = el.ownerDocument;
      injectStyle(doc);
      const kind = model.get("_view") ?? "stream";
      if (!VIEWS.has(kind)) {
        return renderUnsupported(el, `nbstream: this version of the front end cannot show a "${kind}" view.`);
      }
      if (kind === "panel") return renderPanel(model, el, signal);

      const state = streamFor(model);
      const view = createStreamView({
        doc,
        source: state,
        onCancel: () => state.send("cancel"),
        onRetry: () => state.send("retry"),
        env: options.env,
      });
      view.invalidate();
      return attach(el, state, view, view.invalidate, signal);
    },
  };

  /**
   * @param {ModelLike} model
   * @param {HTMLElement} el
   * @param {AbortSignal | undefined} signal
   */
  function renderPanel(model, el, signal) {
    const state = panelFor(model);
    const view = createPanelView({
      doc: el.ownerDocument,
      source: state,
      onCancelAll: () => state.send({ type: "cancel_all" }),
      onCancelRow: (row) => state.send({ type: "cancel", row }),
      onRetryRow: (row) => state.send({ type: "retry", row }),
      env: options.env,
    });
    return attach(el, state, view, view.onChange, signal);
  }
}

/** @type {import("@anywidget/types").AnyWidget} */
const widget = () => createWidget();

export default widget;
