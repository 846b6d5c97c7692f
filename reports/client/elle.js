// reports/client/elle.js — transactional (Elle) results: verdict, models violated, and each anomaly's cycle drawn as SVG.
// Values come from the system under test: they reach the page only as textContent and SVG text.
/* global window */
(function (SB) {
  'use strict';
  const { data, state, el, svg, badge, card, opLink } = SB;
  const EDGE_COLOR = { ww: '#1f4b99', wr: '#2e9e5b', rw: '#d64545', realtime: '#8e44ad', process: '#b7791f' };
  const EDGE_MEANING = {
    ww: 'ww: wrote over (write-write)', wr: 'wr: read what it wrote (write-read)', rw: 'rw: overwrote what it read (anti-dependency)',
    realtime: 'realtime: completed before the other began', process: 'process: same process, earlier',
  };
  const NODE_R = 30;
  const LABEL_CHARS_MAX = 32;
  let markerCount = 0;

  function edgeLabel(e) {
    let label = e.edge;
    if (e.key !== null) label += ' key ' + e.key;
    if (e.value !== null) label += ' = ' + e.value;
    return label.length > LABEL_CHARS_MAX ? label.slice(0, LABEL_CHARS_MAX - 1) + '…' : label;
  }

  /** layout places the cycle's transactions on a circle (two face each other left and right). */
  function layout(txns, W, cy, R) {
    const pos = {};
    txns.forEach(function (t, i) {
      const angle = Math.PI + (2 * Math.PI * i) / txns.length;
      pos[t.id] = { x: W / 2 + R * 1.6 * Math.cos(angle), y: cy + R * Math.sin(angle) };
    });
    return pos;
  }

  /** arrowDefs adds one arrowhead marker per edge colour, with ids unique to this page. */
  function arrowDefs(s) {
    const defs = svg('defs');
    const ids = {};
    Object.keys(EDGE_COLOR).forEach(function (kind) {
      markerCount += 1;
      ids[kind] = 'elle-arrow-' + markerCount;
      const marker = svg('marker', { id: ids[kind], viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
      marker.appendChild(svg('path', { d: 'M0 0 L10 5 L0 10 z', fill: EDGE_COLOR[kind] }));
      defs.appendChild(marker);
    });
    s.appendChild(defs);
    return ids;
  }

  function drawEdge(s, e, a, b, markerId) {
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.max(1, Math.hypot(dx, dy));
    // Bend every edge to its left: two opposite edges between the same pair then part.
    const bend = 0.22 * len;
    const cx = (a.x + b.x) / 2 + (dy / len) * bend;
    const cy = (a.y + b.y) / 2 - (dx / len) * bend;
    const from = toward(a, cx, cy, NODE_R);
    const to = toward(b, cx, cy, NODE_R + 2);
    const color = EDGE_COLOR[e.edge] || '#5c7080';
    const g = svg('g', { class: 'elle-edge', 'data-edge': e.edge });
    g.appendChild(svg('path', { d: 'M' + from.x.toFixed(1) + ' ' + from.y.toFixed(1) + ' Q' + cx.toFixed(1) + ' ' + cy.toFixed(1) + ' ' + to.x.toFixed(1) + ' ' + to.y.toFixed(1),
      fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-dasharray': e.edge === 'rw' ? '6 4' : 'none', 'marker-end': 'url(#' + markerId + ')' }));
    const mx = 0.25 * a.x + 0.5 * cx + 0.25 * b.x;
    const my = 0.25 * a.y + 0.5 * cy + 0.25 * b.y;
    const label = edgeLabel(e);
    const w = label.length * 6.4 + 10;
    g.appendChild(svg('rect', { x: mx - w / 2, y: my - 10, width: w, height: 18, rx: 4, fill: '#fff', stroke: color, 'stroke-width': 1 }));
    g.appendChild(svg('text', { x: mx, y: my + 3, 'font-size': 11, 'text-anchor': 'middle', fill: color, class: 'elle-edge-label' }, label));
    g.appendChild(svg('title', {}, 'T' + e.from + ' → T' + e.to + ' (' + e.edge + '): ' + e.text));
    s.appendChild(g);
  }

  function toward(p, x, y, r) {
    const dx = x - p.x;
    const dy = y - p.y;
    const len = Math.max(1, Math.hypot(dx, dy));
    return { x: p.x + (dx / len) * r, y: p.y + (dy / len) * r };
  }

  /** drawCycle: transactions as circles, dependency edges as labelled arrows. */
  function drawCycle(anomaly) {
    const W = 760;
    const R = Math.max(80, anomaly.txns.length * 22);
    const H = 2 * R + 2 * NODE_R + 60;
    const cy = H / 2;
    const s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'elle-svg', role: 'img', style: 'max-width:' + W + 'px' });
    s.appendChild(svg('title', {}, anomaly.type + ': a cycle of ' + anomaly.txns.length + ' transactions'));
    const ids = arrowDefs(s);
    const pos = layout(anomaly.txns, W, cy, R);
    anomaly.edges.forEach(function (e) {
      if (pos[e.from] && pos[e.to]) drawEdge(s, e, pos[e.from], pos[e.to], ids[e.edge] || ids.ww);
    });
    anomaly.txns.forEach(function (t) {
      const p = pos[t.id];
      const g = svg('g', { class: 'elle-txn' });
      g.appendChild(svg('circle', { cx: p.x, cy: p.y, r: NODE_R, fill: t.type === 'ok' ? '#e3f2e9' : '#fdf3d8', stroke: t.type === 'ok' ? '#2e9e5b' : '#e0a526', 'stroke-width': 1.5 }));
      g.appendChild(svg('text', { x: p.x, y: p.y - 1, 'font-size': 12, 'font-weight': 700, 'text-anchor': 'middle', fill: '#1c2733' }, 'T' + t.id));
      g.appendChild(svg('text', { x: p.x, y: p.y + 13, 'font-size': 10, 'text-anchor': 'middle', fill: '#5c7080' }, 'p' + t.process + ' ' + t.type));
      g.appendChild(svg('title', {}, 'T' + t.id + ' (process ' + t.process + ', ' + t.type + ', history index ' + t.invokeIndex + '): ' + t.mops));
      s.appendChild(g);
    });
    return s;
  }

  function legend() {
    return el('div', { class: 'legend' }, Object.keys(EDGE_COLOR).map(function (kind) {
      return el('span', null, [el('span', { class: 'sw', style: 'background:' + EDGE_COLOR[kind] }), EDGE_MEANING[kind]]);
    }));
  }

  function anomalyBox(view, anomaly) {
    const forbidden = view.forbiddenTypes.indexOf(anomaly.type) >= 0;
    const box = el('div', { class: 'cx elle-anomaly' });
    box.appendChild(el('h3', { text: anomaly.type + (forbidden ? ' — forbidden by ' + view.consistencyModel : ' — allowed by ' + view.consistencyModel) }));
    if (anomaly.edges.length > 0) {
      box.appendChild(drawCycle(anomaly));
      const steps = el('table', null, [el('tr', null, ['edge', 'type', 'key', 'value', 'why'].map(function (h) { return el('th', { text: h }); }))]);
      anomaly.edges.forEach(function (e) {
        steps.appendChild(el('tr', null, [el('td', { class: 'mono', text: 'T' + e.from + ' → T' + e.to }), el('td', { text: e.edge }),
          el('td', { class: 'mono', text: e.key === null ? '' : e.key }), el('td', { class: 'mono', text: e.value === null ? '' : e.value }), el('td', { text: e.text })]));
      });
      box.appendChild(steps);
    }
    if (anomaly.txns.length > 0) {
      const txns = el('table', null, [el('tr', null, ['txn', 'process', 'outcome', 'micro-ops', 'history'].map(function (h) { return el('th', { text: h }); }))]);
      anomaly.txns.forEach(function (t) {
        txns.appendChild(el('tr', null, [el('td', { class: 'mono', text: 'T' + t.id }), el('td', { text: t.process }), el('td', { text: t.type }),
          el('td', { class: 'mono', text: t.mops }), el('td', null, t.invokeIndex === null ? [] : [opLink(t.invokeIndex)])]));
      });
      box.appendChild(el('details', null, [el('summary', { text: 'Transactions' }), txns]));
    }
    box.appendChild(el('pre', { class: 'elle-explanation', text: anomaly.explanation }));
    return box;
  }

  function elle() {
    if (data.elle.length === 0) return;
    const section = card('elle', 'Transactions (Elle)');
    let drawn = 0;
    data.elle.forEach(function (e) {
      const v = e.view;
      section.appendChild(el('div', { class: 'headline' }, [badge(v.valid), el('span', { text: v.workload + ' checked against ' + v.consistencyModel }), el('span', { class: 'sub mono', text: e.path })]));
      section.appendChild(el('div', { class: 'sub', text: v.summary }));
      if (v.notModels.length > 0) section.appendChild(el('p', { class: 'elle-not' }, ['Not: ', el('strong', { text: v.notModels.join(', ') })]));
      if (v.alsoNotModels.length > 0) section.appendChild(el('p', { class: 'sub elle-also-not', text: 'Also not: ' + v.alsoNotModels.join(', ') }));
      if (v.unknownReason !== null) section.appendChild(el('p', { class: 'warn', text: 'unknown: ' + v.unknownReason }));
      if (v.counts.length === 0) {
        section.appendChild(el('p', { text: 'No anomalies: the history is consistent with ' + v.consistencyModel + '.' }));
        return;
      }
      section.appendChild(el('ul', null, v.counts.map(function (c) {
        const forbidden = v.forbiddenTypes.indexOf(c.type) >= 0;
        return el('li', { class: forbidden ? 'failing-text' : '', text: c.type + ' ×' + c.count + (forbidden ? ' (forbidden)' : ' (allowed by the model)') });
      })));
      section.appendChild(legend());
      v.anomalies.forEach(function (a) {
        section.appendChild(anomalyBox(v, a));
        if (a.edges.length > 0) drawn += 1;
      });
      if (v.anomaliesOmitted > 0) section.appendChild(el('div', { class: 'sub', text: v.anomaliesOmitted + ' more anomalies in results.json' }));
    });
    state.elle = { cyclesDrawn: drawn };
  }

  SB.elle = elle;
})(window.SplitbrainReport);
