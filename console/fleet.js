import { el, setClass, setText } from './dom.js';
import { ago, clock, percent } from './format.js';
import { reorderChildren } from './reorder.js';
import { createSparkline, drawSparkline, SPARK_POINTS } from './sparkline.js';

// The fleet table. Rows are keyed by agent id and updated in place: an `agents` event
// touches only the cells whose text changed, rows are re-ordered only when the order
// changed, and ages are re-rendered by a 1 s tick without any data.

const COLUMNS = [
  { key: 'id', label: 'Agent', value: (a) => a.id },
  { key: 'address', label: 'Address', value: (a) => a.address },
  { key: 'version', label: 'Version', value: (a) => a.version },
  { key: 'labels', label: 'Labels', value: (a) => labelText(a.labels) },
  { key: 'connected_since', label: 'Connected since', value: (a) => a.connected_since },
  { key: 'last_seen', label: 'Last seen', value: (a) => (a.connected ? a.last_seen : a.disconnected_at ?? a.last_seen), descFirst: true },
  { key: 'cpu', label: 'CPU', value: (a) => a.cpu_percent ?? -1, descFirst: true, numeric: true },
  { key: 'memory', label: 'Memory', value: (a) => a.memory_percent ?? -1, descFirst: true, numeric: true },
  { key: 'disk', label: 'Disk', value: (a) => a.disk_percent ?? -1, descFirst: true, numeric: true },
];

