// Shared test helpers: a jsdom window, a fake anywidget model, a fake
// requestAnimationFrame and a fake clock.
import { JSDOM } from "jsdom";
import { register } from "node:module";

register("./css-hooks.mjs", import.meta.url);

/** Install a jsdom window as the global DOM (once per test file). */
export function installDom() {
  if (!globalThis.window) {
    const dom = new JSDOM("<!doctype html><html><head></head><body></body></html>");
    globalThis.window = /** @type {any} */ (dom.window);
    globalThis.document = dom.window.document;
  }
  return globalThis.window;
}

/** Parse an HTML string into a detached <body> (for walking sanitiser output). */
export function parseHtml(html) {
  const doc = new JSDOM("<!doctype html><html><body></body></html>").window.document;
  doc.body.innerHTML = html;
  return doc.body;
}

/**
 * A fake requestAnimationFrame: callbacks queue up until `flush()` runs them.
 */
export function installRaf() {
  /** @type {Map<number, FrameRequestCallback>} */
  const queue = new Map();
  let next = 1;
  let requests = 0;
  globalThis.requestAnimationFrame = (cb) => {
    requests++;
    const id = next++;
    queue.set(id, cb);
    return id;
  };
  globalThis.cancelAnimationFrame = (id) => {
    queue.delete(id);
  };
  return {
    /** Run the callbacks queued so far (one animation frame). Returns how many ran. */
    frame() {
      const cbs = Array.from(queue.values());
      queue.clear();
      for (const cb of cbs) cb(0);
      return cbs.length;
    },
    /** Run frames until nothing is queued (bounded). Returns the number of frames. */
    flush(max = 1000) {
      let frames = 0;
      while (queue.size && frames < max) {
        this.frame();
        frames++;
      }
      return frames;
    },
    get pending() {
      return queue.size;
    },
    get requests() {
      return requests;
    },
    resetCount() {
      requests = 0;
    },
  };
}

/** A controllable clock in milliseconds. */
export function fakeClock(start = 1000) {
  let t = start;
  const now = () => t;
  now.advance = (ms) => {
    t += ms;
  };
  return now;
}

export const DEFAULT_STATS = {
  output_tokens: 0,
  tokens_exact: false,
  input_tokens: null,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  ttft: null,
  elapsed: 0,
  rate: null,
  cost: null,
  cost_exact: false,
};

/**
 * A fake anywidget model: get/set/on/off/send/save_changes, plus `emit` for
 * custom messages and `update` for kernel-side trait changes.
 */
export class FakeModel {
  constructor(state = {}) {
    this.state = {
      _view: "stream",
      status: "waiting",
      model: "claude-test",
      simulated: false,
      stats: { ...DEFAULT_STATS },
      error: "",
      notice: "",
      retry_in: 0,
      text: "",
      show_text: true,
      can_retry: false,
      ...state,
    };
    /** @type {Map<string, Set<Function>>} */
    this.listeners = new Map();
    /** @type {any[]} */
    this.sent = [];
    this.saved = 0;
  }
  get(name) {
    return this.state[name];
  }
  set(name, value) {
    this.state[name] = value;
  }
  save_changes() {
    this.saved++;
  }
  on(name, cb) {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(cb);
  }
  off(name, cb) {
    if (!name) {
      this.listeners.clear();
      return;
    }
    if (!cb) this.listeners.delete(name);
    else this.listeners.get(name)?.delete(cb);
  }
  send(content) {
    this.sent.push(structuredClone(content));
  }
  /** Kernel → JS custom message. */
  emit(msg) {
    for (const cb of Array.from(this.listeners.get("msg:custom") ?? [])) cb(msg, []);
  }
  /** Kernel-side trait change. */
  update(name, value) {
    this.state[name] = value;
    for (const cb of Array.from(this.listeners.get(`change:${name}`) ?? [])) cb(this, value);
  }
  /** Total number of registered listeners. */
  listenerCount() {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}

/**
 * Mount a widget made by `createWidget`: initialize once, then render `views` views. A frozen clock
 * unless the test brings its own, so render budgets never depend on machine load.
 *
 * @param {(options: any) => any} createWidget
 * @param {any} model
 * @param {{views?: number, env?: any, root?: string}} [options]  root: the selector of the view's root
 */
export function mountWidget(createWidget, model, { views = 1, env, root = ".nbstream" } = {}) {
  const widget = createWidget({ env: env ?? { now: fakeClock() } });
  const modelController = new AbortController();
  widget.initialize({ model, signal: modelController.signal });
  const mounted = [];
  for (let i = 0; i < views; i++) mounted.push(renderView(widget, model, root));
  return { widget, modelController, views: mounted, root: mounted[0]?.root, el: mounted[0]?.el };
}

/** Render one more view of an initialized widget. */
export function renderView(widget, model, root = ".nbstream") {
  const el = document.createElement("div");
  document.body.appendChild(el);
  const controller = new AbortController();
  const cleanup = widget.render({ model, el, signal: controller.signal });
  return { el, controller, cleanup, root: el.querySelector(root) };
}

/** Abort every view and the model, let the last frame run, and take the views off the page. */
export function unmountWidget(m, raf) {
  for (const v of m.views) v.controller.abort();
  m.modelController.abort();
  raf.flush();
  for (const v of m.views) v.el.remove();
}

/**
 * A Markdown renderer that "costs" `ms` on the fake clock per call, and a count of its calls per
 * animation frame: `drain()` runs frames until none is queued (at most 100).
 *
 * @param {ReturnType<typeof fakeClock>} now
 * @param {ReturnType<typeof installRaf>} raf
 * @param {(src: string) => DocumentFragment} renderMarkdown
 * @param {number} ms
 */
export function costlyRender(now, raf, renderMarkdown, ms) {
  let rendersThisFrame = 0;
  return {
    /** @param {string} src */
    render(src) {
      rendersThisFrame++;
      now.advance(ms);
      return renderMarkdown(src);
    },
    /** @returns {{frames: number, maxRenders: number}} */
    drain() {
      let frames = 0;
      let maxRenders = 0;
      while (raf.pending && frames < 100) {
        rendersThisFrame = 0;
        raf.frame();
        frames++;
        maxRenders = Math.max(maxRenders, rendersThisFrame);
      }
      return { frames, maxRenders };
    },
  };
}
