// @ts-check
// The inspector page: draws what the server's feed says, and sends the buttons' commands.
// Plain browser JavaScript with no build step, checked by TypeScript (npm run typecheck) against
// the types of the server's feed; `dagre` (the layout library) is loaded before it.

/** @typedef {import('../feed.js').PageMessage} PageMessage */
/** @typedef {import('../feed.js').HelloMessage} HelloMessage */
/** @typedef {import('../feed.js').UpdateMessage} UpdateMessage */
/** @typedef {import('../feed.js').ExternalMessage} ExternalMessage */
/** @typedef {import('../feed.js').PlanView} PlanView */
/** @typedef {import('../feed.js').JobView} JobView */
/** @typedef {import('../feed.js').MachineGraph} MachineGraph */
/** @typedef {import('../feed.js').StateValue} StateValue */
/** @typedef {{ x: number, y: number }} Point */
/** @typedef {{ x: number, y: number, width: number, height: number }} Box */
/** @typedef {{ width: number, height: number, nodes: Map<string, Box>, edges: Point[][] }} Layout */

/** The layout library, loaded by its own script tag as a global. */
const dagre = /** @type {typeof import('@dagrejs/dagre')} */ (
  /** @type {{ dagre: unknown }} */ (/** @type {unknown} */ (globalThis)).dagre
);

const SVG = 'http://www.w3.org/2000/svg';
const LOG_ROWS = 500;
/** Last lines of the selected job's output shown in its panel; the link opens the whole log. */
const OUTPUT_LINES = 20;
/** While the selected job runs, its output is read again at most this often. */
const OUTPUT_REFRESH_MS = 1000;
/** Above this many jobs the graph is laid out in dependency layers instead of by dagre. */
const DAGRE_LIMIT = 1500;
const token = new URLSearchParams(location.hash.slice(1)).get('token');

/**
 * @type {{
 *   view: PlanView | null,
 *   planState: StateValue | null,
 *   jobStates: Record<string, StateValue>,
 *   trail: StateValue[],
 *   selected: string | null,
 *   ended: boolean,
 *   jobsById: Map<string, JobView>,
 *   nodes: Map<string, SVGGElement>,
 *   external: Map<string, { machine: string, value: string, event: string }>,
 * }}
 */
const state = {
  view: null,
  planState: null,
  jobStates: {},
  trail: [],
  selected: null,
  ended: false,
  jobsById: new Map(),
  nodes: new Map(),
  external: new Map(),
};

/** An element of the page, which has every id this script asks for. */
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const button = (/** @type {string} */ id) => /** @type {HTMLButtonElement} */ ($(id));
const svgOf = (/** @type {string} */ id) =>
  /** @type {SVGSVGElement} */ (/** @type {unknown} */ ($(id)));

/**
 * @param {string} name
 * @param {Record<string, string | number>} attributes
 * @param {Element | null} parent
 * @returns {SVGElement}
 */
function el(name, attributes = {}, parent = null) {
  const node = /** @type {SVGElement} */ (document.createElementNS(SVG, name));
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (parent) parent.appendChild(node);
  return node;
}

const textWidth = (/** @type {string} */ text, size = 7) => Math.max(40, text.length * size + 16);

/** @param {number | undefined} ms */
function formatDuration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** @param {JobView} job */
function durationOf(job) {
  if (job.startedAt === undefined) return undefined;
  const end = job.endedAt ?? (state.ended ? undefined : Date.now());
  return end === undefined ? undefined : end - job.startedAt;
}

/**
 * The ids of the active states in a snapshot value: `{running: 'idle'}` → running, running.idle.
 * @param {StateValue | null | undefined} value
 * @returns {string[]}
 */
function activeIds(value, prefix = '') {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [prefix + value];
  return Object.entries(value).flatMap(([key, child]) => [
    prefix + key,
    ...activeIds(child, `${prefix}${key}.`),
  ]);
}

