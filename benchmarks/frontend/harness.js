// What both front-end probes share: a fake anywidget model, the built bundle mounted on it,
// and the measurements (every animation-frame callback, every main-thread task over 50 ms,
// and, where Chromium has them, long animation frames: where a long task's time went).
import factory from "/nbstream/static/widget.js";

export class Model {
  constructor(state) { this.state = state; this.l = new Map(); this.sent = []; }
  get(k) { return this.state[k]; }
  set(k, v) { this.state[k] = v; }
  save_changes() {}
  on(n, cb) { (this.l.get(n) ?? this.l.set(n, new Set()).get(n)).add(cb); }
  off(n, cb) { if (!n) this.l.clear(); else if (!cb) this.l.delete(n); else this.l.get(n)?.delete(cb); }
  send(c) { this.sent.push(c); }
  emit(m) { for (const cb of this.l.get("msg:custom") ?? []) cb(m, []); }
  update(k, v) { this.state[k] = v; for (const cb of this.l.get(`change:${k}`) ?? []) cb(this, v); }
}

/** Initialize the widget on a fake model holding `state` and render one view into #mount. */
export function mount(state) {
  const model = new Model(state);
  const w = factory();
  const mc = new AbortController();
  w.initialize({ model, signal: mc.signal });
  const el = document.createElement("div");
  document.getElementById("mount").replaceChildren(el);
  const vc = new AbortController();
  w.render({ model, el, signal: vc.signal });
  return { model, el, stop: () => { vc.abort(); mc.abort(); } };
}

const longTasks = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(Math.round(e.duration)); })
  .observe({ type: "longtask", buffered: true });
const loafs = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration < 50) continue;
      loafs.push({
        duration: Math.round(e.duration),
        blocking: Math.round(e.blockingDuration),
        styleAndLayout: Math.round(e.startTime + e.duration - (e.styleAndLayoutStart || e.startTime + e.duration)),
        render: Math.round(e.renderStart ? e.startTime + e.duration - e.renderStart : 0),
        scripts: e.scripts.map((s) => `${s.invoker} ${Math.round(s.duration)}ms ${s.sourceFunctionName || ""}`),
      });
    }
  }).observe({ type: "long-animation-frame", buffered: true });
} catch {}
const frameTimes = [];
const nativeRaf = window.requestAnimationFrame.bind(window);
window.requestAnimationFrame = (cb) => nativeRaf((t) => {
  const s = performance.now();
  cb(t);
  frameTimes.push(performance.now() - s);
});

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Wait until rendering has settled: ten animation frames and a little more. */
export const idle = async () => { for (let i = 0; i < 10; i++) await new Promise((r) => nativeRaf(r)); await sleep(100); };

/** What was measured since the last call (or since t0), then start afresh. */
export function summary(label, t0) {
  const sorted = [...frameTimes].sort((a, b) => a - b);
  const out = {
    label,
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
    frames: frameTimes.length,
    maxFrameMs: +(sorted.at(-1) ?? 0).toFixed(1),
    p99FrameMs: +(sorted[Math.floor(sorted.length * 0.99)] ?? 0).toFixed(1),
    meanFrameMs: +(frameTimes.reduce((a, b) => a + b, 0) / Math.max(1, frameTimes.length)).toFixed(2),
    longTasksOver50ms: [...longTasks],
    longAnimationFrames: [...loafs],
  };
  frameTimes.length = 0;
  longTasks.length = 0;
  loafs.length = 0;
  return out;
}
