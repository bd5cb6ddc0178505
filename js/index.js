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

import css from "./style.css";
import { createStreamState } from "./stream_state.js";
import { createStreamView } from "./stream_view.js";
import { createPanelState } from "./panel_state.js";
import { createPanelView } from "./panel_view.js";

const STYLE_ID = "nbstream-style";

/**
 * Add the stylesheet once to the root a view lives in (updated in place if it changed, e.g. after a
 * reload of the module). The root is the document, or a shadow root: marimo renders anywidgets inside
 * one, where the document's styles do not reach.
 *
 * @param {Document | ShadowRoot} root
 */
export function injectStyle(root) {
  const existing = root.getElementById(STYLE_ID);
  if (existing) {
    if (existing.textContent !== css) existing.textContent = css;
    return;
  }
  const doc = root.ownerDocument ?? /** @type {Document} */ (root);
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = css;
  const parent = "head" in root ? (root.head ?? root.documentElement) : root;
  parent.appendChild(style);
}

/**
 * @param {HTMLElement} el
 * @returns {Document | ShadowRoot}
 */
function styleRoot(el) {
  const root = el.getRootNode?.();
  return root instanceof el.ownerDocument.defaultView.ShadowRoot ? root : el.ownerDocument;
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
      injectStyle(styleRoot(el));
      // A host may attach the view's element to its shadow root only after render: look again then.
      doc.defaultView?.requestAnimationFrame?.(() => injectStyle(styleRoot(el)));
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
      el.replaceChildren(view.el);
      const unsubscribe = state.subscribe(view.invalidate);
      view.invalidate();
      state.resyncIfBehind();
      return onceCleanup(signal, () => {
        unsubscribe();
        view.destroy();
        view.el.remove();
      });
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
    el.replaceChildren(view.el);
    const unsubscribe = state.subscribe(view.onChange);
    state.resyncIfBehind();
    return onceCleanup(signal, () => {
      unsubscribe();
      view.destroy();
      view.el.remove();
    });
  }
}

export default () => createWidget();