const valueText = (/** @type {StateValue | null | undefined} */ value) =>
  activeIds(value).at(-1) ?? '?';

/** @param {Point[]} points */
function pathOf(points) {
  return points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`)
    .join(' ');
}

/**
 * Sizes an SVG to its drawing; CSS scales it down to the panel's width.
 * @param {SVGSVGElement} svg
 * @param {number} width
 * @param {number} height
 */
function sizeTo(svg, width, height) {
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
}

/** @param {SVGSVGElement} svg */
function arrowhead(svg) {
  const marker = el(
    'marker',
    { id: `arrow-${svg.id}`, viewBox: '0 0 10 10', refX: 9, refY: 5 },
    el('defs', {}, svg),
  );
  for (const [key, value] of Object.entries({ markerWidth: 7, markerHeight: 7, orient: 'auto' })) {
    marker.setAttribute(key, String(value));
  }
  el('path', { d: 'M0,0L10,5L0,10z', fill: '#9aa3b2' }, marker);
}

// --- the plan graph -------------------------------------------------------------------------

/**
 * @param {JobView[]} jobs
 * @returns {Layout}
 */
function layoutPlan(jobs) {
  if (jobs.length > DAGRE_LIMIT) return layers(jobs);
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 40, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const job of jobs)
    graph.setNode(job.id, { width: Math.max(130, textWidth(job.id)), height: 40 });
  for (const job of jobs) for (const dep of job.dependsOn) graph.setEdge(dep, job.id);
  dagre.layout(graph);
  return {
    width: graph.graph().width,
    height: graph.graph().height,
    nodes: new Map(jobs.map((job) => [job.id, graph.node(job.id)])),
    edges: graph
      .edges()
      .map((/** @type {import('@dagrejs/dagre').Edge} */ e) => graph.edge(e).points),
  };
}

/**
 * A plain layered layout for very large plans, where dagre would take too long.
 * @param {JobView[]} jobs
 * @returns {Layout}
 */
function layers(jobs) {
  /** @type {Map<string, number>} */
  const depth = new Map();
  /** @type {string[][]} */
  const byLayer = [];
  for (const job of jobs) {
    const d = Math.max(-1, ...job.dependsOn.map((dep) => depth.get(dep) ?? 0)) + 1;
    depth.set(job.id, d);
    // Appended in place: copying the layer for each job made this quadratic in a wide plan.
    byLayer[d] ??= [];
    byLayer[d].push(job.id);
  }
  const nodes = new Map();
  for (const [d, ids] of byLayer.entries()) {
    for (const [i, id] of ids.entries()) {
      nodes.set(id, { x: 80 + d * 170, y: 30 + i * 48, width: 150, height: 40 });
    }
  }
  const tallest = byLayer.reduce((most, ids) => Math.max(most, ids?.length ?? 0), 0);
  return { width: byLayer.length * 170 + 20, height: tallest * 48 + 20, nodes, edges: [] };
}

function drawPlan() {
  if (!state.view) return;
  const svg = svgOf('plan-graph');
  svg.replaceChildren();
  state.nodes.clear();
  const jobs = state.view.jobs;
  const layout = layoutPlan(jobs);
  sizeTo(svg, layout.width, layout.height);
  arrowhead(svg);
  for (const points of layout.edges) {
    el('path', { class: 'edge', d: pathOf(points), 'marker-end': `url(#arrow-${svg.id})` }, svg);
  }
  for (const job of jobs) {
    const box = /** @type {Box} */ (layout.nodes.get(job.id));
    const group = /** @type {SVGGElement} */ (el('g', { class: 'job', 'data-job': job.id }, svg));
    group.setAttribute(
      'transform',
      `translate(${box.x - box.width / 2},${box.y - box.height / 2})`,
    );
    el('rect', { width: box.width, height: box.height }, group);
    el('text', { x: 8, y: 16 }, group).textContent = job.id;
    el('text', { x: 8, y: 31, class: 'meta' }, group);
    group.addEventListener('click', () => select(job.id));
    state.nodes.set(job.id, group);
    paintJob(job);
  }
}

