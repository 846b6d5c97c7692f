// reports/client/roles.js — the roles lane: one lane per node with the role it believed it had, under the nemesis shading.
/* global window */
(function (SB) {
  'use strict';
  const { data, KIND_COLOR, el, svg, card, fmtS, faultLegend, niceTicks, tickLabel } = SB;

  const LEADING = ['primary', 'leader', 'master'];
  const ROLE_COLORS = [
    { test: function (r) { return LEADING.indexOf(r) >= 0; }, color: '#1f5fbf', name: 'leads (primary / leader)' },
    { test: function (r) { return r === 'candidate'; }, color: '#e0a526', name: 'candidate' },
    { test: function (r) { return r === 'backup' || r === 'follower' || r === 'replica'; }, color: '#a9c7ec', name: 'follows (backup / follower)' },
    { test: function (r) { return r !== null; }, color: '#cfd6de', name: 'other role' },
    { test: function () { return true; }, color: '#ffffff', name: 'no answer' },
  ];

  function roleStyle(role) {
    return ROLE_COLORS.find(function (c) { return c.test(role); });
  }

  function segmentText(node, s) {
    const who = s.role === null ? 'did not answer' : 'role ' + s.role + (s.primary ? ', believes ' + s.primary + ' is primary' : '') + (s.epoch !== null ? ', term/view ' + s.epoch : '');
    return node + ': ' + who + ' (' + fmtS(s.startS) + ' → ' + fmtS(s.endS) + ')';
  }

  function roles() {
    const r = data.roles;
    if (r === null) return;
    const section = card('roles', 'Roles');
    section.appendChild(el('div', { class: 'sub', text: 'Who each node believed it was, sampled a few times a second from the nodes themselves (roles.jsonl), under the fault shading.' }));
    if (r.lanes.length === 0) {
      section.appendChild(el('p', { class: 'sub', text: 'No node reported a role (this DB has no status, or no node answered).' }));
      return;
    }
    const legend = el('div', { class: 'legend' }, ROLE_COLORS.map(function (c) {
      return el('span', null, [el('span', { class: 'sw', style: 'background:' + c.color + ';border:1px solid #9aa5b1' }), c.name]);
    }));
    section.appendChild(legend);
    section.appendChild(faultLegend());
    if (r.overlaps.length > 0) {
      section.appendChild(el('ul', { class: 'anomalies role-overlaps' }, r.overlaps.map(function (o) {
        return el('li', { text: o.nodes.join(', ') + ' each believed they led at once, ' + fmtS(o.startS) + ' → ' + fmtS(o.endS) });
      })));
    } else {
      section.appendChild(el('div', { class: 'sub role-overlaps', text: 'No two nodes believed they led at the same time.' }));
    }
    if (r.capped) section.appendChild(el('div', { class: 'note', text: 'Too many role changes: only the first ones are drawn.' }));
    if (r.badLines > 0) section.appendChild(el('div', { class: 'warn', text: '⚠ roles.jsonl: ' + r.badLines + ' lines that are not role samples were skipped' }));

    let t1 = Math.max(data.axis.endS, 1e-3);
    r.lanes.forEach(function (lane) { lane.segments.forEach(function (s) { t1 = Math.max(t1, s.endS); }); });
    const t0 = 0;
    const W = 1100;
    const labelW = 70;
    const laneH = 26;
    const top = 4;
    const H = top + r.lanes.length * laneH + 24;
    const x = function (t) { return labelW + (t - t0) / (t1 - t0) * (W - labelW - 10); };
    const s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'roles-svg', role: 'img' });
    s.appendChild(svg('title', {}, 'One lane per node: the role it believed it had over time'));
    data.faults.forEach(function (f) {
      const a = Math.max(labelW, x(f.startS));
      const b = Math.min(W - 10, Math.max(a + 2, x(f.endS === null ? t1 : f.endS)));
      const band = svg('rect', { x: a, y: top, width: b - a, height: r.lanes.length * laneH, fill: KIND_COLOR[f.kind], opacity: 0.14, class: 'fault-band' });
      band.appendChild(svg('title', {}, f.kind + ': ' + f.words));
      s.appendChild(band);
    });
    r.overlaps.forEach(function (o) {
      const a = x(o.startS);
      const box = svg('rect', { x: a, y: top, width: Math.max(2, x(o.endS) - a), height: r.lanes.length * laneH, fill: 'none', stroke: '#c23030', 'stroke-width': 2, 'stroke-dasharray': '4 2', class: 'role-overlap' });
      box.appendChild(svg('title', {}, o.nodes.join(', ') + ' each believed they led'));
      s.appendChild(box);
    });
    r.lanes.forEach(function (lane, i) {
      const y = top + i * laneH;
      s.appendChild(svg('text', { x: 6, y: y + laneH / 2 + 4, 'font-size': 12, fill: '#1c2733', class: 'role-lane-label' }, lane.node));
      lane.segments.forEach(function (seg) {
        const a = x(seg.startS);
        const w = Math.max(1, x(seg.endS) - a);
        const style = roleStyle(seg.role);
        const g = svg('g', { class: 'role-seg', 'data-node': lane.node, 'data-role': seg.role === null ? '' : seg.role });
        g.appendChild(svg('rect', { x: a, y: y + 4, width: w, height: laneH - 8, fill: style.color, stroke: seg.role === null ? '#d0d7de' : 'none', opacity: 0.92 }));
        g.appendChild(svg('title', {}, segmentText(lane.node, seg)));
        if (seg.role !== null && w > 7 * seg.role.length + 8) {
          g.appendChild(svg('text', { x: a + 4, y: y + laneH / 2 + 4, 'font-size': 11, fill: LEADING.indexOf(seg.role) >= 0 ? '#ffffff' : '#1c2733' }, seg.role));
        }
        s.appendChild(g);
      });
    });
    const axisY = top + r.lanes.length * laneH;
    const ticks = niceTicks(t0, t1, 10);
    ticks.ticks.forEach(function (t) {
      s.appendChild(svg('line', { x1: x(t), x2: x(t), y1: axisY, y2: axisY + 4, stroke: '#9aa5b1' }));
      s.appendChild(svg('text', { x: x(t) + 2, y: axisY + 16, 'font-size': 11, fill: '#5c7080' }, tickLabel(t, ticks.step)));
    });
    section.appendChild(el('div', { class: 'roles-wrap' }, [s]));
  }

  SB.roles = roles;
})(window.SplitbrainReport);
