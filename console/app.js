import { FleetPage } from './fleet.js';
import { TaskForm } from './task-form.js';
import { TaskList } from './task-list.js';

// The console's entry point: reads /api/console-config, opens the /api/events stream and
// hands each snapshot to the page that shows it. Navigation is by #fleet / #tasks.

let clockOffsetMs = 0;
/** The bridge's clock, estimated from /api/console-config, in ms since the epoch. */
const now = () => Date.now() + clockOffsetMs;

const fleet = new FleetPage(document.getElementById('page-fleet'), now);
const taskList = new TaskList(document.getElementById('task-list'), now, () => document.getElementById('token').value.trim(), () => void loadTasks());
const taskForm = new TaskForm(document.getElementById('task-form'), () => void loadTasks());
const status = document.getElementById('conn-status');
let tasksFromStream = false;

function showPage() {
  const page = location.hash === '#tasks' ? 'tasks' : 'fleet';
  for (const section of document.querySelectorAll('main > section')) section.hidden = section.id !== `page-${page}`;
  for (const tab of document.querySelectorAll('nav a')) tab.setAttribute('aria-current', tab.getAttribute('href') === `#${page}` ? 'page' : 'false');
  document.title = `${page === 'tasks' ? 'Tasks' : 'Fleet'} · fleetpulse`;
}

async function loadConfig() {
  const sent = Date.now();
  const res = await fetch('/api/console-config');
  const { data } = await res.json();
  const received = Date.now();
  clockOffsetMs = Date.parse(data.server_time) - (sent + received) / 2;
  document.getElementById('version').textContent = `bridge ${data.version}`;
  const link = (id, url) => {
    const a = document.getElementById(id);
    a.hidden = !url;
    if (url) a.href = url;
  };
  link('link-prometheus', data.prometheus_url);
  link('link-grafana', data.grafana_url && `${data.grafana_url}/d/fleetpulse-overview`);
  taskList.setGrafana(data.grafana_url);
  if (data.grafana_url) checkGrafana(document.getElementById('link-grafana'), data.grafana_url);
}

/**
 * Whether anything answers at the Grafana URL: Grafana serves its logo without a login, and an
 * image is what the page's Content-Security-Policy allows it to load from there.
 */
function checkGrafana(a, base) {
  const img = new Image();
  img.onload = () => {
    a.classList.remove('unreachable');
    a.dataset.answers = 'yes';
    a.textContent = 'Grafana';
    a.removeAttribute('title');
  };
  img.onerror = () => {
    a.classList.add('unreachable');
    a.dataset.answers = 'no';
    a.textContent = 'Grafana (not answering)';
    a.title = `nothing answers as Grafana at ${base}; is it running, and is FLEETPULSE_GRAFANA_URL the address your browser reaches it at?`;
  };
  img.src = `${base}/public/img/grafana_icon.svg`;
}

async function loadTasks() {
  try {
    const res = await fetch('/api/tasks');
    if (res.status === 404) return taskList.unavailable('This bridge has no tasks API.');
    const answer = await res.json();
    if (answer.status !== 'success') return taskList.unavailable(`Tasks could not be loaded: ${answer.error}`);
    taskList.update(answer.data);
  } catch (err) {
    if (!tasksFromStream) taskList.unavailable(`Tasks could not be loaded: ${err.message}`);
  }
}

function setStatus(state, text) {
  status.className = `conn ${state}`;
  status.textContent = text;
}

function showAgents(agents) {
  fleet.update(agents);
  taskForm.updateAgents(agents);
  document.getElementById('fleet-count').textContent = String(agents.filter((a) => a.connected).length);
}

const POLL_MS = 5000;
const STREAM_RETRY_MS = 30_000;
let pollTimer;

/** Without the event stream (refused: too many open, or a proxy that drops it): poll the API. */
async function poll() {
  try {
    const res = await fetch('/api/agents');
    const answer = await res.json();
    if (answer.status !== 'success') throw new Error(answer.error);
    showAgents(answer.data);
    setStatus('polling', 'Polling');
  } catch {
    setStatus('down', 'Disconnected');
  }
  if (!tasksFromStream) void loadTasks();
}

function startPolling() {
  if (!pollTimer) {
    void poll();
    pollTimer = setInterval(() => void poll(), POLL_MS);
  }
  // Try the stream again now and then; it replaces polling once it opens.
  setTimeout(connect, STREAM_RETRY_MS);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = undefined;
}

function connect() {
  const events = new EventSource('/api/events');
  events.addEventListener('open', () => {
    stopPolling();
    setStatus('live', 'Live');
  });
  events.addEventListener('error', () => {
    // CLOSED: the bridge answered with an error (e.g. 429/503, streams refused); EventSource gives up.
    if (events.readyState === EventSource.CLOSED) {
      tasksFromStream = false;
      startPolling();
    } else {
      setStatus('down', 'Reconnecting…');
    }
  });
  events.addEventListener('agents', (e) => showAgents(JSON.parse(e.data)));
  events.addEventListener('tasks', (e) => {
    tasksFromStream = true;
    taskList.update(JSON.parse(e.data));
  });
}

window.addEventListener('hashchange', showPage);
showPage();
let sinceTasksPollMs = 0;
setInterval(() => {
  fleet.tick();
  taskList.tick();
  // A bridge whose event stream has no tasks topic: poll while the tasks page is shown.
  sinceTasksPollMs += 1000;
  if (!tasksFromStream && !document.getElementById('page-tasks').hidden && sinceTasksPollMs >= 5000) {
    sinceTasksPollMs = 0;
    void loadTasks();
  }
}, 1000);
try {
  await loadConfig();
} catch {
  // The page still works without links; ages then use the browser's clock.
}
connect();
void loadTasks();
