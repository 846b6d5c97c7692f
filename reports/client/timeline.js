// reports/client/timeline.js — the canvas timeline: a lane per process, zoom, pan and hover.
/* global window, document, requestAnimationFrame */
(function (SB) {
  'use strict';
  const { data, OUTCOMES, state, el, fmtS, card, faultLegend, shadeFaults, niceTicks, tickLabel } = SB;

  function opText(op) {
    const lines = ['op at history index ' + op.i + (op.c === null ? ' (never completed)' : '…' + op.c) + ', process ' + data.timeline.lanes[op.l]];
    lines.push(op.f + (op.k !== undefined ? ' key ' + op.k : '') + (op.v !== undefined ? ' ' + op.v : ''));
    lines.push('→ ' + OUTCOMES[op.o].name + (op.r !== undefined ? ' ' + op.r : ''));
    if (op.x !== undefined) lines.push('error: ' + op.x);
    if (op.n !== undefined) lines.push('node: ' + op.n);
    const lat = op.e === null ? '' : ' (' + ((op.e - op.s) * 1000).toFixed(3) + ' ms)';
    lines.push(fmtS(op.s) + ' → ' + fmtS(op.e) + lat);
    return lines.join('\n');
  }

  function timeline() {
    const tl = data.timeline;
    const section = card('timeline', 'Timeline');
    if (tl.ops.length === 0) {
      section.appendChild(el('p', { class: 'sub', text: 'No client ops in the history.' }));
      return;
    }
    if (tl.capped) {
      section.appendChild(el('div', { class: 'note', text: 'This history has ' + tl.total + ' client ops; the timeline shows ' + tl.ops.length +
        ' of them (history indexes ' + tl.firstIndex + '…' + tl.lastIndex + ', capped at ' + tl.opsMax + ', centred on the first anomaly). The charts above show every op.' }));
    }
    const legend = el('div', { class: 'legend' }, OUTCOMES.map(function (o) { return el('span', null, [el('span', { class: 'sw', style: 'background:' + o.color }), o.name]); }));
    section.appendChild(legend);
    section.appendChild(faultLegend());
    const reset = el('button', { text: 'reset zoom' });
    section.appendChild(el('div', { class: 'controls' }, [reset, el('span', { text: 'Scroll to zoom, drag to pan, double-click to reset, hover a bar for the full op. One lane per process; the top lane shows faults.' })]));
    const wrap = el('div', { class: 'timeline-wrap' });
    const canvas = el('canvas');
    wrap.appendChild(canvas);
    section.appendChild(wrap);
    const tip = el('div', { class: 'tooltip' });
    document.body.appendChild(tip);

    const byLane = tl.lanes.map(function () { return []; });
    let tMin = Infinity;
    let tMax = -Infinity;
    tl.ops.forEach(function (op) {
      byLane[op.l].push(op);
      tMin = Math.min(tMin, op.s);
      tMax = Math.max(tMax, op.e === null ? op.s : op.e);
    });
    tMax = Math.max(tMax, tMin + 1e-6);
    const pad = (tMax - tMin) * 0.01;
    const home = { t0: tMin - pad, t1: tMax + pad };
    const view = { t0: home.t0, t1: home.t1 };
    const labelW = 78;
    const faultH = 18;
    const axisH = 22;
    const laneH = Math.max(3, Math.min(16, Math.floor(520 / tl.lanes.length)));
    const height = faultH + laneH * tl.lanes.length + axisH;
    let width = 0;
    let highlight = null;
    const dpr = window.devicePixelRatio || 1;

    function toX(t) { return labelW + (t - view.t0) / (view.t1 - view.t0) * (width - labelW); }
    function toT(x) { return view.t0 + (x - labelW) / (width - labelW) * (view.t1 - view.t0); }

    function draw() {
      width = Math.max(400, wrap.clientWidth);
      canvas.width = width * dpr;
      canvas.height = height * dpr;
      canvas.style.width = width + 'px';
      canvas.style.height = height + 'px';
      const ctx = canvas.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, width, height);
      const lanesTop = faultH;
      const lanesH = laneH * tl.lanes.length;
      for (let l = 0; l < tl.lanes.length; l += 1) {
        if (l % 2 === 1) { ctx.fillStyle = '#f6f8fa'; ctx.fillRect(labelW, lanesTop + l * laneH, width - labelW, laneH); }
      }
      shadeFaults(ctx, toX, labelW, 0, width - labelW, lanesTop + lanesH);
      ctx.save();
      ctx.beginPath();
      ctx.rect(labelW, lanesTop, width - labelW, lanesH);
      ctx.clip();
      const barH = Math.max(2, laneH - 3);
      for (let l = 0; l < byLane.length; l += 1) {
        const y = lanesTop + l * laneH + (laneH - barH) / 2;
        const ops = byLane[l];
        for (let k = 0; k < ops.length; k += 1) {
          const op = ops[k];
          const end = op.e === null ? view.t1 : op.e;
          if (end < view.t0 || op.s > view.t1) continue;
          const x0 = toX(op.s);
          const w = Math.max(1, toX(end) - x0);
          ctx.globalAlpha = op.o === 3 ? 0.45 : 0.9;
          ctx.fillStyle = OUTCOMES[op.o].color;
          ctx.fillRect(x0, y, w, barH);
        }
      }
      ctx.globalAlpha = 1;
      if (highlight !== null) {
        const op = highlight;
        const x0 = toX(op.s);
        const x1 = toX(op.e === null ? view.t1 : op.e);
        ctx.strokeStyle = '#1c2733';
        ctx.lineWidth = 2;
        ctx.strokeRect(x0 - 2, lanesTop + op.l * laneH - 1, Math.max(4, x1 - x0 + 4), laneH + 2);
      }
      ctx.restore();
      ctx.fillStyle = '#5c7080';
      ctx.font = '11px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      ctx.fillText('faults', 6, faultH / 2);
      const labelEvery = Math.ceil(12 / laneH);
      for (let l = 0; l < tl.lanes.length; l += labelEvery) ctx.fillText('p ' + tl.lanes[l].slice(0, 9), 6, lanesTop + l * laneH + laneH / 2);
      ctx.strokeStyle = '#dde3ea';
      ctx.beginPath();
      ctx.moveTo(labelW, 0); ctx.lineTo(labelW, height);
      ctx.moveTo(labelW, lanesTop + lanesH); ctx.lineTo(width, lanesTop + lanesH);
      ctx.stroke();
      const ticks = niceTicks(view.t0, view.t1, Math.max(2, Math.floor((width - labelW) / 110)));
      ctx.textBaseline = 'top';
      ticks.ticks.forEach(function (t) {
        const x = toX(t);
        ctx.fillStyle = '#dde3ea';
        ctx.fillRect(x, lanesTop + lanesH, 1, 4);
        ctx.fillStyle = '#5c7080';
        ctx.fillText(tickLabel(t, ticks.step), x + 2, lanesTop + lanesH + 5);
      });
      ctx.fillText(data.axis.hasTime ? 's' : 'index', width - 34, lanesTop + lanesH + 5);
    }

    let scheduled = false;
    function redraw() {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(function () { scheduled = false; draw(); });
    }

    function hit(x, y) {
      if (x < labelW) return null;
      const t = toT(x);
      const tol = (view.t1 - view.t0) / (width - labelW) * 3;
      if (y < faultH) {
        const f = data.faults.find(function (f) { return t >= f.startS - tol && t <= (f.endS === null ? data.axis.endS : f.endS) + tol; });
        return f ? { fault: f } : null;
      }
      const l = Math.floor((y - faultH) / laneH);
      if (l < 0 || l >= byLane.length) return null;
      const ops = byLane[l];
      let lo = 0;
      let hi = ops.length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (ops[mid].s <= t + tol) { found = mid; lo = mid + 1; } else hi = mid - 1;
      }
      for (let k = found; k >= 0 && k >= found - 3; k -= 1) {
        const op = ops[k];
        const end = op.e === null ? Infinity : op.e;
        if (op.s - tol <= t && t <= end + tol) return { op: op };
      }
      return null;
    }

    let drag = null;
    canvas.addEventListener('mousedown', function (ev) { drag = { x: ev.clientX, t0: view.t0, t1: view.t1 }; canvas.classList.add('dragging'); });
    window.addEventListener('mouseup', function () { drag = null; canvas.classList.remove('dragging'); });
    canvas.addEventListener('mousemove', function (ev) {
      const rect = canvas.getBoundingClientRect();
      if (drag !== null) {
        const dt = (ev.clientX - drag.x) / (width - labelW) * (drag.t1 - drag.t0);
        view.t0 = drag.t0 - dt;
        view.t1 = drag.t1 - dt;
        tip.style.display = 'none';
        redraw();
        return;
      }
      const h = hit(ev.clientX - rect.left, ev.clientY - rect.top);
      if (h === null) { tip.style.display = 'none'; return; }
      tip.textContent = h.op ? opText(h.op) : h.fault.kind + ': ' + h.fault.words + '\n' + fmtS(h.fault.startS) + ' → ' + (h.fault.endS === null ? 'not healed' : fmtS(h.fault.endS));
      tip.style.display = 'block';
      tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - 580) + 'px';
      tip.style.top = (ev.clientY + 14) + 'px';
    });
    canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
    canvas.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const t = toT(ev.clientX - rect.left);
      const factor = ev.deltaY > 0 ? 1.25 : 0.8;
      const span = Math.max(1e-7, (view.t1 - view.t0) * factor);
      const frac = (t - view.t0) / (view.t1 - view.t0);
      view.t0 = t - frac * span;
      view.t1 = view.t0 + span;
      redraw();
    }, { passive: false });
    function home_() { view.t0 = home.t0; view.t1 = home.t1; highlight = null; redraw(); }
    canvas.addEventListener('dblclick', home_);
    reset.addEventListener('click', home_);
    window.addEventListener('resize', redraw);
    draw();

    state.timeline = {
      /** focus zooms to the op invoked at history index `index` and outlines it. */
      focus: function (index) {
        const op = tl.ops.find(function (o) { return o.i === index || o.c === index; });
        if (!op) return false;
        const end = op.e === null ? op.s + (home.t1 - home.t0) * 0.01 : op.e;
        const span = Math.max((end - op.s) * 8, (home.t1 - home.t0) / 200);
        view.t0 = op.s - span / 2;
        view.t1 = view.t0 + span + (end - op.s);
        highlight = op;
        draw();
        section.scrollIntoView({ behavior: 'smooth', block: 'start' });
        return true;
      },
      /** positionOf: page coordinates of the middle of the op invoked at `index` (tests hover there). */
      positionOf: function (index) {
        const op = tl.ops.find(function (o) { return o.i === index; });
        if (!op) return null;
        const rect = canvas.getBoundingClientRect();
        const end = op.e === null ? view.t1 : op.e;
        return { x: rect.left + (toX(op.s) + toX(end)) / 2, y: rect.top + faultH + op.l * laneH + laneH / 2 };
      },
      view: view,
    };
  }

  SB.timeline = timeline;
})(window.SplitbrainReport);
