import { el, setClass } from './dom.js';

// The "New task" form. The bridge's API is the one validator: the form sends what was
// entered and shows the API's error next to the fields, so the rules live in one place.

const TOKEN_KEY = 'fleetpulse.adminToken';
const UNIT_SECONDS = { seconds: 1, minutes: 60, hours: 3600 };
// Words in an API error that point at a field, to mark it as well as show the message.
const FIELD_HINTS = [
  ['name', /\bname\b/i],
  ['members', /\bmembers?\b|\bagents?\b/i],
  ['start', /\bstart\b/i],
  ['end', /\bend\b/i],
  ['period', /\bperiod/i],
  ['count', /\bcount\b/i],
  ['interval_ms', /\binterval_ms\b/i],
  ['duration_ms', /\bduration_ms\b/i],
  ['type', /\btype\b/i],
];

/** A datetime-local value ("2024-05-01T09:00") for a Date, in the browser's time zone. */
export function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export class TaskForm {
  /** @param form the <form>; @param onCreated (task) => void */
  constructor(form, onCreated) {
    this.form = form;
    this.onCreated = onCreated;
    this.f = form.elements;
    this.memberList = form.querySelector('#member-list');
    this.memberCount = form.querySelector('#member-count');
    this.errorBox = form.querySelector('#form-error');
    this.notice = form.querySelector('#form-notice');
    this.members = new Map();
    this.selected = new Set();
    this.memberFilter = '';
    this.resetTimes();
    this.f.token.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
    this.f.token.addEventListener('input', () => sessionStorage.setItem(TOKEN_KEY, this.f.token.value));
    for (const radio of form.querySelectorAll('input[name="type"]')) radio.addEventListener('change', () => this.showOptions());
    form.querySelector('#member-filter').addEventListener('input', (e) => {
      this.memberFilter = e.target.value.trim().toLowerCase();
      this.filterMembers();
    });
    form.querySelector('#members-all').addEventListener('click', () => this.selectShown(true));
    form.querySelector('#members-none').addEventListener('click', () => this.selectShown(false));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    this.showOptions();
  }

  resetTimes() {
    const now = new Date();
    this.f.start.value = localInputValue(now);
    this.f.end.value = localInputValue(new Date(now.getTime() + 3600_000));
  }

  showOptions() {
    const type = this.form.querySelector('input[name="type"]:checked').value;
    for (const group of this.form.querySelectorAll('[data-options]')) {
      const on = group.dataset.options === type;
      group.hidden = !on;
      for (const input of group.querySelectorAll('input')) input.disabled = !on;
    }
  }

  /** Keeps the member checkboxes in step with the known agents, preserving the selection. */
  updateAgents(agents) {
    const ids = new Set(agents.map((a) => a.id));
    for (const [id, item] of this.members) {
      if (!ids.has(id)) {
        item.label.remove();
        this.members.delete(id);
        this.selected.delete(id);
      }
    }
    let added = false;
    for (const agent of agents) {
      let item = this.members.get(agent.id);
      if (!item) {
        const box = el('input', { type: 'checkbox', value: agent.id, name: 'member' });
        box.addEventListener('change', () => {
          if (box.checked) this.selected.add(agent.id);
          else this.selected.delete(agent.id);
          this.countMembers();
        });
        const label = el('label', { class: 'member' }, box, el('span', { class: 'dot', 'aria-hidden': 'true' }), el('span', { class: 'member-id' }, agent.id));
        item = { box, label, search: agent.id.toLowerCase() };
        this.members.set(agent.id, item);
        added = true;
      }
      setClass(item.label, 'lost', !agent.connected);
      item.label.title = agent.connected ? `${agent.id} (${agent.address})` : `${agent.id}: disconnected`;
    }
    if (added) {
      const sorted = [...this.members.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, item]) => item.label);
      this.memberList.replaceChildren(...sorted);
      this.filterMembers();
    }
    this.memberList.classList.toggle('is-empty', this.members.size === 0);
    this.countMembers();
  }

  filterMembers() {
    for (const item of this.members.values()) item.label.hidden = this.memberFilter !== '' && !item.search.includes(this.memberFilter);
  }

  selectShown(on) {
    for (const [id, item] of this.members) {
      if (item.label.hidden) continue;
      item.box.checked = on;
      if (on) this.selected.add(id);
      else this.selected.delete(id);
    }
    this.countMembers();
  }

  countMembers() {
    const n = this.selected.size;
    this.memberCount.textContent = `${n} selected`;
  }

  body() {
    const type = this.form.querySelector('input[name="type"]:checked').value;
    const num = (input) => (input.value.trim() === '' ? undefined : Number(input.value));
    const iso = (input) => {
      const date = new Date(input.value);
      return Number.isNaN(date.getTime()) ? input.value : date.toISOString();
    };
    const periodValue = num(this.f.period);
    const options = type === 'latency' ? { count: num(this.f.count), interval_ms: num(this.f.interval_ms) } : { duration_ms: num(this.f.duration_ms) };
    const body = {
      name: this.f.name.value.trim(),
      type,
      members: [...this.selected].sort(),
      start: iso(this.f.start),
      end: iso(this.f.end),
      period_seconds: periodValue === undefined ? null : Math.round(periodValue * UNIT_SECONDS[this.f.unit.value]),
      options: Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    };
    const description = this.f.description.value.trim();
    if (description !== '') body.description = description;
    return body;
  }

  async submit() {
    this.showError(null);
    const button = this.form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const headers = { 'content-type': 'application/json' };
      const token = this.f.token.value.trim();
      if (token !== '') headers.authorization = `Bearer ${token}`;
      const res = await fetch('/api/tasks', { method: 'POST', headers, body: JSON.stringify(this.body()) });
      const answer = await res.json().catch(() => null);
      if (!res.ok || answer?.status !== 'success') {
        const message = answer?.error ?? `the bridge answered ${res.status} ${res.statusText}`;
        this.showError(message, answer?.errorType, res.status);
        return;
      }
      this.f.name.value = '';
      this.f.description.value = '';
      this.showNotice(`Task “${answer.data.name}” created.`);
      this.onCreated(answer.data);
    } catch (err) {
      this.showError(`could not reach the bridge: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  }

  showError(message, errorType, status) {
    for (const field of this.form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
    this.errorBox.hidden = message === null;
    if (message === null) return;
    this.notice.hidden = true;
    const title = status === 401 || status === 403 ? 'Not allowed' : status === 404 ? 'No tasks API on this bridge' : 'The task was not created';
    this.errorBox.replaceChildren(el('strong', {}, title), el('span', {}, message));
    const marked = status === 401 || status === 403 ? ['token'] : FIELD_HINTS.filter(([, re]) => re.test(message)).map(([name]) => name);
    for (const name of marked) this.form.querySelector(`[data-field="${name}"]`)?.setAttribute('aria-invalid', 'true');
    if (errorType) this.errorBox.dataset.errorType = errorType;
  }

  showNotice(text) {
    this.notice.textContent = text;
    this.notice.hidden = false;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => (this.notice.hidden = true), 6000);
  }
}
