// reports/client/charts.js — the faults table and the uPlot charts (latency, quantiles, throughput) with nemesis shading.
/* global window, uPlot */
(function (SB) {
  'use strict';
  const { data, OUTCOMES, KIND_COLOR, state, el, fmtS, card, faultLegend, shadeFaults } = SB;

  function faults() {
    const section = card('faults', 'Faults (nemesis)');
    section.appendChild(faultLegend());
    if (data.faults.length === 0) return;
    const rows = data.faults.map(function (f) {
      return el('tr', null, [
        el('td', { style: 'white-space:nowrap' }, [el('span', { class: 'sw band', style: 'background:' + KIND_COLOR[f.kind] }), f.kind]),
        el('td', { style: 'white-space:nowrap', text: fmtS(f.startS) }), el('td', { style: 'white-space:nowrap', text: f.endS === null ? 'not healed' : fmtS(f.endS) }), el('td', null, [el('div', { text: f.words }), el('details', null, [el('summary', { text: 'JSON' }), el('code', { class: 'mono', text: f.text })])]),
      ]);
    });
    const table = el('table', null, [el('tr', null, ['kind', 'from', 'to', 'what'].map(function (h) { return el('th', { text: h }); }))].concat(rows));
    section.appendChild(rows.length > 8 ? el('details', null, [el('summary', { text: rows.length + ' fault intervals' }), table]) : table);
  }

  function faultPlugin() {
    return { hooks: { drawClear: [function (u) {
      const b = u.bbox;
      u.faultBands = shadeFaults(u.ctx, function (s) { return u.valToPos(s, 'x', true); }, b.left, b.top, b.width, b.height);
    }] } };
  }

  /** logRange pads a log axis by a factor of 2 each way so points at the extremes stay visible. */
  function logRange(_u, min, max) {
    if (min === null || max === null || !(min > 0)) return [0.001, 1000];
    return [min / 2, max * 2];
  }

  /** tickValues labels ticks with as many decimals as their spacing needs (uPlot's default drops them for tiny ranges). */
  function tickValues(_u, splits) {
    const step = splits.length > 1 ? Math.abs(splits[1] - splits[0]) : Math.abs(splits[0] || 1);
    const digits = Math.max(0, Math.min(9, -Math.floor(Math.log10(step || 1))));
    return splits.map(function (v) { return v === null ? '' : v.toFixed(digits); });
  }

  /** logValues labels log-scale ticks with two significant digits. */
  function logValues(_u, splits) {
    return splits.map(function (v) { return v === null ? '' : String(Number(v.toPrecision(2))); });
  }

  function chartWidth(container) {
    return Math.max(400, container.clientWidth - 4);
  }

  function makeChart(section, title, opts, chartData) {
    const holder = el('div', { class: 'chart' });
    section.appendChild(el('div', { class: 'chart-title', text: title }));
    section.appendChild(faultLegend());
    section.appendChild(holder);
    opts.width = chartWidth(section);
    opts.height = 250;
    opts.plugins = [faultPlugin()];
    opts.scales = opts.scales || {};
    opts.scales.x = { time: false };
    opts.cursor = { drag: { x: true, y: false } };
    const chart = new uPlot(opts, chartData, holder);
    state.charts.push(chart);
    return chart;
  }

  function charts() {
    const section = card('charts', 'Performance');
    const xLabel = data.axis.hasTime ? 'seconds since start' : 'history index / 1000 (no times recorded)';
    const lat = data.latency;
    if (lat.t.length === 0) {
      section.appendChild(el('p', { class: 'sub', text: 'No completed client ops to chart.' }));
      return;
    }
    const ys = [[], [], []];
    for (let i = 0; i < lat.t.length; i += 1) {
      for (let s = 0; s < 3; s += 1) ys[s].push(lat.o[i] === s ? lat.ms[i] : null);
    }
    const pointSeries = function (s) {
      return { label: OUTCOMES[s].name, stroke: OUTCOMES[s].color, width: 0, paths: function () { return null; },
        points: { show: true, size: lat.t.length > 20000 ? 2 : 4, stroke: OUTCOMES[s].color, fill: OUTCOMES[s].color } };
    };
    makeChart(section, 'Latency of every op (by invoke time; log scale)', {
      series: [{ label: 'time' }, pointSeries(0), pointSeries(1), pointSeries(2)],
      scales: { y: { distr: 3, range: logRange } },
      axes: [{ label: xLabel, values: tickValues, space: 90 }, { label: 'latency (ms)', values: logValues, size: 70 }],
    }, [lat.t].concat(ys));
    const b = data.buckets;
    makeChart(section, 'Latency quantiles (' + b.bucketS + ' s buckets by completion time; log scale)', {
      series: [{ label: 'time' },
        { label: 'p50', stroke: '#2b6cb0', width: 1.5, spanGaps: true },
        { label: 'p95', stroke: '#805ad5', width: 1.5, spanGaps: true },
        { label: 'p99', stroke: '#d53f8c', width: 1.5, spanGaps: true },
        { label: 'max', stroke: '#4a5568', width: 1, dash: [4, 3], spanGaps: true }],
      scales: { y: { distr: 3, range: logRange } },
      axes: [{ label: xLabel, values: tickValues, space: 90 }, { label: 'latency (ms)', values: logValues, size: 70 }],
    }, [b.t, b.p50, b.p95, b.p99, b.max]);
    makeChart(section, 'Throughput (completions per second, ' + b.bucketS + ' s buckets)', {
      series: [{ label: 'time' },
        { label: 'ok', stroke: OUTCOMES[0].color, width: 1.5 },
        { label: 'fail', stroke: OUTCOMES[1].color, width: 1.5 },
        { label: 'info', stroke: OUTCOMES[2].color, width: 1.5 }],
      axes: [{ label: xLabel, values: tickValues, space: 90 }, { label: 'ops/s', size: 80 }],
    }, [b.t, b.ok, b.fail, b.info]);
  }

  SB.faults = faults;
  SB.charts = charts;
})(window.SplitbrainReport);
