// reports/client/page.js — the header, element tables and other results, then draws every section in order.
/* global window, navigator */
(function (SB) {
  'use strict';
  const { data, root, ROWS_SHOWN, el, badge, json, card, opLink } = SB;

  function header() {
    const head = el('section', { class: 'card', id: 'summary' });
    head.appendChild(el('div', { class: 'headline' }, [badge(data.verdict, 'verdict-big'), el('h1', { text: data.title })]));
    const facts = [];
    if (data.header.startedAt) facts.push('started ' + data.header.startedAt);
    facts.push(data.axis.opCount + ' history entries, ' + data.axis.clientOpCount + ' client ops');
    if (data.axis.hasTime) facts.push(data.axis.endS.toFixed(1) + ' s');
    facts.push(data.faults.length + ' fault intervals');
    if (data.header.seed !== undefined) facts.push('seed ' + json(data.header.seed));
    head.appendChild(el('div', { class: 'sub', text: facts.join(' · ') }));
    if (data.header.consistency) head.appendChild(el('p', { class: 'consistency', id: 'consistency', text: data.header.consistency }));
    if (data.header.anomalies.length > 0) {
      head.appendChild(el('ul', { class: 'anomalies' }, data.header.anomalies.map(function (a) { return el('li', { text: a }); })));
    }
    if (data.header.error) head.appendChild(el('pre', { class: 'warn', text: data.header.error }));
    data.warnings.forEach(function (w) { head.appendChild(el('div', { class: 'warn', text: '⚠ ' + w })); });

    head.appendChild(el('h3', { text: 'Checkers' }));
    const rows = data.header.verdicts.map(function (v) {
      return el('tr', null, [el('td', { class: 'mono', text: v.path === '' ? 'overall' : v.path }), el('td', null, [badge(v.valid)]), el('td', { text: v.summary })]);
    });
    if (rows.length === 0) rows.push(el('tr', null, [el('td', { text: 'no checker results (results.json missing or empty)' })]));
    head.appendChild(el('table', null, [el('tr', null, [el('th', { text: 'checker' }), el('th', { text: 'verdict' }), el('th', { text: 'summary' })])].concat(rows)));

    if (data.header.command) {
      head.appendChild(el('h3', { text: 'Reproduce this run' }));
      const pre = el('pre', { class: 'mono', id: 'command', text: data.header.command });
      const copy = el('button', { text: 'copy', onclick: function () {
        const fallback = function () { copy.textContent = 'select the text to copy'; };
        try {
          navigator.clipboard.writeText(data.header.command).then(function () { copy.textContent = 'copied'; }, fallback);
        } catch { fallback(); }
      } });
      head.appendChild(el('div', { class: 'cmd' }, [pre, copy]));
    }
    if (data.header.options !== undefined || data.header.versions !== undefined || data.header.argv !== undefined) {
      const table = el('table', { class: 'kv' });
      const opts = data.header.options && typeof data.header.options === 'object' ? data.header.options : {};
      Object.keys(opts).forEach(function (k) {
        table.appendChild(el('tr', null, [el('td', { text: k }), el('td', { class: 'mono', text: json(opts[k]) })]));
      });
      if (data.header.argv) table.appendChild(el('tr', null, [el('td', { text: 'argv' }), el('td', { class: 'mono', text: json(data.header.argv) })]));
      if (data.header.versions !== undefined) table.appendChild(el('tr', null, [el('td', { text: 'versions' }), el('td', { class: 'mono', text: json(data.header.versions) })]));
      head.appendChild(el('details', null, [el('summary', { text: 'Options' }), table]));
    }
    const toc = el('nav', { class: 'toc' });
    const parts = [['faults', 'Faults'], ['charts', 'Charts']].concat(data.roles !== null ? [['roles', 'Roles']] : [], [['timeline', 'Timeline'], ['counterexamples', 'Counterexamples']],
      data.elle.length > 0 ? [['elle', 'Transactions (Elle)']] : [], [['elements', 'Element tables'], ['other', 'Other results']]);
    parts.forEach(function (p) {
      toc.appendChild(el('a', { href: '#' + p[0], text: p[1] }));
    });
    head.appendChild(toc);
    root.appendChild(head);
  }

  function elements() {
    if (data.elements.length === 0) return;
    const section = card('elements', 'Element checks');
    data.elements.forEach(function (e) {
      section.appendChild(el('div', { class: 'headline' }, [badge(e.valid), el('span', { class: 'mono', text: e.path })]));
      e.tables.forEach(function (t) {
        section.appendChild(el('h3', { text: t.name + ' (' + (t.total === undefined ? t.rows.length : t.total) + ')' }));
        if (t.description) section.appendChild(el('div', { class: 'sub', text: t.description }));
        if (t.rows.length === 0) { section.appendChild(el('div', { class: 'sub', text: 'none' })); return; }
        let table = el('table', null, [el('tr', null, ['element', 'key', 'detail', 'ops'].map(function (h) { return el('th', { text: h }); }))]);
        t.rows.forEach(function (r, i) {
          if (i === ROWS_SHOWN) {
            section.appendChild(table);
            table = el('table');
            section.appendChild(el('details', null, [el('summary', { text: (t.rows.length - ROWS_SHOWN) + ' more rows' }), table]));
          }
          table.appendChild(el('tr', null, [el('td', { class: 'mono', text: json(r.element) }), el('td', { class: 'mono', text: r.key === undefined ? '' : json(r.key) }),
            el('td', { text: r.detail || '' }), el('td', null, (r.opIndexes || []).slice(0, 10).map(opLink))]));
        });
        if (t.total !== undefined && t.total > t.rows.length) table.appendChild(el('tr', null, [el('td', { text: '… ' + (t.total - t.rows.length) + ' more (not stored in the report)' })]));
        if (t.rows.length <= ROWS_SHOWN) section.appendChild(table);
      });
    });
  }

  function others() {
    const section = card('other', 'Other results');
    data.others.forEach(function (o) {
      section.appendChild(el('div', { class: 'headline' }, [badge(o.valid), el('span', { class: 'mono', text: o.path })]));
      section.appendChild(el('pre', { text: o.json }));
    });
    if (data.rawResults !== '') section.appendChild(el('details', null, [el('summary', { text: 'results.json' }), el('pre', { text: data.rawResults })]));
    section.appendChild(el('div', { class: 'sub', text: 'Report generated ' + data.generatedAt + '. Files next to this report: test.json, history.jsonl, results.json, logs/.' }));
  }

  header();
  SB.shrink();
  SB.faults();
  SB.charts();
  SB.roles();
  SB.timeline();
  SB.counterexamples();
  SB.elle();
  elements();
  others();

})(window.SplitbrainReport);