/** @param {JobView} job */
function paintJob(job) {
  const group = state.nodes.get(job.id);
  if (!group) return;
  group.setAttribute('class', state.selected === job.id ? 'job selected' : 'job');
  group.setAttribute('data-status', job.status);
  group.style.setProperty('--status', `var(--${job.status})`);
  const attempts = job.attempt > 0 ? `#${job.attempt} ` : '';
  /** @type {Element} */ (group.querySelector('.meta')).textContent =
    `${job.status} ${attempts}${formatDuration(durationOf(job))}`.trim();
}

// --- statecharts ----------------------------------------------------------------------------

/**
 * Lays out and draws a machine graph, states nested in their parents; done once per page.
 * @param {SVGSVGElement} svg
 * @param {MachineGraph} machine
 */
function drawChart(svg, machine) {
  svg.replaceChildren();
  const graph = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  graph.setGraph({ rankdir: 'TB', nodesep: 18, ranksep: 28, marginx: 6, marginy: 6 });
  const parents = new Set(machine.states.map((s) => s.parent).filter(Boolean));
  for (const s of machine.states) {
    graph.setNode(s.id, { width: textWidth(s.key), height: 28, label: s.key });
    if (s.parent) graph.setParent(s.id, s.parent);
  }
  /**
   * dagre cannot route edges to clusters: a compound state stands in through its first child.
   * @param {string} id
   * @returns {string}
   */
  const firstChild = (id) =>
    parents.has(id)
      ? firstChild(machine.states.find((s) => s.parent === id && s.initial)?.id ?? id)
      : id;
  // Transitions between the same two states share one arrow, with one label line each.
  /** @type {Map<string, string[]>} */
  const edges = new Map();
  for (const t of machine.transitions) {
    const key = `${firstChild(t.source)}\u0000${firstChild(t.target)}`;
    edges.set(key, [...(edges.get(key) ?? []), t.label]);
  }
  for (const [key, labels] of edges) {
    const [source = '', target = ''] = key.split('\u0000');
    const width = Math.max(...labels.map((label) => textWidth(label, 5)));
    graph.setEdge(
      source,
      target,
      { labels, width, height: 11 * labels.length, labelpos: 'c' },
      key,
    );
  }
  dagre.layout(graph);
  sizeTo(svg, graph.graph().width, graph.graph().height);
  arrowhead(svg);
  const byDepth = [...machine.states].sort(
    (a, b) => a.id.split('.').length - b.id.split('.').length,
  );
  for (const s of byDepth) {
    const box = graph.node(s.id);
    const classes = ['state'];
    if (parents.has(s.id)) classes.push('compound');
    if (s.final) classes.push('final');
    const group = el('g', { class: classes.join(' '), 'data-state': s.id }, svg);
    el(
      'rect',
      {
        class: 'state-box',
        x: box.x - box.width / 2,
        y: box.y - box.height / 2,
        width: box.width,
        height: box.height,
      },
      group,
    );
    const top = parents.has(s.id) ? box.y - box.height / 2 + 13 : box.y + 4;
    el('text', { x: box.x, y: top, 'text-anchor': 'middle' }, group).textContent = s.key;
  }
  for (const edge of graph.edges()) {
    const data = graph.edge(edge);
    el(
      'path',
      { class: 'transition', d: pathOf(data.points), 'marker-end': `url(#arrow-${svg.id})` },
      svg,
    );
    const text = el('text', { class: 'transition-label', 'text-anchor': 'middle' }, svg);
    data.labels.forEach((/** @type {string} */ label, /** @type {number} */ i) => {
      const line = el('tspan', { x: data.x, y: data.y - data.height / 2 + 9 + i * 11 }, text);
      line.textContent = label;
    });
  }
}

