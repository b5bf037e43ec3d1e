// Formatting shared by the pages. Times are ISO strings from the bridge; `now` is the
// bridge's clock as estimated by app.js, so ages do not depend on the browser's clock.

export function percent(value) {
  return value === null || value === undefined ? '—' : `${value.toFixed(1)} %`;
}

/** "4 s", "12 min", "3 h 5 min", "2 d 4 h" */
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

export function ago(iso, now) {
  if (!iso) return '—';
  const ms = now - Date.parse(iso);
  return ms < 1500 ? 'just now' : `${duration(ms)} ago`;
}

export function until(iso, now) {
  if (!iso) return '—';
  const ms = Date.parse(iso) - now;
  return ms <= 0 ? 'due now' : `in ${duration(ms)}`;
}

// Intl formatters are costly to create: one each, shared (500 rows format on every update).
const TIME = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const DAY = new Intl.DateTimeFormat([], { month: 'short', day: 'numeric' });
const DAY_TIME = new Intl.DateTimeFormat([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** Local time; the date only when it is not today. */
export function clock(iso, now = Date.now()) {
  if (!iso) return '—';
  const date = new Date(iso);
  const time = TIME.format(date);
  return date.toDateString() === new Date(now).toDateString() ? time : `${DAY.format(date)} ${time}`;
}

export function dateTime(iso) {
  return iso ? DAY_TIME.format(new Date(iso)) : '—';
}

export function milliseconds(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const ms = seconds * 1000;
  return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

export function lossPercent(ratio) {
  if (ratio === null || ratio === undefined) return '—';
  const p = ratio * 100;
  return `${p === 0 || p === 100 ? p : p.toFixed(1)} % loss`;
}

export function megabits(bitsPerSecond) {
  if (bitsPerSecond === null || bitsPerSecond === undefined) return '—';
  const mbit = bitsPerSecond / 1e6;
  return `${mbit < 10 ? mbit.toFixed(2) : mbit < 100 ? mbit.toFixed(1) : Math.round(mbit)} Mbit/s`;
}

/** 60 → "every 1 min", 5400 → "every 90 min", 7200 → "every 2 h" */
export function period(seconds) {
  if (seconds % 3600 === 0) return `every ${seconds / 3600} h`;
  if (seconds % 60 === 0) return `every ${seconds / 60} min`;
  return `every ${seconds} s`;
}
