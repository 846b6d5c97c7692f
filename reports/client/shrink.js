// reports/client/shrink.js — the minimal (shrunk) case beside the original, and the shrinking steps (data.shrink, from shrink.json).
/* global window */
(function (SB) {
  'use strict';
  const { data, el, card } = SB;

  function shrink() {
    const s = data.shrink;
    if (!s) return;
    const section = card('shrink', 'Shrinking: the minimal case beside the original');
    const other = s.thisRun === 'minimal' ? 'the original run' : 'the minimal run';
    section.appendChild(el('div', { class: 'sub' }, ['Seed ' + s.seed + ', shrunk in ' + s.runs + ' runs. This report is of the ' + s.thisRun + ' case; ',
      el('a', { href: s.otherReport, text: 'open ' + other }), '.']));
    const table = el('table', null, [el('tr', null, ['', 'original', 'minimal'].map(function (h) { return el('th', { text: h }); }))]);
    s.rows.forEach(function (r) {
      table.appendChild(el('tr', null, [el('td', { text: r.measure }), el('td', { class: 'mono', text: r.original }), el('td', { class: 'mono', text: r.minimal })]));
    });
    section.appendChild(table);
    const steps = el('ol', { class: 'shrink-steps' }, s.steps.map(function (step) {
      return el('li', { text: (step.kept ? 'kept: ' : 'undone (passed): ') + step.what + ' (' + step.opCount + ' entries)' });
    }));
    section.appendChild(el('details', null, [el('summary', { text: s.steps.length + ' steps' }), steps]));
  }

  SB.shrink = shrink;
})(window.SplitbrainReport);