/**
 * Marks the states a snapshot value says are active.
 * @param {SVGSVGElement} svg
 * @param {StateValue | null | undefined} value
 */
function highlight(svg, value) {
  const active = new Set(activeIds(value));
  for (const group of svg.querySelectorAll('g[data-state]')) {
    const { dataset } = /** @type {SVGGElement} */ (group);
    group.classList.toggle('active', active.has(dataset.state ?? ''));
  }
}

// --- the panels -----------------------------------------------------------------------------

/** @param {string} jobId */
function select(jobId) {
  const previous = state.selected;
  state.selected = jobId;
  for (const id of [previous, jobId]) {
    const job = id === null ? undefined : state.jobsById.get(id);
    if (job) paintJob(job);
  }
  renderJob();
}

function renderJob() {
  const job = state.selected === null ? undefined : state.jobsById.get(state.selected);
  $('job-id').textContent = job ? job.id : 'none selected';
  const facts = $('job-facts');
  facts.replaceChildren();
  const fact = (/** @type {string} */ name, /** @type {string | undefined} */ value) => {
    if (value === undefined || value === '') return;
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = value;
    dd.dataset.fact = name;
    facts.append(dt, dd);
  };
  if (job) {
    fact('status', job.waiting === undefined ? job.status : 'queued');
    fact('waiting', job.waiting);
    fact(
      'machine state',
      state.jobStates[job.id] ? valueText(state.jobStates[job.id]) : 'not started',
    );
    fact('attempt', String(job.attempt));
    fact('worker', job.worker);
    fact('duration', formatDuration(durationOf(job)));
    fact('depends on', job.dependsOn.join(', ') || '—');
    if (job.failure)
      fact(
        job.status === 'failed' ? 'failure' : 'last failure',
        `${job.failure.kind}: ${job.failure.error?.message ?? ''}`,
      );
    if (job.blockedBy) fact('blocked by', job.blockedBy);
    if (job.output !== undefined) fact('output', JSON.stringify(job.output));
  }
  showOutput(job);
  const live = !state.ended && job;
  button('retry').disabled = !(live && ['failed', 'blocked', 'canceled'].includes(job.status));
  button('skip').disabled = !(live && !['succeeded', 'skipped', 'canceled'].includes(job.status));
  highlight(svgOf('job-chart'), job ? state.jobStates[job.id] : null);
}

/** @type {{ key: string | null, readAt: number }} */
const output = { key: null, readAt: 0 };

/**
 * The last lines the selected job printed, read from the server's log of its latest attempt.
 * @param {JobView | null | undefined} job
 */
