// The gateway dashboard: charts drawn as small SVG (no library, no CDN), tables, and the
// replica controls. Management calls ask for the token once and keep it in sessionStorage.
'use strict';
const TOKEN_KEY = 'gateway-management-token';
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const ENT = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};
const $ = (id) => document.getElementById(id);
function esc(s) { return String(s ?? '').replace(/[&<>"']/g, (c) => ENT[c]); }

// Refreshes say so (the gateway logs them at debug level, so its log shows traffic).
const POLL = {'X-Gateway-Poll': 'dashboard'};

async function getJSON(url) {
  let r = await fetch(url, {headers: {...POLL, ...authHeader(false)}});
  if (r.status === 401 && !sessionStorage.getItem(TOKEN_KEY)) {
    // GATEWAY_PROTECT_INTROSPECTION: reading needs the token too; ask once, then retry.
    r = await fetch(url, {headers: {...POLL, ...authHeader(true)}});
  }
  if (r.status === 401 || r.status === 403) sessionStorage.removeItem(TOKEN_KEY);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

// --- token -----------------------------------------------------------------------------
function authHeader(ask) {
  let t = sessionStorage.getItem(TOKEN_KEY);
  if (!t && ask) {
    t = window.prompt('Management token (kept for this browser tab only)');
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
  }
  return t ? {'Authorization': 'Bearer ' + t} : {};
}

function say(text, kind) { const m = $('message'); m.textContent = text; m.className = kind || ''; }

async function manage(method, url, body) {
  const headers = authHeader(true);
  if (!headers.Authorization) { say('no token given: nothing done', 'error'); return null; }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  say(`${method} ${url} …`);
  const r = await fetch(url, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (r.status === 401 || r.status === 403) sessionStorage.removeItem(TOKEN_KEY);
  if (!r.ok) {
    const d = data && data.detail;
    say(`${method} ${url}: HTTP ${r.status} ${typeof d === 'string' ? d : JSON.stringify(d ?? '')}`, 'error');
    return null;
  }
  say(`${method} ${url}: done`, 'ok');
  refreshReplicas();
  return data ?? {};
}

// --- charts ----------------------------------------------------------------------------
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// series: [{name, points: [[t, v], ...]}]; t in seconds (epoch); draws the last `span` seconds.
function lineChart(el, series, span) {
  const W = 600, H = 180, L = 44, R = 8, T = 8, B = 22;
  const now = Date.now() / 1000, t0 = now - span;
  let max = 0;
  for (const s of series) for (const [, v] of s.points) if (v !== null && v > max) max = v;
  max = niceMax(max);
  const x = (t) => L + (W - L - R) * (t - t0) / span;
  const y = (v) => T + (H - T - B) * (1 - v / max);
  let svg = `<svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img">`;
  for (let i = 0; i <= 4; i++) {
    const v = max * i / 4, yy = y(v).toFixed(1);
    svg += `<line class="grid" x1="${L}" x2="${W - R}" y1="${yy}" y2="${yy}"/>`;
    svg += `<text x="${L - 4}" y="${(+yy + 3).toFixed(1)}" text-anchor="end">${+v.toPrecision(3)}</text>`;
  }
  const step = span > 600 ? 300 : span > 240 ? 60 : span > 90 ? 30 : 15;  // seconds between ticks
  for (let back = 0; back <= span; back += step) {
    const xx = x(now - back).toFixed(1);
    const label = back === 0 ? 'now' : back % 60 === 0 ? `-${back / 60} min` : `-${back} s`;
    svg += `<text x="${xx}" y="${H - 6}" text-anchor="middle">${label}</text>`;
  }
  svg += `<line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/>`;
  svg += `<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/>`;
  series.forEach((s, i) => {
    const pts = s.points.filter(([t, v]) => v !== null && t >= t0)
      .map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    if (pts.length === 1) pts.push(pts[0]);
    if (pts.length) {
      svg += `<polyline class="series" data-series="${esc(s.name)}" fill="none" stroke="${COLORS[i % COLORS.length]}"` +
             ` stroke-width="1.6" points="${pts.join(' ')}"/>`;
    }
  });
  svg += '</svg>';
  const legend = series.map((s, i) =>
    `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(s.name)}</span>`).join('');
  el.innerHTML = svg + `<div class="legend">${legend || '<span>no data yet</span>'}</div>`;
}

function seriesOf(points, group, field) {
  const names = new Set();
  for (const p of points) for (const k of Object.keys(p[group] || {})) names.add(k);
  return [...names].sort().map((name) => ({
    name,
    points: points.map((p) => {
      const entry = (p[group] || {})[name];
      if (entry === undefined) return [p.t, group === 'models' ? 0 : null];
      return [p.t, field ? entry[field] : entry];
    }),
  }));
}

let knownModels = new Set(['LinearRegression']);

async function refreshCharts() {
  try {
    const h = await getJSON('api/dashboard/history');
    // The last 15 minutes, or less while the gateway has been up for less (at least one minute).
    const first = h.points.length ? h.points[0].t : Date.now() / 1000;
    const span = Math.min(900, Math.max(60, Date.now() / 1000 - first));
    lineChart($('chart-rps'), seriesOf(h.points, 'services', 'rps'), span);
    lineChart($('chart-errors'), seriesOf(h.points, 'services', 'errors_per_s'), span);
    lineChart($('chart-p50'), seriesOf(h.points, 'services', 'p50_ms'), span);
    lineChart($('chart-p99'), seriesOf(h.points, 'services', 'p99_ms'), span);
    const wanted = seriesOf(h.points, 'desired').map((s) => ({...s, name: s.name + ' (autoscaler wants)'}));
    lineChart($('chart-replicas'), [...seriesOf(h.points, 'models'), ...wanted], span);
    for (const p of h.points) for (const m of Object.keys(p.models || {})) knownModels.add(m);
    $('models').innerHTML = [...knownModels].sort().map((m) => `<option value="${esc(m)}">`).join('');
  } catch (e) { say('history: ' + e.message, 'error'); }
}

// --- tables ----------------------------------------------------------------------------
async function refreshRoutes() {
  try {
    const r = await getJSON('api/routes');
    const d = $('disc'); d.textContent = r.discovery; d.className = r.discovery;
    $('age').textContent = r.table_age_s; $('idx').textContent = r.table_index;
    $('lb').textContent = r.default_balancer;
    let h = '';
    for (const s of r.services) {
      h += `<h3>${esc(s.name)} <small>(${esc(s.balancer)}, ${s.instances.length} instances)</small></h3>`;
      h += '<table><tr><th>id</th><th>url</th><th>health</th><th>in flight</th><th>state</th><th>tags</th></tr>';
      for (const i of s.instances) {
        const health = i.health || i.status || 'passing';
        h += `<tr><td>${esc(i.id)}</td><td>${esc(i.url)}</td><td class="${esc(health)}">${esc(health)}</td>` +
             `<td>${i.in_flight}</td><td class="${i.ejected ? 'ejected' : 'ok'}">${i.ejected ? 'ejected' : 'routable'}</td>` +
             `<td><code>${esc((i.tags || []).join(', '))}</code></td></tr>`;
      }
      h += '</table>';
    }
    $('services').innerHTML = h || '<p>no services</p>';
    const st = await getJSON('v1/statistics');
    let t = '';
    for (const [kind, rows] of Object.entries(st)) {
      if (typeof rows !== 'object' || rows === null || !Object.keys(rows).length) continue;
      t += `<h3>${esc(kind)}</h3><table><tr><th>key</th><th>count</th><th>errors</th><th>p50 ms</th><th>p99 ms</th></tr>`;
      for (const [k, v] of Object.entries(rows)) {
        t += `<tr><td>${esc(k)}</td><td>${v.count}</td><td>${v.errors}</td><td>${v.p50_ms}</td><td>${v.p99_ms}</td></tr>`;
      }
      t += '</table>';
    }
    $('stats').innerHTML = t;
    $('at').textContent = new Date().toLocaleTimeString();
  } catch (e) { $('disc').textContent = 'gateway unreachable: ' + e.message; }
}

async function refreshReplicas() {
  const model = $('model').value.trim();
  if (!model) return;
  try {
    const r = await getJSON(`api/models/instances/${encodeURIComponent(model)}`);
    let h = `<table id="replicas"><tr><th>id</th><th>name</th><th>status</th><th>health</th><th>address</th><th></th></tr>`;
    for (const i of r.instances) {
      const managed = i.managed === undefined || i.managed;
      h += `<tr class="replica"><td>${esc(i.id)}</td><td>${esc(i.name)}</td><td>${esc(i.status)}</td>` +
           `<td class="${esc(i.health)}">${esc(i.health)}</td><td>${esc(i.address)}</td><td>` +
           (managed ? `<button type="button" data-remove="${esc(i.id)}">remove</button>` : 'not managed') + '</td></tr>';
    }
    $('replicas-table').innerHTML = h + '</table>';
  } catch (e) { $('replicas-table').textContent = e.message; }
  try {
    const r = await fetch(`api/models/${encodeURIComponent(model)}/autoscaling`, {headers: {...POLL, ...authHeader(false)}});
    if (r.ok) {
      const a = await r.json(), p = a.policy, st = a.status || {};
      const last = st.last_decision ? JSON.stringify(st.last_decision) : 'none yet';
      $('autoscaler').innerHTML = `<p>autoscaling <b>on</b> (min ${esc(p.min_replicas)}, max ${esc(a.effective_max_replicas)},` +
        ` target ${esc(p.target_in_flight)} in flight per replica) · desired ${esc(st.desired_replicas ?? '…')}` +
        ` · replicas ${esc(st.replicas ?? '…')}${st.panic ? ' · <b>panic</b>' : ''} · ${esc(st.reason ?? '')}` +
        ` · last decision <code>${esc(last)}</code></p>`;
    } else {
      $('autoscaler').innerHTML = r.status === 404 ? '<p>autoscaling off</p>' : '';
    }
  } catch (e) { $('autoscaler').innerHTML = ''; }
}

// --- controls --------------------------------------------------------------------------
function model() { return encodeURIComponent($('model').value.trim()); }
$('launch').addEventListener('click', () => manage('POST', `api/models/launch/${model()}`));
$('scale').addEventListener('click', () =>
  manage('PUT', `api/models/${model()}/replicas`, {replicas: parseInt($('replicas').value, 10)}));
$('as-set').addEventListener('click', () => manage('PUT', `api/models/${model()}/autoscaling`, {
  min_replicas: parseInt($('as-min').value, 10), max_replicas: parseInt($('as-max').value, 10),
  target_in_flight: parseFloat($('as-target').value),
}));
$('as-off').addEventListener('click', () => manage('DELETE', `api/models/${model()}/autoscaling`));
$('forget-token').addEventListener('click', () => { sessionStorage.removeItem(TOKEN_KEY); say('token forgotten'); });
$('model').addEventListener('change', refreshReplicas);
$('replicas-table').addEventListener('click', (ev) => {
  const id = ev.target && ev.target.dataset && ev.target.dataset.remove;
  if (id) manage('DELETE', `api/models/instances/${encodeURIComponent(id)}`);
});

refreshRoutes(); refreshCharts(); refreshReplicas();
setInterval(refreshRoutes, 2000); setInterval(refreshCharts, 5000); setInterval(refreshReplicas, 3000);
