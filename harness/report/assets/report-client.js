// Browser side of report.html and compare.html: draws the charts described by the JSON in
// <script id="report-data"> with uPlot (inlined before this script). Plain ES2017, no modules,
// no network. Every chart records what it drew in data-* attributes so a test can check it.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var charts = [];
  window.__auditstormCharts = charts;

  var MIB = 1048576;
  function fmtBytes(v) {
    if (v == null) return '';
    var a = Math.abs(v);
    if (a >= 1024 * MIB) return (v / (1024 * MIB)).toFixed(2) + ' GiB';
    if (a >= MIB) return (v / MIB).toFixed(a >= 100 * MIB ? 0 : 1) + ' MiB';
    if (a >= 1024) return (v / 1024).toFixed(0) + ' KiB';
    return v.toFixed(0) + ' B';
  }
  function fmtCount(v) {
    if (v == null) return '';
    var a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(2) + 'G';
    if (a >= 1e6) return (v / 1e6).toFixed(2) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(1) + 'k';
    return Math.round(v * 100) / 100 + '';
  }
  function fmtMs(v) {
    if (v == null) return '';
    if (Math.abs(v) >= 10000) return (v / 1000).toFixed(1) + ' s';
    return fmtCount(v) + ' ms';
  }
  function fmtTime(s) {
    if (s == null) return '';
    var t = Math.round(s);
    if (t < 120) return (Math.round(s * 10) / 10) + 's';
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), r = t % 60;
    if (h) return h + 'h' + (m < 10 ? '0' : '') + m + 'm';
    return m + 'm' + (r < 10 ? '0' : '') + r + 's';
  }
  var FMT = { bytes: fmtBytes, count: fmtCount, ms: fmtMs, rate: function (v) { return v == null ? '' : fmtCount(v) + '/s'; } };

  function hexToRgb(c) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
    return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : [128, 128, 128];
  }
  function rgba(c, a) {
    var rgb = hexToRgb(c);
    return 'rgba(' + rgb[0] + ',' + rgb[1] + ',' + rgb[2] + ',' + a + ')';
  }

  function xMax() { return data.x.length ? data.x[data.x.length - 1] + data.widthMs / 1000 : 1; }

  // Fault windows under the data, OOM kills and restarts over it: on every chart. Each window
  // carries its fault's kind at its top left; labels that would overlap go down a row.
  function drawShades(u) {
    if (!data.shades.length) return;
    var ctx = u.ctx, b = u.bbox, pr = window.devicePixelRatio || 1;
    var drawn = [];
    var rowsEnd = [];
    ctx.save();
    ctx.beginPath(); ctx.rect(b.left, b.top, b.width, b.height); ctx.clip();
    ctx.font = (11 * pr) + 'px sans-serif';
    data.shades.forEach(function (s) {
      var x0 = u.valToPos(s.start, 'x', true);
      var x1 = u.valToPos(s.end == null ? xMax() : s.end, 'x', true);
      ctx.fillStyle = s.color;
      ctx.fillRect(x0, b.top, Math.max(2, x1 - x0), b.height);
      var w = ctx.measureText(s.label).width;
      var tx = Math.min(Math.max(b.left + 2 * pr, x0 + 3 * pr), b.left + b.width - w - 2 * pr);
      var row = 0;
      while (rowsEnd[row] != null && rowsEnd[row] > tx) row++;
      rowsEnd[row] = tx + w + 6 * pr;
      ctx.fillStyle = '#8a4b00';
      ctx.fillText(s.label, tx, b.top + (12 + 13 * row) * pr);
      drawn.push(s.label);
    });
    ctx.restore();
    u.root.parentNode.setAttribute('data-fault-labels', JSON.stringify(drawn));
  }
  function drawMarks(u) {
    if (!data.marks.length) return;
    var ctx = u.ctx, b = u.bbox, pr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.beginPath(); ctx.rect(b.left, b.top, b.width, b.height); ctx.clip();
    ctx.font = (10 * pr) + 'px sans-serif';
    data.marks.forEach(function (m) {
      var x = Math.round(u.valToPos(m.t, 'x', true));
      ctx.strokeStyle = m.color; ctx.fillStyle = m.color; ctx.lineWidth = 2 * pr;
      ctx.setLineDash(m.dash ? [6 * pr, 4 * pr] : []);
      ctx.beginPath(); ctx.moveTo(x, b.top); ctx.lineTo(x, b.top + b.height); ctx.stroke();
      ctx.fillText(m.dash ? 'restart' : 'OOM', x + 3 * pr, b.top + b.height - 4 * pr);
    });
    ctx.restore();
  }

  // From zero (or below, for negative data) to a little above the top, with a small margin under
  // zero so a series flat at 0 is drawn inside the plot, not on its edge.
  function yRange(u, min, max) {
    var lo = Math.min(0, min == null ? 0 : min), hi = max == null || max <= lo ? lo + 1 : max;
    var pad = (hi - lo) * 0.04;
    return [lo - pad, hi + pad * 2];
  }
  // Ticks at whole numbers (counts, ms) and at binary steps for bytes.
  var WHOLE_INCRS = [], BYTE_INCRS = [];
  for (var e = 0; e < 16; e++) [1, 2, 5].forEach(function (k) { WHOLE_INCRS.push(k * Math.pow(10, e)); });
  for (var b = 10; b < 50; b++) BYTE_INCRS.push(Math.pow(2, b));

  function build(chart, el) {
    var fmt = FMT[chart.unit] || fmtCount;
    var n = data.x.length;
    var cols = [data.x];
    var series = [{ label: 'time', value: function (u, v) { return fmtTime(v); } }];
    var bands = [];
    // A bucket wider than the sampling period holds several samples: the max is the line and
    // the band down to the min shows the spread. At one sample per bucket, min = max.
    var wide = data.widthMs > 150;
    var enveloped = wide && data.envelopeBands !== false;
    chart.series.forEach(function (s) {
      if (s.kind === 'envelope') {
        cols.push(s.max);
        series.push({ label: s.label + (wide ? ' (max)' : ''), stroke: s.color, width: 1.5, spanGaps: false, dash: s.dash ? [8, 4] : undefined, value: function (u, v) { return fmt(v); } });
        if (enveloped) {
          cols.push(s.min);
          series.push({ label: s.label + ' (min)', stroke: rgba(s.color, 0.45), width: 1, spanGaps: false, value: function (u, v) { return fmt(v); } });
          bands.push({ series: [cols.length - 2, cols.length - 1], fill: rgba(s.color, 0.15) });
        }
      } else {
        var vals = s.values;
        if (!vals) { vals = new Array(n); for (var i = 0; i < n; i++) vals[i] = s.constant; }
        cols.push(vals);
        series.push({ label: s.label, stroke: s.color, width: 1.5, dash: s.kind === 'limit' || s.dash ? [6, 4] : undefined, spanGaps: false,
          points: { show: s.kind !== 'limit' }, value: function (u, v) { return fmt(v); } });
      }
    });
    var width = innerWidth(el);
    var opts = {
      width: width, height: 260,
      scales: { x: { time: false, range: function (u, min, max) { return [0, Math.max(max, xMax())]; } }, y: { range: yRange } },
      axes: [
        { values: function (u, vals) { return vals.map(fmtTime); } },
        { size: 76, incrs: chart.unit === 'bytes' ? BYTE_INCRS : WHOLE_INCRS, values: function (u, vals) { return vals.map(fmt); } },
      ],
      series: series,
      bands: bands,
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      hooks: { drawClear: [drawShades], draw: [drawMarks, function (u) { el.setAttribute('data-drawn', String(++drawCount)); }] },
    };
    var drawCount = 0;
    var u = new uPlot(opts, cols, el);
    u.__chartId = chart.id;
    el.setAttribute('data-series', String(series.length - 1));
    el.setAttribute('data-points', String(n));
    charts.push(u);
    return u;
  }

  // The plot fills the frame's content box (inside its padding), so neither the canvas nor the
  // legend spills out of the frame at any width.
  function innerWidth(el) {
    var cs = window.getComputedStyle(el);
    var w = el.clientWidth - parseFloat(cs.paddingLeft || '0') - parseFloat(cs.paddingRight || '0');
    return Math.max(200, Math.floor(w || 900));
  }

  data.charts.forEach(function (chart) {
    var el = document.getElementById('chart-' + chart.id);
    try {
      build(chart, el);
    } catch (err) {
      el.textContent = 'could not draw this chart: ' + err;
      throw err;
    }
  });

  var pending = null;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      charts.forEach(function (u) { u.setSize({ width: innerWidth(u.root.parentNode), height: 260 }); });
    }, 100);
  });
  document.body.setAttribute('data-charts-ready', String(charts.length));
})();
