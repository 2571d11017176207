/* ossmetrics report: charts, sortable/filterable table, before/after tool, compare page.
   Collected text is only ever written with textContent, never innerHTML. */
(function () {
  "use strict";
  var EMBED = { actions: { export: true, source: false, compiled: false, editor: false }, renderer: "svg" };
  window.ossmetricsCharts = { pending: 0, done: 0, failed: 0 };
  window.ossmetricsChartViews = [];  /* drawn Vega views: what the PNG/SVG export writes */

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  /* ---- charts ---- */
  function embedAll() {
    var figs = document.querySelectorAll("figure.chart[data-spec]");
    figs.forEach(function (fig) {
      var spec = readJSON(fig.getAttribute("data-spec"));
      var body = fig.querySelector(".chart-body");
      if (!spec || !body || typeof vegaEmbed !== "function") { return; }
      window.ossmetricsCharts.pending += 1;
      vegaEmbed(body, spec, EMBED).then(function (res) {
        window.ossmetricsChartViews.push(res.view);
        window.ossmetricsCharts.done += 1;
      }).catch(function (err) {
        window.ossmetricsCharts.failed += 1;
        body.appendChild(el("p", { "class": "chart-error" }, "This chart could not be drawn: " + err));
        console.error(err);
      });
    });
  }

  /* ---- sortable, filterable table ---- */
  function cellValue(td, type) {
    var raw = td.getAttribute("data-value");
    if (raw === null) { raw = td.textContent.trim(); }
    if (type === "num") { var n = parseFloat(raw); return isNaN(n) ? null : n; }
    return raw === "" ? null : raw.toLowerCase();
  }
  function sortTable(table, col, th) {
    var type = th.getAttribute("data-type") || "text";
    var asc = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a.cells[col], type), y = cellValue(b.cells[col], type);
      if (x === null && y === null) { return 0; }
      if (x === null) { return 1; }   /* missing values last, either direction */
      if (y === null) { return -1; }
      var c = x < y ? -1 : x > y ? 1 : 0;
      return asc ? c : -c;
    });
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function initTables() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      table.querySelectorAll("thead th").forEach(function (th, i) {
        var b = th.querySelector("button");
        if (b) { b.addEventListener("click", function () { sortTable(table, i, th); }); }
      });
    });
    var table = document.getElementById("portfolio");
    var filter = document.getElementById("filter");
    var fi = document.getElementById("fragile-important");
    var shown = document.getElementById("shown");
    if (!table || !filter) { return; }
    function apply() {
      var q = filter.value.trim().toLowerCase(), n = 0, total = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        total += 1;
        var ok = (!q || (r.getAttribute("data-search") || "").indexOf(q) >= 0) &&
                 (!fi.checked || r.getAttribute("data-quadrant") === "Fragile and important");
        r.hidden = !ok;
        if (ok) { n += 1; }
      });
      shown.textContent = n + " of " + total + " shown";
    }
    filter.addEventListener("input", apply);
    fi.addEventListener("change", apply);
    apply();
  }

  /* ---- before / after a date ---- */
  function addMonths(d, m) { var x = new Date(d.getTime()); x.setUTCMonth(x.getUTCMonth() + m); return x; }
  function mean(a) { return a.length ? a.reduce(function (s, v) { return s + v; }, 0) / a.length : null; }
  function fmt(v) { return v === null ? "no data" : (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1)); }
  function initBeforeAfter() {
    var series = readJSON("ba-series");
    if (!series) { return; }
    var metric = document.getElementById("ba-metric"), date = document.getElementById("ba-date");
    var win = document.getElementById("ba-window"), out = document.getElementById("ba-result");
    var chartEl = document.getElementById("ba-chart");
    function defaultDate() {
      var s = series[metric.value] || [];
      if (!s.length) { return; }
      date.value = s[Math.floor(s.length / 2)][0];
    }
    function update() {
      var s = series[metric.value] || [];
      if (!date.value) { defaultDate(); }
      var cut = new Date(date.value + "T00:00:00Z"), w = Math.max(1, parseInt(win.value, 10) || 12);
      if (isNaN(cut.getTime())) { out.textContent = "Pick a date."; return; }
      var lo = addMonths(cut, -w), hi = addMonths(cut, w), before = [], after = [], rows = [];
      s.forEach(function (p) {
        var d = new Date(p[0] + "T00:00:00Z");
        /* "T00:00:00" without a zone: shown as that day in the reader's own time zone */
        if (d >= lo && d < cut) { before.push(p[1]); rows.push({ month: p[0] + "T00:00:00", value: p[1], period: "Before" }); }
        else if (d >= cut && d < hi) { after.push(p[1]); rows.push({ month: p[0] + "T00:00:00", value: p[1], period: "After" }); }
      });
      var b = mean(before), a = mean(after), change = "";
      if (b !== null && a !== null && b !== 0) { change = " (" + (a >= b ? "+" : "") + ((a - b) / b * 100).toFixed(0) + "%)"; }
      out.textContent = metric.value + ": average " + fmt(b) + " in the " + w + " months before " + date.value +
        " (" + before.length + " values), " + fmt(a) + " in the " + w + " months after (" + after.length + " values)" + change + ".";
      if (typeof vegaEmbed !== "function") { return; }
      var spec = {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        description: "Before and after " + date.value + " for " + metric.value,
        width: 640, height: 160, data: { values: rows },
        layer: [
          { mark: { type: "bar" }, encoding: {
              x: { field: "month", type: "temporal", title: null },
              y: { field: "value", type: "quantitative", title: null },
              color: { field: "period", type: "nominal", title: null, scale: { domain: ["Before", "After"], range: ["#56B4E9", "#D55E00"] } },
              tooltip: [{ field: "month", type: "temporal", format: "%b %Y" }, { field: "value", type: "quantitative", format: ",.1f" }] } },
          { data: { values: [{ d: date.value + "T00:00:00" }] }, mark: { type: "rule", strokeDash: [4, 4] }, encoding: { x: { field: "d", type: "temporal" } } }
        ],
        config: { view: { stroke: null }, font: "system-ui, sans-serif" }
      };
      vegaEmbed(chartEl, spec, EMBED).catch(function (e) { console.error(e); });
    }
    metric.addEventListener("change", function () { update(); });
    date.addEventListener("change", update);
    win.addEventListener("change", update);
    defaultDate();
    update();
  }

  /* ---- compare ---- */
  var COMPARE_ROWS = [
    ["risk", "Risk (0-100)", "num0"], ["risk_kind", "Risk from", "text"], ["p_dormant", "P(dormant)", "pct"],
    ["p_core_loss", "P(core loss)", "pct"], ["importance_exposure", "Our exposure (SBOMs)", "num1"],
    ["truck_factor", "Truck factor", "num0"], ["key_people_cross_load", "Key people: other projects", "num0"],
    ["contributors_12m", "Active contributors (12 mo)", "num0"], ["contributors_prev_12m", "Active contributors (year before)", "num0"],
    ["commits_12m", "Commits (12 mo)", "num0"], ["newcomer_retention", "Newcomer retention", "pct"],
    ["first_response_h", "First response (median hours)", "num1"], ["merge_h", "Time to merge (median hours)", "num1"],
    ["last_release_at", "Last release", "date"], ["last_commit_at", "Last commit", "date"], ["stars", "Stars", "num0"],
    ["importance_reach", "Ecosystem reach", "num0"], ["criticality", "criticality_score (baseline)", "num0"]
  ];
  function fmtCell(v, kind, row, key) {
    if ((key === "first_response_h" || key === "merge_h" || key === "last_release_at") && !row.github_collected) { return "not collected"; }
    if (v === null || v === undefined || v === "") { return "—"; }
    if (kind === "pct") { return Math.round(v * 100) + "%"; }
    if (kind === "num0") { return Math.round(v).toLocaleString("en"); }
    if (kind === "num1") { return (+v).toFixed(1); }
    if (kind === "date") { return String(v).slice(0, 10); }
    return String(v);
  }
  function initCompare() {
    var data = readJSON("compare-data");
    var list = document.getElementById("pick-list");
    if (!data || !list) { return; }
    var out = document.getElementById("compare-out"), count = document.getElementById("pick-count");
    var filter = document.getElementById("pick-filter");
    var chosen = [];
    try { chosen = decodeURIComponent(location.hash.slice(1)).split(",").filter(function (n) { return data.some(function (d) { return d.repo === n; }); }); } catch (e) { chosen = []; }
    if (!chosen.length) { chosen = data.slice().sort(function (a, b) { return (b.importance || 0) - (a.importance || 0); }).slice(0, Math.min(3, data.length)).map(function (d) { return d.repo; }); }
    var boxes = [];
    data.forEach(function (d) {
      var lab = el("label"), box = el("input", { type: "checkbox", value: d.repo });
      box.checked = chosen.indexOf(d.repo) >= 0;
      lab.appendChild(box); lab.appendChild(document.createTextNode(" " + d.repo));
      list.appendChild(lab); boxes.push(box);
      box.addEventListener("change", function () {
        var picked = boxes.filter(function (b) { return b.checked; });
        if (picked.length > 5) { box.checked = false; }
        render();
      });
    });
    filter.addEventListener("input", function () {
      var q = filter.value.toLowerCase();
      boxes.forEach(function (b) { b.parentNode.hidden = q && b.value.toLowerCase().indexOf(q) < 0; });
    });
    function render() {
      var picked = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      count.textContent = "(" + picked.length + " of at most 5 chosen)";
      try { history.replaceState(null, "", "#" + encodeURIComponent(picked.join(","))); } catch (e) { /* file:// in some browsers */ }
      out.textContent = "";
      if (picked.length < 2) { out.appendChild(el("p", { "class": "na" }, "Choose at least two projects.")); return; }
      var rows = picked.map(function (n) { return data.filter(function (d) { return d.repo === n; })[0]; });
      var table = el("table", { "class": "plain", id: "compare-table" });
      var thead = el("thead"), tr = el("tr");
      tr.appendChild(el("th", { scope: "col" }, "Figure"));
      rows.forEach(function (r) {
        var th = el("th", { scope: "col" }), a = el("a", { href: r.href }, r.repo);
        th.appendChild(a); tr.appendChild(th);
      });
      thead.appendChild(tr); table.appendChild(thead);
      var tbody = el("tbody");
      COMPARE_ROWS.forEach(function (spec) {
        var key = spec[0], row = el("tr");
        row.appendChild(el("th", { scope: "row" }, spec[1]));
        var nums = rows.map(function (r) { return typeof r[key] === "number" ? r[key] : null; });
        var max = Math.max.apply(null, nums.filter(function (v) { return v !== null; }).concat([0]));
        rows.forEach(function (r, i) {
          var td = el("td", { "class": spec[2] === "text" || spec[2] === "date" ? "" : "num" }, fmtCell(r[key], spec[2], r, key));
          if (nums[i] !== null && max > 0 && spec[2] !== "date") {
            var bar = el("span", { "class": "bar" }); bar.style.width = Math.round(nums[i] / max * 100) + "%"; td.appendChild(bar);
          }
          row.appendChild(td);
        });
        tbody.appendChild(row);
      });
      table.appendChild(tbody); out.appendChild(table);
    }
    render();
  }

  document.addEventListener("DOMContentLoaded", function () {
    embedAll(); initTables(); initBeforeAfter(); initCompare();
  });
})();