/** Labels as `k=v` strings, by name. */
function labelPairs(labels) {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`);
}

function labelText(labels) {
  return labelPairs(labels).join(' ');
}

/** The address cell's tooltip: where peers reach the agent for measurement tasks. */
function probeTitle(agent) {
  if (!agent.connected) return 'disconnected';
  const probe = agent.probe;
  if (!probe) return 'no probe responder: takes no part in measurement tasks';
  const host = probe.address.includes(':') ? `[${probe.address}]` : probe.address;
  return `probe responder (measurement tasks): ${host}:${probe.port}`;
}

export class FleetPage {
  /** @param root the #page-fleet section; @param now () => bridge clock in ms */
  constructor(root, now) {
    this.now = now;
    this.rows = new Map();
    this.order = [];
    this.sort = { key: 'id', desc: false };
    this.filter = '';
    this.showLost = true;
    this.agents = [];
    this.tbody = root.querySelector('tbody');
    this.table = root.querySelector('table');
    this.empty = root.querySelector('.empty');
    this.shown = root.querySelector('#fleet-shown');
    this.summary = {
      up: root.querySelector('#sum-up'),
      lost: root.querySelector('#sum-lost'),
      cpu: root.querySelector('#sum-cpu'),
      memory: root.querySelector('#sum-memory'),
    };
    this.buildHeader(root.querySelector('thead tr'));
    // Sparklines of rows off screen are redrawn only when they scroll into view: with 500
    // agents most rows are off screen, and redrawing SVG is the costliest part of an update.
    this.visibility = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const row = this.rows.get(entry.target.dataset.agent);
        if (!row) continue;
        row.visible = entry.isIntersecting;
        if (row.visible && row.sparkDirty) drawSparks(row);
      }
    });
    root.querySelector('#fleet-filter').addEventListener('input', (e) => {
      this.filter = e.target.value.trim().toLowerCase();
      this.applyFilter();
    });
    root.querySelector('#show-lost').addEventListener('change', (e) => {
      this.showLost = e.target.checked;
      this.applyFilter();
    });
  }

  buildHeader(tr) {
    this.headers = new Map();
    for (const col of COLUMNS) {
      const button = el('button', { type: 'button', class: 'sort', onclick: () => this.sortBy(col) }, col.label);
      const th = el('th', { scope: 'col', class: col.numeric ? `num col-${col.key}` : `col-${col.key}` }, button);
      this.headers.set(col.key, th);
      tr.append(th);
    }
    this.markSorted();
  }

  sortBy(col) {
    this.sort = this.sort.key === col.key ? { key: col.key, desc: !this.sort.desc } : { key: col.key, desc: Boolean(col.descFirst) };
    this.markSorted();
    this.reorder();
  }

  markSorted() {
    for (const [key, th] of this.headers) {
      const sorted = key === this.sort.key;
      th.setAttribute('aria-sort', sorted ? (this.sort.desc ? 'descending' : 'ascending') : 'none');
    }
  }

  /** Applies one `agents` snapshot; returns the milliseconds it took. */
  update(agents) {
    const started = performance.now();
    this.agents = agents;
    const seen = new Set();
    for (const agent of agents) {
      seen.add(agent.id);
      let row = this.rows.get(agent.id);
      if (!row) {
        row = this.createRow(agent);
        this.rows.set(agent.id, row);
        this.visibility.observe(row.tr);
      }
      this.fillRow(row, agent);
    }
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) {
        this.visibility.unobserve(row.tr);
        row.tr.remove();
        this.rows.delete(id);
      }
    }
    this.reorder();
    this.applyFilter();
    this.updateSummary();
    this.tick();
    const took = performance.now() - started;
    this.table.dataset.renderMs = took.toFixed(2);
    this.table.dataset.renders = String(Number(this.table.dataset.renders ?? 0) + 1);
    return took;
  }

  createRow(agent) {
    const cell = (cls) => el('td', { class: cls });
    const c = {
      id: cell('col-id'),
      address: cell('col-address mono'),
      version: cell('col-version'),
      labels: cell('col-labels'),
      since: cell('col-connected_since'),
      seen: cell('col-last_seen'),
      cpu: cell('num col-cpu'),
      memory: cell('num col-memory'),
      disk: cell('num col-disk'),
    };
    const dot = el('span', { class: 'dot', 'aria-hidden': 'true' });
    const name = el('span', { class: 'agent-id' });
    c.id.append(dot, name);
    const metric = (td, kind) => {
      const spark = createSparkline(kind);
      const value = el('span', { class: 'value' });
      td.append(el('div', { class: 'metric' }, spark.root, value));
      return { spark, value, history: [] };
    };
    const cpu = metric(c.cpu, 'cpu');
    const memory = metric(c.memory, 'memory');
    const bar = el('span', { class: 'bar-fill' });
    const diskValue = el('span', { class: 'value' });
    c.disk.append(el('div', { class: 'metric' }, el('span', { class: 'bar', 'aria-hidden': 'true' }, bar), diskValue));
    const tr = el('tr', { dataset: { agent: agent.id } }, Object.values(c));
    return { tr, c, name, cpu, memory, bar, diskValue, labels: null, since: null, batches: -1, agent, searchText: '', visible: false, sparkDirty: false };
  }

  fillRow(row, agent) {
    const { c } = row;
    row.agent = agent;
    setClass(row.tr, 'lost', !agent.connected);
    // Departed: it said goodbye (a deliberate stop), distinct from down (connection lost).
    setClass(row.tr, 'departed', agent.state === 'departed');
    setText(row.name, agent.id);
    const conflict = agent.id_conflict ? `id conflict: another agent with this id, at ${agent.id_conflict.address}, is refused; give each host its own FLEETPULSE_AGENT_ID` : '';
    setClass(row.name, 'conflict', conflict !== '');
    if (row.name.title !== conflict) row.name.title = conflict;
    setText(c.address, agent.address);
    const probe = probeTitle(agent);
    if (c.address.title !== probe) c.address.title = probe;
    setText(c.version, agent.version);
    const labels = labelText(agent.labels);
    if (row.labels !== labels) {
      row.labels = labels;
      c.labels.replaceChildren(...labelPairs(agent.labels).map((pair) => el('span', { class: 'chip' }, pair)));
    }
    row.searchText = `${agent.id} ${agent.address} ${agent.version} ${labels}`.toLowerCase();
    if (row.since !== agent.connected_since) {
      row.since = agent.connected_since;
      c.since.textContent = clock(agent.connected_since, this.now());
      c.since.title = agent.connected_since;
    }
    // A new batch adds one point to each sparkline; a repeated snapshot adds none.
    if (agent.batches_received !== row.batches) {
      row.batches = agent.batches_received;
      push(row.cpu.history, agent.cpu_percent);
      push(row.memory.history, agent.memory_percent);
      if (row.visible) drawSparks(row);
      else row.sparkDirty = true;
    }
    setText(row.cpu.value, percent(agent.cpu_percent));
    setText(row.memory.value, percent(agent.memory_percent));
    setText(row.diskValue, percent(agent.disk_percent));
    const disk = agent.disk_percent ?? 0;
    const width = `${Math.min(100, Math.max(0, disk)).toFixed(0)}%`;
    if (row.bar.style.width !== width) row.bar.style.width = width;
    setClass(row.bar, 'warn', disk >= 80 && disk < 90);
    setClass(row.bar, 'crit', disk >= 90);
  }

  /** Re-renders the ages (every second, and after each update). */
  tick() {
    const now = this.now();
    for (const row of this.rows.values()) {
      const a = row.agent;
      const text = a.connected ? ago(a.last_seen, now) : `${a.state === 'departed' ? 'departed' : 'lost'} ${ago(a.disconnected_at, now)}`;
      setText(row.c.seen, text);
      const stale = a.connected && now - Date.parse(a.last_seen) > 3 * a.interval_seconds * 1000 + 2000;
      setClass(row.c.seen, 'stale', stale);
    }
  }

  reorder() {
    const col = COLUMNS.find((c) => c.key === this.sort.key);
    const dir = this.sort.desc ? -1 : 1;
    const rows = [...this.rows.values()];
    rows.sort((x, y) => {
      const a = col.value(x.agent);
      const b = col.value(y.agent);
      const cmp = a < b ? -1 : a > b ? 1 : 0;
      return cmp * dir || (x.agent.id < y.agent.id ? -1 : 1);
    });
    const order = rows.map((r) => r.agent.id);
    if (order.length === this.order.length && order.every((id, i) => id === this.order[i])) return;
    this.order = order;
    reorderChildren(this.tbody, rows.map((r) => r.tr));
  }

  applyFilter() {
    let shown = 0;
    for (const row of this.rows.values()) {
      const visible = (this.showLost || row.agent.connected) && (this.filter === '' || row.searchText.includes(this.filter));
      if (row.tr.hidden === visible) row.tr.hidden = !visible;
      if (visible) shown++;
    }
    const total = this.rows.size;
    setText(this.shown, shown === total ? `${total} agent${total === 1 ? '' : 's'}` : `${shown} of ${total} agents`);
    this.empty.hidden = total !== 0;
    this.table.hidden = total === 0;
  }

  updateSummary() {
    let up = 0;
    let cpu = 0;
    let cpuN = 0;
    let memory = 0;
    let memoryN = 0;
    for (const a of this.agents) {
      if (!a.connected) continue;
      up++;
      if (a.cpu_percent !== null) (cpu += a.cpu_percent), cpuN++;
      if (a.memory_percent !== null) (memory += a.memory_percent), memoryN++;
    }
    setText(this.summary.up, String(up));
    setText(this.summary.lost, String(this.agents.length - up));
    // Only lost connections are alarming; departed agents were stopped on purpose.
    setClass(this.summary.lost.closest('.card'), 'alert', this.agents.some((a) => a.state === 'down'));
    setText(this.summary.cpu, cpuN ? percent(cpu / cpuN) : '—');
    setText(this.summary.memory, memoryN ? percent(memory / memoryN) : '—');
  }
}

function push(history, value) {
  if (value === null || value === undefined) return;
  history.push(Math.min(100, Math.max(0, value)));
  if (history.length > SPARK_POINTS) history.shift();
}

function drawSparks(row) {
  row.sparkDirty = false;
  drawSparkline(row.cpu.spark, row.cpu.history);
  drawSparkline(row.memory.spark, row.memory.history);
}
