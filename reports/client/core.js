// reports/client/core.js — the page's data and shared helpers; runs first (all client files are inlined into report.html).
// Every value from the history or results is untrusted: it only ever reaches the page through
// textContent, SVG text nodes or title elements, never innerHTML or an href.
/* global window, document */
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const root = document.getElementById('report');
  const OUTCOMES = [
    { name: 'ok', color: '#2e9e5b' },
    { name: 'fail', color: '#d64545' },
    { name: 'info', color: '#e0a526' },
    { name: 'pending', color: '#9aa5b1' },
  ];
  const KIND_COLOR = {};
  const KIND_ROW = {};
  data.faultKinds.forEach(function (k, i) { KIND_COLOR[k.kind] = k.color; KIND_ROW[k.kind] = i; });
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const ROWS_SHOWN = 20;
  const state = { charts: [], timeline: null };
  window.__report = state;

  /** el builds an element; strings among children become text nodes. */
  function el(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      for (const name of Object.keys(props)) {
        if (name === 'class') node.className = props[name];
        else if (name === 'text') node.textContent = props[name];
        else if (name === 'onclick') node.addEventListener('click', props[name]);
        else node.setAttribute(name, props[name]);
      }
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const name of Object.keys(attrs || {})) node.setAttribute(name, String(attrs[name]));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function verdictWord(v) {
    return v === true ? 'valid' : v === false ? 'INVALID' : v === 'unknown' ? 'unknown' : 'no verdict';
  }
  function verdictClass(v) {
    return v === true ? 'v-true' : v === false ? 'v-false' : v === 'unknown' ? 'v-unknown' : 'v-none';
  }
  function badge(v, extra) {
    return el('span', { class: 'badge ' + verdictClass(v) + (extra ? ' ' + extra : ''), text: verdictWord(v) });
  }
  function fmtS(s) {
    if (s === null || s === undefined) return 'never';
    return data.axis.hasTime ? s.toFixed(3) + ' s' : 'index ' + Math.round(s * 1000);
  }
  function json(value) {
    try { return JSON.stringify(value); } catch { return String(value); }
  }
  function card(id, title) {
    const section = el('section', { class: 'card', id: id }, [el('h2', { text: title })]);
    root.appendChild(section);
    return section;
  }

  function faultLegend() {
    const present = {};
    data.faults.forEach(function (f) { present[f.kind] = true; });
    const legend = el('div', { class: 'legend fault-legend' });
    const kinds = data.faultKinds.filter(function (k) { return present[k.kind]; });
    if (kinds.length === 0) legend.appendChild(el('span', { text: 'no faults injected' }));
    kinds.forEach(function (k) {
      legend.appendChild(el('span', { class: 'legend-item', 'data-kind': k.kind }, [el('span', { class: 'sw band', style: 'background:' + k.color }), k.label]));
    });
    return legend;
  }

  /** shadeFaults paints each fault interval (and a strip per kind on top) behind a chart's series. */
  function shadeFaults(ctx, toX, left, top, width, height) {
    let drawn = 0;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    data.faults.forEach(function (f) {
      const x0 = toX(f.startS);
      let x1 = toX(f.endS === null ? data.axis.endS : f.endS);
      if (x1 - x0 < 2) x1 = x0 + 2;
      if (x1 < left || x0 > left + width) return;
      ctx.fillStyle = KIND_COLOR[f.kind];
      ctx.globalAlpha = 0.14;
      ctx.fillRect(x0, top, x1 - x0, height);
      ctx.globalAlpha = 0.85;
      ctx.fillRect(x0, top + KIND_ROW[f.kind] * 4, x1 - x0, 4);
      drawn += 1;
    });
    ctx.restore();
    return drawn;
  }

  function niceTicks(t0, t1, count) {
    const raw = (t1 - t0) / count;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map(function (m) { return m * mag; }).find(function (s) { return s >= raw; }) || raw;
    const ticks = [];
    for (let t = Math.ceil(t0 / step) * step; t <= t1 && ticks.length < 50; t += step) ticks.push(t);
    return { ticks: ticks, step: step };
  }

  function tickLabel(t, step) {
    if (!data.axis.hasTime) return String(Math.round(t * 1000));
    const digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(step))));
    return t.toFixed(digits);
  }

  function opLink(index) {
    return el('a', { class: 'op-link', text: 'op ' + index, title: 'show in the timeline', onclick: function () {
      if (!state.timeline || !state.timeline.focus(index)) window.alert('history index ' + index + ' is outside the timeline window');
    } });
  }

  window.SplitbrainReport = {
    data: data, root: root, OUTCOMES: OUTCOMES, KIND_COLOR: KIND_COLOR, KIND_ROW: KIND_ROW, ROWS_SHOWN: ROWS_SHOWN, state: state,
    el: el, svg: svg, badge: badge, fmtS: fmtS, json: json, card: card,
    faultLegend: faultLegend, shadeFaults: shadeFaults, niceTicks: niceTicks, tickLabel: tickLabel, opLink: opLink,
  };
})();
