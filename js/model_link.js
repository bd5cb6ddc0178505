// The link of a per-model state (stream_state.js, panel_state.js) to its model and its views:
// the model events it listens to until disposed, the views subscribed to its changes, and
// messages to the kernel (none once disposed).

/** @typedef {import("./stream_state.js").ModelLike} ModelLike */

/**
 * @template C  what subscribers are told of a change
 * @param {ModelLike} model
 */
export function createModelLink(model) {
  /** @type {Set<(change: C) => void>} */
  const subscribers = new Set();
  /** @type {Array<[string, (...args: any[]) => void]>} */
  const handlers = [];
  let disposed = false;

  return {
    /** @param {Array<[string, (...args: any[]) => void]>} list  model events ("msg:custom", "change:…") and their handlers */
    listen(list) {
      if (disposed) return;
      for (const [name, fn] of list) {
        handlers.push([name, fn]);
        model.on(name, fn);
      }
    },

    /** @param {C} change */
    notify(change) {
      for (const fn of Array.from(subscribers)) fn(change);
    },

    /** @param {(change: C) => void} fn @returns {() => void} unsubscribe */
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },

    /** @param {object} msg  a message to the kernel */
    send(msg) {
      if (!disposed) model.send(msg);
    },

    get disposed() {
      return disposed;
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      for (const [name, fn] of handlers) model.off(name, fn);
      handlers.length = 0;
      subscribers.clear();
    },
  };
}
