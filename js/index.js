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
  const ShadowRootClass = el.ownerDocument.defaultView?.ShadowRoot;
  return ShadowRootClass && root instanceof ShadowRootClass ? root : el.ownerDocument;
}

/**
 * @typedef {import("./stream_state.js").ModelLike} ModelLike
 * @typedef {import("./stream_state.js").StreamState} StreamState
 * @typedef {import("./panel_state.js").PanelState} PanelState
 */

const VIEWS = new Set(["stream", "panel"]);
const ORPHAN_GRACE_MS = 400; // how long a running call may have no view before it is stopped

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
  // Views of this model now on the page. When the last one goes (re-running the cell clears its output)
  // while the call still streams, nobody can see it any more: stop it, as the Cancel button would. A
  // short grace lets a view that is only being re-created (a moved or re-rendered output) come back.
  let views = 0;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let orphanTimer = null;
  const schedule = options.env?.setTimeout ?? globalThis.setTimeout.bind(globalThis);
  const unschedule = options.env?.clearTimeout ?? globalThis.clearTimeout.bind(globalThis);

  /**
   * @param {() => void} cleanup  the view's own cleanup
   * @param {AbortSignal | undefined} signal  anywidget aborts it when the view goes (as it calls the cleanup)
   */
  function counted(cleanup, signal) {
    views += 1;
    if (orphanTimer !== null) {
      unschedule(orphanTimer);
      orphanTimer = null;
    }
    let done = false;
    const gone = () => {
      if (done) return;
      done = true;
      cleanup();
      views -= 1;
      if (views === 0) orphanTimer = schedule(stopIfOrphaned, ORPHAN_GRACE_MS);
    };
    signal?.addEventListener("abort", gone, { once: true });
    return gone;
  }

  function stopIfOrphaned() {
    orphanTimer = null;
    if (views > 0) return;
    if (stream !== null && !stream.snapshot().final) stream.send("cancel");
    if (panel !== null && panel.running) panel.send({ type: "cancel_all" });
  }

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
      if (kind === "panel") return counted(renderPanel(model, el, signal), signal);

      const state = streamFor(model);
      const view = createStreamView({
        doc,
        source: state,
        onCancel: () => state.send("cancel"),
        onRetry: () => state.send("retry"),
        onDecide: (id, approved) => state.send("decide", { id, approved }),
        env: options.env,
      });
      view.invalidate();
      return counted(attach(el, state, view, view.changed, signal), signal);
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
