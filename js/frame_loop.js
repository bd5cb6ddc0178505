// Redraw scheduling shared by the views: any number of `invalidate()` calls
// between two animation frames lead to one `draw()` on the next frame, and an
// optional ticker requests a redraw periodically (a running clock, a countdown).
// Test hooks (fake requestAnimationFrame, clock, renderer) come in as `env`.

/**
 * @typedef {object} ViewEnv
 * @property {(cb: FrameRequestCallback) => number} [raf]
 * @property {(id: number) => void} [caf]
 * @property {() => number} [now]
 * @property {(src: string) => DocumentFragment} [render]
 * @property {number} [tickMs]     how often clocks and countdowns are refreshed
 * @property {(fn: () => void, ms: number) => ReturnType<typeof setTimeout>} [setTimeout]  timers of the widget
 * @property {(id: ReturnType<typeof setTimeout>) => void} [clearTimeout]
 */

/**
 * The animation-frame scheduler and clock of a view, from its test hooks.
 *
 * @param {ViewEnv} env
 */
export function viewClock(env) {
  return {
    /** @type {(cb: FrameRequestCallback) => number} */
    raf: env.raf ?? ((cb) => (globalThis.requestAnimationFrame ?? ((f) => setTimeout(() => f(Date.now()), 16)))(cb)),
    /** @type {(id: number) => void} */
    caf: env.caf ?? ((id) => (globalThis.cancelAnimationFrame ?? clearTimeout)(id)),
    /** @type {() => number} */
    now: env.now ?? (() => globalThis.performance.now()),
    tickMs: env.tickMs ?? 100,
  };
}

/**
 * @param {ViewEnv} env
 * @param {() => void} draw     called from an animation frame
 * @param {() => void} [onTick] called by the ticker before it requests a frame
 */
export function createFrameLoop(env, draw, onTick) {
  const { raf, caf, tickMs } = viewClock(env);
  let frameId = 0;
  let scheduled = false;
  let destroyed = false;
  /** @type {ReturnType<typeof setInterval> | null} */
  let ticker = null;

  function invalidate() {
    if (scheduled || destroyed) return;
    scheduled = true;
    frameId = raf(onFrame);
  }

  function onFrame() {
    scheduled = false;
    if (!destroyed) draw();
  }

  function tick() {
    if (destroyed) return;
    onTick?.();
    invalidate();
  }

  return {
    invalidate,

    /** @param {boolean} on  whether the ticker runs */
    setTicking(on) {
      if (on && !ticker && !destroyed) {
        ticker = setInterval(tick, tickMs);
        // Do not keep a Node test process alive; no-op in browsers.
        /** @type {any} */ (ticker)?.unref?.();
      } else if (!on && ticker) {
        clearInterval(ticker);
        ticker = null;
      }
    },

    get destroyed() {
      return destroyed;
    },

    destroy() {
      if (destroyed) return;
      destroyed = true;
      if (scheduled) caf(frameId);
      scheduled = false;
      if (ticker) clearInterval(ticker);
      ticker = null;
    },
  };
}
