// reports/client/counterexample.js — linearizability counterexamples drawn as SVG with linearization points.
/* global window, document, getComputedStyle */
(function (SB) {
  'use strict';
  const { data, KIND_COLOR, el, svg, card, niceTicks, tickLabel, opLink } = SB;

  function drawCounterexample(view) {
    const ops = view.ops;
    const procs = [];
    ops.forEach(function (op) { if (procs.indexOf(op.process) < 0) procs.push(op.process); });
    let t0 = Infinity;
    let t1 = -Infinity;
    ops.forEach(function (op) { t0 = Math.min(t0, op.startS); t1 = Math.max(t1, op.endS === null ? op.startS : op.endS); });
    view.points.forEach(function (p) { t1 = Math.max(t1, p.atS); });
    if (!(t1 > t0)) t1 = t0 + 0.001;
    const span = t1 - t0;
    t0 -= span * 0.03;
    t1 += span * 0.12;
    const W = 1100;
    const labelW = 90;
    const laneH = 50;
    const top = 10;
    const H = top + procs.length * laneH + 34;
    const x = function (t) { return labelW + (t - t0) / (t1 - t0) * (W - labelW - 10); };
    const s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'cx-svg', role: 'img' });
    s.appendChild(svg('title', {}, 'Ops around the failure; numbered dots are the longest linearization found'));
    data.faults.forEach(function (f) {
      const a = Math.max(labelW, x(f.startS));
      const b = Math.min(W - 10, x(f.endS === null ? t1 : f.endS));
      if (b <= a) return;
      const r = svg('rect', { x: a, y: top, width: b - a, height: procs.length * laneH, fill: KIND_COLOR[f.kind], opacity: 0.12, class: 'fault-band' });
      r.appendChild(svg('title', {}, f.kind + ': ' + f.words));
      s.appendChild(r);
    });
    procs.forEach(function (p, i) {
      s.appendChild(svg('text', { x: 6, y: top + i * laneH + laneH / 2 + 4, 'font-size': 12, fill: '#5c7080' }, 'process ' + p));
      s.appendChild(svg('line', { x1: labelW, x2: W - 10, y1: top + (i + 1) * laneH, y2: top + (i + 1) * laneH, stroke: '#eef1f4' }));
    });
    // Labels are laid out, never overlapped: an op's text is cut to the room before the next
    // bar of its lane; an op with no room gets a number (above its bar, when that fits) and a
    // line in the key below; a linearization number that would collide is left to its hover.
    const placed = [];
    const fits = function (box) {
      return placed.every(function (b) { return box.x2 <= b.x1 || box.x1 >= b.x2 || box.y2 <= b.y1 || box.y1 >= b.y2; });
    };
    const place = function (box) { placed.push(box); return box; };
    const keyed = [];
    const centre = {};
    const nextStart = {};
    const byLane = {};
    ops.forEach(function (op) { (byLane[op.process] = byLane[op.process] || []).push(op); });
    Object.keys(byLane).forEach(function (p) {
      const lane = byLane[p].slice().sort(function (u, v) { return u.startS - v.startS; });
      lane.forEach(function (op, i) { nextStart[op.id] = i + 1 < lane.length ? x(lane[i + 1].startS) : W - 10; });
    });
    ops.forEach(function (op) {
      const lane = procs.indexOf(op.process);
      const y = top + lane * laneH + 8;
      const a = x(op.startS);
      const b = op.endS === null ? W - 10 : Math.max(a + 3, x(op.endS));
      centre[op.id] = { y: y + 22, a: a, b: b };
      const g = svg('g', { class: op.failing ? 'cx-op failing' : 'cx-op' });
      const fill = op.failing ? '#fde2e2' : op.outcome === 'info' ? '#fdf3d8' : '#e3f2e9';
      const stroke = op.failing ? '#d64545' : op.outcome === 'info' ? '#e0a526' : '#2e9e5b';
      g.appendChild(svg('rect', { x: a, y: y, width: b - a, height: 22, rx: 3, fill: fill, stroke: stroke, 'stroke-width': op.failing ? 3 : 1, 'stroke-dasharray': op.endS === null ? '5 3' : 'none' }));
      const weight = op.failing ? 700 : 400;
      // The node each op went to is part of its text: a split brain shows as ops answered by two primaries.
      const full = (op.failing ? '✗ ' : '') + (op.inMinimalSet ? '◆ ' : '') + op.text + (op.node ? ' @' + op.node : '');
      const room = Math.min(nextStart[op.id], W - 10) - (a + 5) - 4;
      const label = fitText(full.length > 60 ? full.slice(0, 60) + '…' : full, room, 12, weight);
      if (label !== null && fits({ x1: a + 5, x2: a + 5 + textWidth(label, 12, weight), y1: y + 2, y2: y + 19 })) {
        place({ x1: a + 5, x2: a + 5 + textWidth(label, 12, weight), y1: y + 2, y2: y + 19 });
        g.appendChild(svg('text', { x: a + 5, y: y + 15, 'font-size': 12, fill: op.failing ? '#a82a2a' : '#1c2733', 'font-weight': weight, class: 'cx-label' }, label));
      } else {
        keyed.push(op);
        const tag = String(keyed.length);
        const box = { x1: a, x2: a + textWidth(tag, 10, 700), y1: y - 9, y2: y - 1 };
        if (fits(box)) {
          place(box);
          g.appendChild(svg('text', { x: a, y: y - 1, 'font-size': 10, 'font-weight': 700, fill: op.failing ? '#a82a2a' : '#5c7080', class: 'cx-label cx-key' }, tag));
        }
      }
      g.appendChild(svg('title', {}, 'op ' + op.id + ' (process ' + op.process + (op.node ? ', node ' + op.node : '') + '): ' + op.text + '\ninput ' + op.input + '\noutput ' + op.output + '\nhistory ' + op.invokeIndex + '…' + (op.returnIndex === null ? 'never returned' : op.returnIndex)));
      s.appendChild(g);
    });
    let path = '';
    view.points.forEach(function (p) {
      const c = centre[p.id];
      if (!c) return;
      const px = Math.min(Math.max(x(p.atS), c.a), c.b);
      path += (path === '' ? 'M' : 'L') + px.toFixed(1) + ' ' + c.y.toFixed(1) + ' ';
      p.px = px;
      p.py = c.y;
    });
    if (path !== '') s.appendChild(svg('path', { d: path, fill: 'none', stroke: '#1f4b99', 'stroke-width': 1.5, 'stroke-dasharray': '4 3', opacity: 0.7 }));
    view.points.forEach(function (p) {
      if (p.px === undefined) return;
      const g = svg('g', { class: 'lin-point' });
      g.appendChild(svg('circle', { cx: p.px, cy: p.py, r: 5.5, fill: '#1f4b99', stroke: '#fff', 'stroke-width': 1.5 }));
      const tag = '#' + p.order;
      const w = textWidth(tag, 10, 700);
      const box = { x1: p.px - w / 2, x2: p.px + w / 2, y1: p.py + 8, y2: p.py + 19 };
      if (fits(box)) {
        place(box);
        g.appendChild(svg('text', { x: p.px, y: p.py + 17, 'font-size': 10, fill: '#1f4b99', 'font-weight': 700, 'text-anchor': 'middle', class: 'cx-label' }, tag));
      }
      g.appendChild(svg('title', {}, 'linearized #' + p.order + ': op ' + p.id + ', state after: ' + p.stateAfter));
      s.appendChild(g);
    });
    const ticks = niceTicks(t0, t1, 8);
    const axisY = top + procs.length * laneH + 6;
    ticks.ticks.forEach(function (t) {
      s.appendChild(svg('line', { x1: x(t), x2: x(t), y1: axisY - 4, y2: axisY + 2, stroke: '#9aa5b1' }));
      s.appendChild(svg('text', { x: x(t) + 2, y: axisY + 14, 'font-size': 11, fill: '#5c7080' }, tickLabel(t, ticks.step)));
    });
    s.appendChild(svg('text', { x: W - 60, y: axisY + 26, 'font-size': 11, fill: '#5c7080' }, data.axis.hasTime ? 'seconds' : 'index'));
    if (keyed.length === 0) return s;
    // The numbered key: ops whose bars are too close together to carry their text.
    const key = el('ol', { class: 'cx-key-list lines' }, keyed.map(function (op) { return el('li', { class: 'mono', text: 'op ' + op.id + ' (process ' + op.process + (op.node ? ', node ' + op.node : '') + '): ' + op.text }); }));
    return el('div', null, [s, el('div', { class: 'sub', text: 'Numbered bars (too close together to carry their text; hover for details):' }), key]);
  }

  // Text widths come from a canvas in the report's own font, so the layout matches what is drawn.
  const measure = document.createElement('canvas').getContext('2d');
  function textWidth(text, size, weight) {
    measure.font = weight + ' ' + size + 'px ' + getComputedStyle(document.body).fontFamily;
    return measure.measureText(text).width;
  }

  /** fitText cuts `text` with an ellipsis to at most `room` pixels; null when not even 3 characters fit. */
  function fitText(text, room, size, weight) {
    if (textWidth(text, size, weight) <= room) return text;
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (textWidth(text.slice(0, mid) + '…', size, weight) <= room) lo = mid;
      else hi = mid - 1;
    }
    return lo >= 3 ? text.slice(0, lo) + '…' : null;
  }

  function counterexamples() {
    const section = card('counterexamples', 'Linearizability');
    if (data.counterexamples.length === 0) {
      section.appendChild(el('p', { class: 'sub', text: 'No linearizability results in results.json.' }));
      return;
    }
    data.counterexamples.forEach(function (c) {
      section.appendChild(el('div', { class: 'sub', text: (c.path || 'results') + ': ' + c.summary }));
      if (c.views.length === 0) section.appendChild(el('p', { text: 'No counterexample: every checked key is linearizable.' }));
      c.views.forEach(function (v) {
        const box = el('div', { class: 'cx counterexample' });
        box.appendChild(el('h3', { text: v.key === null ? 'Counterexample' : 'Counterexample for key ' + v.key }));
        const failing = v.ops.filter(function (o) { return o.failing; });
        failing.forEach(function (o) {
          box.appendChild(el('p', { class: 'failing-text' }, ['✗ op ' + o.id + ' (process ' + o.process + ', ' + o.text + ') cannot be linearized after the longest linearization found (' + v.prefixLength + ' of ' + v.partitionOpCount + ' ops). ', opLink(o.invokeIndex)]));
        });
        box.appendChild(el('div', { class: 'states' }, ['Just before it the model could only be: ', el('strong', { text: v.statesBefore.join(' or ') || '(no state)' })]));
        box.appendChild(el('div', { class: 'legend' }, [
          el('span', null, [el('span', { class: 'sw', style: 'background:#1f4b99;border-radius:6px' }), 'linearization point (#order in the longest linearization)']),
          el('span', null, [el('span', { class: 'sw', style: 'background:#fde2e2;border:2px solid #d64545' }), 'cannot be linearized']),
          el('span', null, [el('span', { class: 'sw', style: 'background:#e3f2e9;border:1px solid #2e9e5b' }), 'ok']),
          el('span', null, [el('span', { class: 'sw', style: 'background:#fdf3d8;border:1px dashed #e0a526' }), 'info (may take effect any time later, or never)']),
          v.ops.some(function (o) { return o.inMinimalSet; }) ? el('span', { text: '◆ in the smallest set of ops that cannot be ordered on their own' }) : null,
        ]));
        box.appendChild(drawCounterexample(v));
        if (v.prefixLength > v.points.length) box.appendChild(el('div', { class: 'sub', text: 'Showing the last ' + v.points.length + ' of ' + v.prefixLength + ' linearized ops, and the ops concurrent with the failing one. Hover bars and points for details.' }));
        const steps = el('table', null, [el('tr', null, ['#', 'op', 'process', 'state after'].map(function (h) { return el('th', { text: h }); }))]);
        const byId = {};
        v.ops.forEach(function (o) { byId[o.id] = o; });
        v.points.forEach(function (p) {
          const o = byId[p.id];
          steps.appendChild(el('tr', null, [el('td', { text: String(p.order) }), el('td', { class: 'mono', text: o ? o.text : 'op ' + p.id }), el('td', { text: o ? o.process : '' }), el('td', { class: 'mono', text: p.stateAfter })]));
        });
        box.appendChild(el('details', null, [el('summary', { text: 'Linearization steps and the checker\'s explanation' }), steps,
          el('ol', { class: 'lines' }, v.lines.map(function (l) { return el('li', { class: 'mono', text: l }); }))]));
        section.appendChild(box);
      });
    });
  }

  SB.counterexamples = counterexamples;
})(window.SplitbrainReport);