async function showOutput(job) {
  const key = job ? `${job.id}|${job.attempt}|${job.status}` : null;
  const running = job && ['running', 'retrying', 'verifying'].includes(job.status);
  if (key === output.key && !(running && Date.now() - output.readAt > OUTPUT_REFRESH_MS)) return;
  output.key = key;
  output.readAt = Date.now();
  const pre = $('job-log');
  const link = /** @type {HTMLAnchorElement} */ ($('job-log-link'));
  if (!job || job.attempt === 0) {
    pre.textContent = job ? 'not started' : 'select a job';
    link.hidden = true;
    return;
  }
  const path = `/api/logs/${encodeURIComponent(job.id)}`;
  try {
    const response = await fetch(`${path}?tail=${OUTPUT_LINES}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (output.key !== key) return; // another job was selected meanwhile
    if (!response.ok) {
      pre.textContent = (await response.json()).error;
      link.hidden = true;
      return;
    }
    const attempt = response.headers.get('x-attempt') ?? '';
    pre.textContent = (await response.text()) || '(no output)';
    pre.dataset.attempt = attempt;
    link.href = `${path}?attempt=${attempt}&token=${encodeURIComponent(token ?? '')}`;
    link.textContent = `full log (attempt ${attempt})`;
    link.hidden = false;
  } catch {
    pre.textContent = 'the output could not be read';
  }
}

/** @param {PlanView['checkpoint']} checkpoint */
function describeCheckpoint(checkpoint) {
  if (!checkpoint) return 'no checkpoint';
  const job = 'jobId' in checkpoint ? ` for job "${checkpoint.jobId}"` : '';
  const kind = 'kind' in checkpoint ? ` (${checkpoint.kind})` : '';
  return `waiting at checkpoint ${checkpoint.name}${job}${kind}`;
}

/**
 * The command the approve button sends at a checkpoint.
 * @param {PlanView['checkpoint'] | undefined} checkpoint
 */
function approvalFor(checkpoint) {
  if (!checkpoint) return null;
  if (checkpoint.name === 'persistence' || checkpoint.name === 'user') return { type: 'RESUME' };
  return 'jobId' in checkpoint
    ? { type: 'APPROVE', checkpoint: checkpoint.name, jobId: checkpoint.jobId }
    : { type: 'APPROVE', checkpoint: checkpoint.name };
}

function renderPlan() {
  const view = state.view;
  if (!view) return;
  $('plan-id').textContent = view.planId;
  const status = $('plan-status');
  status.textContent = view.status;
  status.className = `badge ${view.status}`;
  status.dataset.status = view.status;
  $('plan-state').textContent = valueText(state.planState);
  $('plan-trail').textContent = state.trail.length
    ? `passed: ${state.trail.map(valueText).join(' → ')}`
    : '';
  $('checkpoint').textContent = describeCheckpoint(view.checkpoint);
  const approval = approvalFor(view.checkpoint);
  button('approve').disabled = state.ended || !approval;
  button('approve').textContent = approval?.type === 'RESUME' ? 'Resume' : 'Approve';
  button('pause').disabled = state.ended || view.status !== 'running';
  button('cancel').disabled = state.ended;
  const counts = $('counts');
  counts.replaceChildren();
  for (const [name, count] of Object.entries(view.counts)) {
    if (count === 0) continue;
    const span = document.createElement('span');
    span.style.setProperty('--status', `var(--${name})`);
    span.textContent = `${name} ${count}`;
    counts.append(span);
  }
  highlight(svgOf('plan-chart'), state.planState);
}

/** @param {HelloMessage['log'][number]} record */
function describeRecord(record) {
  const { seq, at, type, ...rest } = record;
  const time = new Date(at).toISOString().slice(11, 23);
  return `${time} #${seq} ${type} ${JSON.stringify(rest)}`;
}

/** @param {HelloMessage['log']} records */
function addLog(records) {
  const log = $('log');
  for (const record of records) {
    const li = document.createElement('li');
    li.value = record.seq;
    li.textContent = describeRecord(record);
    if (/failed|rejected|canceled/.test(record.type)) li.className = 'problem';
    log.prepend(li);
  }
  while (log.childElementCount > LOG_ROWS) log.lastElementChild?.remove();
}

/** @param {string} text */
function notice(text, problem = false) {
  const box = $('notice');
  box.textContent = text;
  box.className = problem ? 'rejected' : '';
}

// --- the feed -------------------------------------------------------------------------------

/** @param {HelloMessage} message */
function onHello(message) {
  state.view = message.view;
  state.planState = message.planState;
  state.jobStates = message.jobStates;
  state.ended = message.ended;
  state.jobsById = new Map(message.view.jobs.map((job) => [job.id, job]));
  state.selected ??= message.view.jobs[0]?.id ?? null;
  drawChart(svgOf('job-chart'), message.machines.job);
  drawChart(svgOf('plan-chart'), message.machines.plan);
  $('log').replaceChildren();
  addLog(message.log);
  drawPlan();
  renderPlan();
  renderJob();
}

/** @param {UpdateMessage} message */
function onUpdate(message) {
  let added = false;
  for (const job of message.jobs) {
    if (!state.jobsById.has(job.id)) added = true;
    state.jobsById.set(job.id, job);
  }
  state.view = { ...message.plan, jobs: [...state.jobsById.values()] };
  state.planState = message.planState;
  for (const value of message.planTrail) {
    if (valueText(value) !== valueText(state.trail.at(-1))) state.trail.push(value);
  }
  state.trail = state.trail.slice(-8);
  Object.assign(state.jobStates, message.jobStates);
  if (added) drawPlan();
  else for (const job of message.jobs) paintJob(job);
  addLog(message.records);
  if (message.omitted > 0) $('log-note').textContent = `(${message.omitted} records not shown)`;
  renderPlan();
  renderJob();
}

/** @param {ExternalMessage} message */
function onExternal({ entry }) {
  $('external-panel').hidden = false;
  const actor = state.external.get(entry.sessionId) ?? { machine: '', value: '', event: '' };
  if (entry.kind === 'actor') actor.machine = entry.machineId ?? '';
  // Another app's snapshot value: a state value as far as anyone can tell.
  if (entry.kind === 'snapshot') actor.value = valueText(/** @type {StateValue} */ (entry.value));
  if (entry.kind === 'event') actor.event = entry.eventType;
  state.external.set(entry.sessionId, actor);
  const rows = [...state.external].map(([id, a]) => {
    const tr = document.createElement('tr');
    for (const text of [id, a.machine, a.value, a.event]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  $('external').replaceChildren(...rows);
}

function connect() {
  if (!token) {
    $('connection').textContent =
      'no token: open the address the command printed (it ends in #token=…)';
    return;
  }
  const socket = new WebSocket(`ws://${location.host}/live?token=${encodeURIComponent(token)}`);
  socket.addEventListener('open', () => {
    $('connection').textContent = 'live';
  });
  socket.addEventListener('message', (event) => {
    const message = /** @type {PageMessage} */ (JSON.parse(event.data));
    if (message.type === 'hello') onHello(message);
    else if (message.type === 'update') onUpdate(message);
    else if (message.type === 'external') onExternal(message);
    else if (message.type === 'ended') {
      state.ended = true;
      renderPlan();
      renderJob();
    }
  });
  socket.addEventListener('close', (event) => {
    // 1013: the inspector has as many pages open as it serves; its reason says so.
    $('connection').textContent = state.ended
      ? 'the plan ended; the inspector has stopped'
      : event.code === 1013
        ? `refused: ${event.reason}`
        : 'disconnected from the inspector';
    document.body.dataset.connection = 'closed';
  });
}

/** @param {{ type: string } & Record<string, unknown>} command */
async function send(command) {
  notice(`sending ${command.type}…`);
  try {
    const response = await fetch('/api/command', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(command),
    });
    const result = await response.json();
    if (result.accepted) notice(`${command.type} accepted`);
    else notice(`${command.type} rejected: ${result.reason}`, true);
  } catch (error) {
    notice(`${command.type} not sent: ${error instanceof Error ? error.message : error}`, true);
  }
}

$('approve').addEventListener('click', () => {
  const command = approvalFor(state.view?.checkpoint);
  if (command) send(command);
});
$('pause').addEventListener('click', () => send({ type: 'PAUSE' }));
$('cancel').addEventListener('click', () =>
  send({ type: 'CANCEL', reason: 'canceled from the inspector' }),
);
$('retry').addEventListener('click', () => send({ type: 'RETRY_JOB', jobId: state.selected }));
$('skip').addEventListener('click', () =>
  send({ type: 'SKIP_JOB', jobId: state.selected, reason: 'skipped from the inspector' }),
);

// Running jobs' durations grow between updates.
setInterval(() => {
  if (state.ended || !state.view) return;
  for (const job of state.jobsById.values()) if (job.status === 'running') paintJob(job);
}, 1000);

connect();
