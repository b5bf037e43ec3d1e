import { el, setClass, setText } from './dom.js';
import { ago, dateTime, lossPercent, megabits, milliseconds, period, until } from './format.js';

// The task list: one card per task, rebuilt only when that task's data changed; times
// ("last run 12 s ago") are refreshed by tick(). Each card ends with the latest results
// as a src × dst matrix.

/** How long a first click on Delete waits for the confirming second one. */
const CONFIRM_MS = 4000;

export class TaskList {
  /** @param root the list container; @param now () => bridge clock; @param tokenOf () => admin token */
  constructor(root, now, tokenOf, onChanged) {
    this.root = root;
    this.now = now;
    this.tokenOf = tokenOf;
    this.onChanged = onChanged;
    this.cards = new Map();
    /** Task id -> timer of a Delete waiting for its confirmation; kept here, so a card rebuilt by new results stays armed. */
    this.armed = new Map();
    this.grafanaUrl = null;
    this.emptyText = 'No tasks yet. Create one with the form.';
  }

  setGrafana(url) {
    this.grafanaUrl = url;
  }

  /** Shown instead of the list when the bridge has no tasks API or it failed. */
  unavailable(message) {
    this.cards.clear();
    this.root.replaceChildren(el('p', { class: 'empty' }, message));
  }

  update(tasks) {
    const seen = new Set();
    const sorted = [...tasks].sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
    for (const task of sorted) {
      seen.add(task.id);
      const json = JSON.stringify(task);
      let card = this.cards.get(task.id);
      if (card && card.json === json) continue;
      const next = this.renderCard(task, json);
      if (card) card.node.replaceWith(next.node);
      this.cards.set(task.id, next);
    }
    for (const [id, card] of this.cards) {
      if (!seen.has(id)) {
        card.node.remove();
        this.cards.delete(id);
      }
    }
    const nodes = sorted.map((t) => this.cards.get(t.id).node);
    if (nodes.length === 0) this.root.replaceChildren(el('p', { class: 'empty' }, this.emptyText));
    else if (nodes.some((n, i) => this.root.children[i] !== n) || this.root.children.length !== nodes.length) this.root.replaceChildren(...nodes);
    this.tick();
  }

  tick() {
    const now = this.now();
    for (const card of this.cards.values()) {
      const t = card.task;
      setText(card.lastRun, t.last_run_at ? `last run ${ago(t.last_run_at, now)}` : 'not run yet');
      const next = t.status === 'finished' || t.status === 'failed' || !t.next_run_at ? '' : `next ${until(t.next_run_at, now)}`;
      setText(card.nextRun, next);
      card.nextRun.hidden = next === '';
    }
  }

  renderCard(task, json) {
    const lastRun = el('span', { class: 'when' });
    const nextRun = el('span', { class: 'when' });
    const del = el('button', { type: 'button', class: 'btn danger small', title: 'Delete this task and its metrics' }, 'Delete');
    showArmed(del, this.armed.has(task.id));
    del.addEventListener('click', () => {
      if (!this.armed.has(task.id)) return this.arm(task.id);
      clearTimeout(this.armed.get(task.id));
      this.armed.delete(task.id);
      void this.remove(task, del, error);
    });
    const error = el('p', { class: 'card-error', role: 'alert', hidden: true });
    const links = [];
    if (this.grafanaUrl) {
      links.push(el('a', { href: `${this.grafanaUrl}/d/fleetpulse-network?var-task=${encodeURIComponent(task.id)}`, target: '_blank', rel: 'noopener', class: 'ext' }, 'Grafana'));
    }
    const node = el(
      'article',
      { class: `task status-${task.status}`, dataset: { task: task.id } },
      el(
        'header',
        {},
        el('div', { class: 'task-title' }, el('h3', {}, task.name), el('span', { class: `badge type` }, task.type), el('span', { class: `badge status ${task.status}` }, task.status)),
        el('div', { class: 'task-actions' }, links, del),
      ),
      task.description ? el('p', { class: 'description' }, task.description) : null,
      el(
        'p',
        { class: 'meta' },
        el('span', {}, period(task.period_seconds)),
        el('span', { title: `${task.start} → ${task.end}` }, `${dateTime(task.start)} → ${dateTime(task.end)}`),
        el('span', {}, `${task.members.length} members`),
        lastRun,
        nextRun,
      ),
      task.status_reason ? el('p', { class: `reason ${task.status}` }, task.status_reason) : null,
      error,
      matrix(task),
    );
    return { node, json, task, lastRun, nextRun, del };
  }

