// Per-model state of a panel of parallel calls: the rows built from frames,
// snapshots and the final trait (see panel_reducer.js), the summary, and the
// resync protocol.
//
// Like stream_state.js it lives at model level (created in `initialize`), so a
// view rendered later still has every row's text. Views subscribe and are told
// which rows changed, so each redraws only those on its next animation frame.

import { applyFinal, applyFrame, applySnapshot, createPanelData, setRows, setSummary } from "./panel_reducer.js";
import { createModelLink } from "./model_link.js";
import { initialResync } from "./sequence.js";

/**
 * @typedef {import("./stream_state.js").ModelLike} ModelLike
 * @typedef {import("./panel_reducer.js").PanelData} PanelData
 * @typedef {import("./panel_reducer.js").Change} Change
 */

/**
 * What subscribers are told: which rows changed (`null`: all of them), whether the
 * summary / panel-level traits changed, and whether rows were added.
 * @typedef {object} PanelChange
 * @property {number[] | null} rows
 * @property {boolean} summary
 * @property {boolean} structure
 */

/**
 * @param {ModelLike} model
 * @param {{now?: () => number}} [options]
 */
export function createPanelState(model, options = {}) {
  const now = options.now ?? (() => globalThis.performance.now());

  const data = createPanelData(model.get("rows"), model.get("summary"), now());
  applyFinal(data, model.get("final"), now());
  let status = String(model.get("status") ?? "running");
  /** @type {ReturnType<typeof createModelLink<PanelChange>>} */
  const link = createModelLink(model);
  const notify = link.notify;

  /** @param {Change} change */
  function publish(change) {
    if (change.resync !== null) link.send({ type: "resync", have: change.resync });
    if (change.rows.length || change.summary || change.structure) {
      notify({ rows: change.rows, summary: change.summary, structure: change.structure });
    }
  }

  /** @param {any} msg */
  function onCustom(msg) {
    if (!msg || typeof msg !== "object" || link.disposed) return;
    if (msg.type === "frame") publish(applyFrame(data, msg, now()));
    else if (msg.type === "snapshot") publish(applySnapshot(data, msg, now()));
  }

  /** @type {Array<[string, (...args: any[]) => void]>} */
  const handlers = [
    ["msg:custom", onCustom],
    ["change:rows", () => publish(setRows(data, model.get("rows"), now()))],
    ["change:final", () => publish(applyFinal(data, model.get("final"), now()))],
    ["change:summary", () => publish(setSummary(data, model.get("summary"), now()))],
    [
      "change:status",
      () => {
        status = String(model.get("status") ?? "");
        // Rows (buttons, clocks) depend on whether the panel is running.
        notify({ rows: null, summary: true, structure: false });
      },
    ],
    ["change:show_text", () => notify({ rows: null, summary: false, structure: false })],
  ];
  link.listen(handlers);

  return {
    /** The rows, summary and clock (read-only for views). */
    data,

    get status() {
      return status;
    },

    get running() {
      return status === "running";
    },

    get showText() {
      return model.get("show_text") !== false;
    },

    subscribe: link.subscribe,

    /**
     * A page reloaded mid-run starts with empty rows and no frames: ask the kernel
     * once for a snapshot of every row.
     */
    resyncIfBehind() {
      if (link.disposed) return;
      const have = initialResync(data, status === "running" && data.rows.every((r) => r.parts.length === 0), now());
      if (have !== null) link.send({ type: "resync", have });
    },

    /** a message to the kernel ({type: "cancel", row}, …) */
    send: link.send,

    dispose: link.dispose,
  };
}

/** @typedef {ReturnType<typeof createPanelState>} PanelState */
