// The outbox console. Everything shown comes from applications and brokers (types, keys, errors,
// payloads), so the DOM is built with createElement and textContent only: never innerHTML.
'use strict';
(() => {
  const API = '/console/api/';
  const SVG = 'http://www.w3.org/2000/svg';
  const state = { csrf: '', actions: false, signedIn: false, selected: null, replayTimer: null };

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  const $ = (id) => document.getElementById(id);

  function say(text, isError) {
    const m = $('message');
    m.textContent = text;
    m.className = isError ? 'error' : '';
  }

  async function api(path, body) {
    const options = { credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      options.method = 'POST';
      options.headers['Content-Type'] = 'application/json';
      if (state.csrf) options.headers['X-CSRF-Token'] = state.csrf;
      options.body = JSON.stringify(body);
    }
    const response = await fetch(API + path, options);
    let json = {};
    try { json = await response.json(); } catch (e) { json = {}; }
    if (!response.ok) throw new Error(json.error || ('HTTP ' + response.status));
    return json;
  }

  function age(seconds) {
    if (seconds === null || seconds === undefined || seconds < 0) return '–';
    const s = Math.round(seconds);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  const time = (iso) => iso ? new Date(iso).toLocaleString() : '–';
  const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  // A line chart: series of [ms, value] points (null values are gaps), drawn into an SVG.
  function chart(target, series, from, to) {
    const W = 600, H = 180, left = 48, right = 8, top = 8, bottom = 22;
    while (target.firstChild) target.removeChild(target.firstChild);
    let max = 0, count = 0;
    for (const s of series) for (const p of s.points) if (p[1] !== null) { max = Math.max(max, p[1]); count++; }
    max = max <= 0 ? 1 : max * 1.1;
    const x = (t) => left + (W - left - right) * (to === from ? 1 : (t - from) / (to - from));
    const y = (v) => top + (H - top - bottom) * (1 - v / max);
    target.appendChild(svg('line', { x1: left, y1: H - bottom, x2: W - right, y2: H - bottom, class: 'axis' }));
    target.appendChild(svg('line', { x1: left, y1: top, x2: left, y2: H - bottom, class: 'axis' }));
    target.appendChild(svg('text', { x: left - 4, y: top + 10, 'text-anchor': 'end' }, format(max)));
    target.appendChild(svg('text', { x: left - 4, y: H - bottom, 'text-anchor': 'end' }, '0'));
    target.appendChild(svg('text', { x: left, y: H - 4 }, clock(from)));
    target.appendChild(svg('text', { x: W - right, y: H - 4, 'text-anchor': 'end' }, clock(to)));
    for (const s of series) {
      let run = [];
      const flush = () => {
        if (run.length === 1) run.push([run[0][0] + 0.5, run[0][1]]);
        if (run.length) target.appendChild(svg('polyline', { class: 'series-' + s.name, points: run.join(' ') }));
        run = [];
      };
      for (const p of s.points) {
        if (p[1] === null) { flush(); continue; }
        run.push([x(p[0]).toFixed(1), y(p[1]).toFixed(1)]);
      }
      flush();
    }
    const last = series[0].points.filter((p) => p[1] !== null).pop();
    target.dataset.points = String(count);
    target.dataset.last = last ? String(last[1]) : '';
    if (count === 0) target.appendChild(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no data yet'));
  }
  function format(v) { return v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10); }

  function renderOverview(o) {
    state.actions = o.auth.actions;
    state.signedIn = o.auth.signedIn;
    if (o.auth.csrf) state.csrf = o.auth.csrf;
    renderAuth();
    const self = $('self-state');
    self.textContent = 'This relay: ' + o.self.state + (o.self.lastBatchAt ? ' · last batch ' + time(o.self.lastBatchAt) : '');
    self.className = 'state ' + o.self.phase;

    const samples = o.samples; // [ms, backlog, oldestAge, deadEvents, published/min, failed/min, dead/min]
    const now = Date.parse(o.now);
    const from = now - o.window.windowSeconds * 1000;
    const last = samples.length ? samples[samples.length - 1] : null;
    $('backlog').textContent = last && last[1] >= 0 ? String(last[1]) : '–';
    $('oldest-age').textContent = last && last[2] >= 0 ? age(last[2]) : '–';
    $('dead-count').textContent = last && last[3] >= 0 ? String(last[3]) : '–';
    $('published-rate').textContent = last && last[4] !== null ? format(last[4]) : '–';
    const col = (i) => samples.map((s) => [s[0], s[i] < 0 ? null : s[i]]);
    chart($('chart-backlog'), [{ name: 'backlog', points: col(1) }], from, now);
    chart($('chart-oldest'), [{ name: 'oldest', points: col(2) }], from, now);
    chart($('chart-rates'), [
      { name: 'published', points: col(4) }, { name: 'failed', points: col(5) }, { name: 'dead', points: col(6) },
      { name: 'backfill', points: o.backfill.map((m) => [m[0], m[1]]) },
      { name: 'dead', points: o.backfill.map((m) => [m[0], m[2]]) }], from, now);
    $('window-note').textContent = 'Sampled every ' + o.window.intervalSeconds + ' s into this sidecar\'s memory for the last '
      + (o.window.windowSeconds / 60) + ' minutes (since it started at ' + time(o.window.since) + '; refreshed every 5 s). '
      + 'Backlog, oldest age and dead events count all relays; published, failed and dead per minute are this relay\'s own counters. '
      + 'After a restart, published and dead per minute of the hour before are read from the database '
      + '(outbox.event_history.published_at, outbox.event.dead_at: all relays, dashed); backlog, oldest age and failures start empty.'
      + (o.databaseError ? ' Database: ' + o.databaseError : '');

    const tbody = $('relays').tBodies[0];
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    for (const r of o.relays) {
      const tr = el('tr');
      tr.appendChild(el('td', r.name + ' (pid ' + r.pid + ')'));
      tr.appendChild(el('td', r.state, 'state ' + r.phase));
      tr.appendChild(el('td', r.slots.length + ': ' + ranges(r.slots)));
      tr.appendChild(el('td', time(r.connectedSince)));
      tr.appendChild(el('td', r.clientAddress || 'local'));
      tbody.appendChild(tr);
    }
    const owned = o.relays.reduce((n, r) => n + r.slots.length, 0);
    $('relays-note').textContent = o.relays.length + ' live relay instance(s), ' + owned + ' of 64 slots owned'
      + (o.relaysAt ? ' (read ' + time(o.relaysAt) + ')' : '');
    if (o.replay) renderReplay(o.replay);
  }

  function ranges(slots) {
    const out = [];
    for (let i = 0; i < slots.length; i++) {
      let j = i;
      while (j + 1 < slots.length && slots[j + 1] === slots[j] + 1) j++;
      out.push(i === j ? String(slots[i]) : slots[i] + '–' + slots[j]);
      i = j;
    }
    return out.join(', ');
  }

  function renderAuth() {
    const box = $('auth');
    while (box.firstChild) box.removeChild(box.firstChild);
    const canAct = state.actions && state.signedIn;
    document.querySelectorAll('.action').forEach((b) => { b.hidden = !canAct; });
    if (!state.actions) {
      box.appendChild(el('span', 'Read-only (set OUTBOX_CONSOLE_TOKEN to enable actions)', 'note'));
      return;
    }
    if (state.signedIn) {
      const out = el('button', 'Sign out');
      out.type = 'button';
      out.id = 'logout';
      out.addEventListener('click', async () => {
        try { await api('logout', {}); state.csrf = ''; say('Signed out.'); refresh(); } catch (e) { say(e.message, true); }
      });
      box.appendChild(el('span', 'Signed in', 'note'));
      box.appendChild(out);
      return;
    }
    const form = el('form');
    form.id = 'login';
    form.className = 'inline';
    const input = el('input');
    input.type = 'password';
    input.id = 'token';
    input.autocomplete = 'current-password';
    input.placeholder = 'console token';
    input.setAttribute('aria-label', 'console token');
    const go = el('button', 'Sign in');
    go.type = 'submit';
    form.appendChild(input);
    form.appendChild(go);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const r = await api('login', { token: input.value });
        state.csrf = r.csrf;
        input.value = '';
        say('Signed in.');
        refresh();
      } catch (e) { say(e.message, true); }
    });
    box.appendChild(form);
  }

  async function loadDead() {
    const params = new URLSearchParams();
    if ($('filter-type').value) params.set('type', $('filter-type').value);
    if ($('filter-aggregatetype').value) params.set('aggregatetype', $('filter-aggregatetype').value);
    let r;
    try { r = await api('dead?' + params.toString()); } catch (e) { say('Dead events: ' + e.message, true); return; }
    const tbody = $('dead-table').tBodies[0];
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    const canAct = state.actions && state.signedIn;
    for (const d of r.events) {
      const tr = el('tr');
      tr.dataset.id = d.id;
      if (d.id === state.selected) tr.className = 'selected';
      tr.appendChild(el('td', time(d.deadAt)));
      tr.appendChild(el('td', d.type, 'type'));
      tr.appendChild(el('td', d.aggregateType + ' / ' + d.aggregateId, 'key'));
      tr.appendChild(el('td', d.attempts, 'num'));
      tr.appendChild(el('td', d.lastError === null ? '' : d.lastError, 'error'));
      tr.appendChild(el('td', d.heldBack, 'num held'));
      const actions = el('td');
      actions.appendChild(button('View', 'view', () => showDetail(d.id)));
      if (canAct) {
        actions.appendChild(button('Retry', 'retry', () => act('dead/' + d.id + '/retry', 'Retried ' + d.id + '.')));
        actions.appendChild(button('Discard', 'discard danger', () => {
          if (window.confirm('Discard event ' + d.id + ' for good? It will never be delivered.')) {
            act('dead/' + d.id + '/discard', 'Discarded ' + d.id + '.');
          }
        }));
      }
      tr.appendChild(actions);
      tbody.appendChild(tr);
    }
    $('dead-empty').hidden = r.events.length > 0;
    if (state.selected && !r.events.some((d) => d.id === state.selected)) {
      state.selected = null;
      $('detail').hidden = true;
    }
  }

  function button(text, cls, onClick) {
    const b = el('button', text, cls);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }

  async function showDetail(id) {
    try {
      const d = await api('dead/' + id);
      state.selected = id;
      $('detail-id').textContent = d.id;
      const dl = $('detail-fields');
      while (dl.firstChild) dl.removeChild(dl.firstChild);
      for (const [k, v] of [['Type', d.type], ['Key', d.aggregateType + ' / ' + d.aggregateId], ['Sequence', d.seq],
        ['Occurred', time(d.occurredAt)], ['Dead since', time(d.deadAt)], ['Attempts', d.attempts],
        ['Holds back', d.heldBack], ['Last error', d.lastError || '']]) {
        dl.appendChild(el('dt', k));
        dl.appendChild(el('dd', v));
      }
      $('detail-payload').textContent = pretty(d.payload);
      $('detail-headers').textContent = d.headers === null ? '(none)' : pretty(d.headers);
      $('detail').hidden = false;
      document.querySelectorAll('#dead-table tbody tr').forEach((tr) => {
        tr.className = tr.dataset.id === id ? 'selected' : '';
      });
    } catch (e) { say(e.message, true); }
  }

  function pretty(json) {
    try { return JSON.stringify(JSON.parse(json), null, 2); } catch (e) { return json; }
  }

  async function act(path, done) {
    try {
      await api(path, {});
      say(done);
    } catch (e) { say(e.message, true); }
    loadDead();
    refresh();
  }

  function renderReplay(job) {
    const bar = $('replay-progress');
    if (job.state === 'none') return;
    bar.hidden = false;
    const total = Math.max(job.total, job.requeued, 1);
    if (job.state === 'delivering' || job.state === 'done') {
      bar.max = Math.max(job.requeued, 1);
      bar.value = job.pending < 0 ? 0 : job.requeued - job.pending;
    } else {
      bar.max = total;
      bar.value = job.requeued;
    }
    let text = 'Replay ' + job.from + ' – ' + job.to + ': ' + job.state + ', ' + job.requeued + ' re-queued';
    if (job.total >= 0) text += ' of ' + job.total;
    if (job.pending >= 0) text += ', ' + job.pending + ' waiting for delivery';
    if (job.error) text += ': ' + job.error;
    $('replay-status').textContent = text;
    $('replay-status').dataset.state = job.state;
    const running = job.state !== 'done' && job.state !== 'failed';
    if (running && !state.replayTimer) {
      state.replayTimer = setInterval(async () => {
        try { renderReplay(await api('replay')); } catch (e) { say(e.message, true); }
      }, 1000);
    } else if (!running && state.replayTimer) {
      clearInterval(state.replayTimer);
      state.replayTimer = null;
    }
  }

  async function refresh() {
    try { renderOverview(await api('overview')); } catch (e) { say('Overview: ' + e.message, true); }
  }

  document.addEventListener('DOMContentLoaded', async () => {
    const now = new Date();
    $('replay-to').value = new Date(Math.ceil(now.getTime() / 60000) * 60000).toISOString().replace('.000', '');
    $('replay-from').value = new Date(Math.floor(now.getTime() / 60000) * 60000 - 3600000).toISOString().replace('.000', '');
    $('dead-filter').addEventListener('submit', (ev) => { ev.preventDefault(); loadDead(); });
    $('retry-all').addEventListener('click', () => {
      if (window.confirm('Retry every dead event?')) act('dead/retry-all', 'Retried all dead events.');
    });
    $('replay-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        renderReplay(await api('replay', {
          from: $('replay-from').value.trim(), to: $('replay-to').value.trim(),
          type: $('replay-type').value.trim(), aggregateType: $('replay-aggregatetype').value.trim() }));
        say('Replay started.');
      } catch (e) { say(e.message, true); }
    });
    await refresh();
    await loadDead();
    setInterval(refresh, 5000);
    setInterval(loadDead, 10000);
  });
})();