  arm(id) {
    const timer = setTimeout(() => {
      this.armed.delete(id);
      const card = this.cards.get(id);
      if (card) showArmed(card.del, false);
    }, CONFIRM_MS);
    this.armed.set(id, timer);
    const card = this.cards.get(id);
    if (card) showArmed(card.del, true);
  }

  async remove(task, button, error) {
    button.disabled = true;
    const token = this.tokenOf();
    const res = await fetch(`/api/tasks/${encodeURIComponent(task.id)}`, { method: 'DELETE', headers: token ? { authorization: `Bearer ${token}` } : {} }).catch((err) => err);
    if (res instanceof Error || !res.ok) {
      const answer = res instanceof Error ? null : await res.json().catch(() => null);
      error.textContent = `Not deleted: ${answer?.error ?? (res instanceof Error ? res.message : `${res.status} ${res.statusText}`)}`;
      error.hidden = false;
      button.disabled = false;
      showArmed(button, false);
      return;
    }
    this.onChanged();
  }
}

function showArmed(button, armed) {
  setText(button, armed ? 'Confirm delete' : 'Delete');
  setClass(button, 'armed', armed);
}

/** The newest result per ordered pair. */
function latestByPair(results) {
  const latest = new Map();
  for (const r of results ?? []) {
    const key = `${r.src}\u0000${r.dst}`;
    const have = latest.get(key);
    if (!have || r.at > have.at) latest.set(key, r);
  }
  return latest;
}

function matrix(task) {
  const latest = latestByPair(task.results);
  if (latest.size === 0) return el('p', { class: 'no-results' }, 'No results yet: they appear after the first run.');
  let newest = '';
  for (const r of latest.values()) if (r.at > newest) newest = r.at;
  const head = el('tr', {}, el('th', { class: 'corner', scope: 'col' }, el('span', {}, 'from ↓ to →')), task.members.map((dst) => el('th', { scope: 'col' }, dst)));
  const rows = task.members.map((src) =>
    el('tr', {}, el('th', { scope: 'row' }, src), task.members.map((dst) => (src === dst ? el('td', { class: 'diag' }, '') : resultCell(task.type, latest.get(`${src}\u0000${dst}`))))),
  );
  return el(
    'div',
    { class: 'matrix-wrap' },
    el('p', { class: 'matrix-caption' }, `Latest results · ${dateTime(newest)}`),
    el('table', { class: 'matrix' }, el('thead', {}, head), el('tbody', {}, rows)),
  );
}

function resultCell(type, r) {
  if (!r) return el('td', { class: 'pending', title: 'no result for this pair yet' }, '…');
  if (!r.ok) {
    return el('td', { class: 'fail', title: r.message ?? r.reason ?? 'failed' }, el('span', { class: 'primary' }, '✕ failed'), el('span', { class: 'secondary' }, r.reason ?? 'error'));
  }
  if (type === 'bandwidth') {
    return el('td', { class: 'ok', title: `${r.src} → ${r.dst} at ${r.at}` }, el('span', { class: 'primary' }, megabits(r.bandwidth_bits_per_second)));
  }
  const loss = r.loss_ratio ?? 0;
  const details = [
    `${r.src} → ${r.dst} at ${r.at}`,
    `RTT min/avg/max ${milliseconds(r.rtt_min_seconds)} / ${milliseconds(r.rtt_avg_seconds)} / ${milliseconds(r.rtt_max_seconds)}`,
    `jitter ${milliseconds(r.jitter_seconds)}, ${lossPercent(r.loss_ratio)}`,
    `one-way ${milliseconds(r.one_way_delay_seconds)}, jitter ${milliseconds(r.one_way_jitter_seconds)}, ${lossPercent(r.one_way_loss_ratio)}`,
  ].join('\n');
  return el(
    'td',
    { class: loss >= 1 ? 'fail' : loss > 0 ? 'warn' : 'ok', title: details },
    el('span', { class: 'primary' }, milliseconds(r.rtt_avg_seconds)),
    el('span', { class: 'secondary' }, lossPercent(r.loss_ratio)),
  );
}
