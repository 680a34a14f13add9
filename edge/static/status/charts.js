// The charts of /status: the edge's status history (/status/history.json) drawn with uPlot.
//
// The edge keeps one sample of its status view every edge.history_sample_ms for
// edge.history_minutes (edge/history.py). This module fetches it once, then only the
// samples after the last one it has, and redraws every chart; failovers are dashed
// lines across each chart and samples without the broker's answer are grey bands.
// Every chart has a text alternative (its latest value, low and high, failovers)
// and the samples can be read as a table.
import uPlot from "./vendor/uPlot.esm.js";

const dash = "–";
const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
const CHART_HEIGHT = 160;  // px of the plot and its axes; the legend comes below
const MIN_SPAN_SAMPLES = 24;  // a young history is drawn as if this many samples wide, not stretched

// What each chart draws: sample fields, with a label and a format for its values.
const CHARTS = [
  {id: "sessions", title: "Sessions", integer: true,
   series: [{key: "sessions", label: "Sessions", color: 1}]},
  {id: "players", title: "Players in game", integer: true,
   series: [{key: "players_in_game", label: "Players", color: 1}]},
  {id: "packets", title: "Packets/s", format: v => v.toFixed(1),
   series: [{key: "packets_in_per_s", label: "In (from players)", color: 1},
            {key: "packets_out_per_s", label: "Out (to players)", color: 2}]},
  // A sample without routed frames has no latency: the line joins the samples that have one.
  {id: "routing", title: "Routing latency p99", unit: "ms", format: v => v.toFixed(v < 10 ? 2 : 0), joined: true,
   series: [{key: "routing_p99_ms", label: "p99", color: 1}]},
  {id: "checkpoint", title: "Checkpoint lag", unit: "s", scale: 1 / 1000, format: v => v.toFixed(v < 10 ? 2 : 0),
   series: [{key: "checkpoint_lag_ms", label: "Oldest map", color: 1}]},
  {id: "queued", title: "Broker queues", integer: true,
   series: [{key: "queued", label: "Commands held", color: 1}]},
];

const state = {samples: [], failovers: [], sampleMs: 5000, windowMs: 3600000, capacity: 720, charts: []};

function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
function clock(ms) { return new Date(ms).toLocaleTimeString(); }
function formatted(chart, value) {
  if (value === null || value === undefined) return dash;
  const text = chart.integer ? String(Math.round(value)) : chart.format(value);
  return chart.unit ? `${text} ${chart.unit}` : text;
}
function valueOf(chart, series, sample) {
  const value = sample[series.key];
  return value === null || value === undefined ? null : value * (chart.scale || 1);
}

// --- drawing --------------------------------------------------------------------------

// The plot's x range: the samples of the window, at least MIN_SPAN_SAMPLES wide.
function timeRange(u, min, max) {
  const last = state.samples.length ? state.samples[state.samples.length - 1].at_ms / 1000 : Date.now() / 1000;
  const first = state.samples.length ? state.samples[0].at_ms / 1000 : last;
  return [Math.min(first, last - MIN_SPAN_SAMPLES * state.sampleMs / 1000), last];
}

function valueRange(chart) {
  return (u, min, max) => {
    const top = max === null || !Number.isFinite(max) || max <= 0 ? 1 : max * 1.15;
    return [0, chart.integer ? Math.max(1, Math.ceil(top)) : top];
  };
}

// Grey bands where the broker did not answer, dashed lines (and the map) at each failover.
function drawMarks(u) {
  const {ctx, bbox} = u;
  const ratio = devicePixelRatio || 1;
  const x = seconds => u.valToPos(seconds, "x", true);
  ctx.save();
  ctx.fillStyle = css("--down");
  for (const [from, to] of downBands()) {
    const left = Math.max(x(from / 1000), bbox.left);
    ctx.fillRect(left, bbox.top, Math.max(x(to / 1000) - left, ratio), bbox.height);
  }
  ctx.strokeStyle = ctx.fillStyle = css("--mark");
  ctx.lineWidth = 1.5 * ratio;
  ctx.setLineDash([4 * ratio, 3 * ratio]);
  ctx.font = `${11 * ratio}px system-ui, sans-serif`;
  ctx.textAlign = "left";  // uPlot leaves its axis labels' alignment set
  ctx.textBaseline = "top";
  for (const failover of state.failovers) {
    const at = x(failover.at_ms / 1000);
    if (at < bbox.left || at > bbox.left + bbox.width) continue;
    ctx.beginPath();
    ctx.moveTo(at, bbox.top);
    ctx.lineTo(at, bbox.top + bbox.height);
    ctx.stroke();
    const label = `map ${failover.map_id}`;
    const width = ctx.measureText(label).width;
    const left = at + 3 * ratio + width > bbox.left + bbox.width ? at - 3 * ratio - width : at + 3 * ratio;
    ctx.fillText(label, left, bbox.top + 2 * ratio);
  }
  ctx.restore();
}

// [from, to] ms of each run of samples without the broker's answer, from the sample before the run.
function downBands() {
  const bands = [];
  state.samples.forEach((sample, index) => {
    if (sample.broker_up) return;
    const previous = index ? state.samples[index - 1] : null;
    if (previous && !previous.broker_up) bands[bands.length - 1][1] = sample.at_ms;
    else bands.push([previous ? previous.at_ms : sample.at_ms - state.sampleMs, sample.at_ms]);
  });
  return bands;
}

// Where uPlot draws no points (dense data), still a point for a value between two gaps:
// without it a lone value would not show at all.
function isolatedPoints(u, seriesIndex, show) {
  if (show) return null;
  const values = u.data[seriesIndex], found = [];
  values.forEach((value, i) => {
    if (value !== null && (i === 0 || values[i - 1] === null) && (i === values.length - 1 || values[i + 1] === null))
      found.push(i);
  });
  return found.length ? found : null;
}

function options(chart, width) {
  const axis = {stroke: css("--axis"), grid: {stroke: css("--grid"), width: 1}, ticks: {stroke: css("--grid")}};
  return {
    width, height: CHART_HEIGHT,
    scales: {x: {time: true, range: timeRange}, y: {range: valueRange(chart)}},
    axes: [{...axis, space: 70},
           {...axis, size: 48, space: 28, incrs: chart.integer ? INTEGER_STEPS : undefined,
            values: (u, ticks) => ticks.map(t => chart.integer ? String(t) : +t.toFixed(3))}],
    series: [{label: "Time", value: (u, v, s, index) => index === null ? "latest" : clock(v * 1000)},
             ...chart.series.map(series => ({
               label: series.label, stroke: css(`--series-${series.color}`), width: 2,
               fill: chart.series.length === 1 ? css(`--series-${series.color}-fill`) : undefined,
               spanGaps: Boolean(chart.joined), points: {size: 5, filter: isolatedPoints},
               // Off the chart the legend shows the latest value; over it, the value under the cursor.
               value: (u, v, s, index) => formatted(chart, index === null ? latest(chart, series).value : v)}))],
    cursor: {sync: {key: "status-history"}, drag: {x: false, y: false}},
    legend: {live: true},
    hooks: {draw: [drawMarks]},
  };
}

function data(chart) {
  const times = state.samples.map(sample => sample.at_ms / 1000);
  return [times, ...chart.series.map(series => state.samples.map(sample => valueOf(chart, series, sample)))];
}

// --- text alternatives ----------------------------------------------------------------------

// The newest sample with a value of ``series`` (and whether it is the newest sample of all).
function latest(chart, series) {
  for (let index = state.samples.length - 1; index >= 0; index--) {
    const value = valueOf(chart, series, state.samples[index]);
    if (value !== null) return {value, sample: state.samples[index], newest: index === state.samples.length - 1};
  }
  return {value: null};
}

function describe(chart) {
  const parts = chart.series.map(series => {
    const values = state.samples.map(sample => valueOf(chart, series, sample)).filter(v => v !== null);
    if (!values.length) return `${series.label}: no data yet`;
    const last = latest(chart, series);
    const when = last.newest ? "now" : `last at ${clock(last.sample.at_ms)}`;
    return `${series.label}: ${when} ${formatted(chart, last.value)}, low ${formatted(chart, Math.min(...values))}, ` +
      `high ${formatted(chart, Math.max(...values))}`;
  });
  return parts.join("; ") + ".";
}

function spanText() {
  if (!state.samples.length) return "no samples yet";
  const minutes = Math.round((state.samples[state.samples.length - 1].at_ms - state.samples[0].at_ms) / 60000);
  return `${state.samples.length} samples over ${minutes < 1 ? "less than a minute" : minutes + " min"}`;
}

function failoverText() {
  const first = state.samples.length ? state.samples[0].at_ms : Infinity;
  const shown = state.failovers.filter(f => f.at_ms >= first);
  if (!shown.length) return "No failover in this time.";
  return `${shown.length} failover${shown.length > 1 ? "s" : ""}: ` + shown.map(f =>
    `map ${f.map_id} from ${f.from} to ${f.to || "(not yet granted)"} at ${clock(f.at_ms)}`).join("; ") + ".";
}

const TABLE_COLUMNS = [["Time", s => clock(s.at_ms)], ["Broker", s => s.broker_up ? "up" : "no answer"],
  ...CHARTS.flatMap(chart => chart.series.map(series => [
    chart.series.length > 1 ? `${chart.title} ${series.label.split(" ")[0].toLowerCase()}` :
      chart.title + (chart.unit ? ` (${chart.unit})` : ""),
    s => {
      const v = valueOf(chart, series, s);
      return v === null ? dash : (chart.integer ? String(v) : chart.format(v));
    },
  ]))];

function fillTable() {
  const box = document.getElementById("history-table-box");
  if (!box.open) return;  // built only while someone reads it
  const table = document.getElementById("history-table");
  const head = document.createElement("thead"), row = head.insertRow();
  for (const [title] of TABLE_COLUMNS) {
    const cell = document.createElement("th");
    cell.scope = "col"; cell.textContent = title; row.appendChild(cell);
    if (row.cells.length > 2) cell.className = "num";
  }
  const body = document.createElement("tbody");
  for (const sample of [...state.samples].reverse()) {
    const line = body.insertRow();
    TABLE_COLUMNS.forEach(([, read], index) => {
      const cell = document.createElement(index ? "td" : "th");
      if (!index) cell.scope = "row";
      if (index > 1) cell.className = "num";
      cell.textContent = read(sample);
      line.appendChild(cell);
    });
  }
  table.replaceChildren(head, body);
}

// --- the page ----------------------------------------------------------------------------

function build() {
  const grid = document.getElementById("charts");
  for (const chart of CHARTS) {
    const figure = document.createElement("figure");
    figure.id = `chart-${chart.id}`;
    figure.className = "chart";
    const caption = document.createElement("figcaption");
    caption.id = `chart-${chart.id}-title`;
    caption.textContent = chart.title + (chart.unit ? ` (${chart.unit})` : "");
    const summary = document.createElement("p");
    summary.id = `chart-${chart.id}-summary`;
    summary.className = "chart-summary";
    figure.setAttribute("aria-labelledby", caption.id);
    figure.setAttribute("aria-describedby", summary.id);
    chart.holder = document.createElement("div");
    figure.append(caption, chart.holder, summary);
    grid.appendChild(figure);
    chart.figure = figure; chart.summary = summary;
    plot(chart);
    state.charts.push(chart);
  }
  new ResizeObserver(() => {
    for (const chart of state.charts) {
      chart.plot.setSize({width: Math.max(200, chart.figure.clientWidth), height: CHART_HEIGHT});
    }
  }).observe(grid);
  // The colours are the page's CSS variables, read when a chart is made: a new scheme makes them anew.
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => state.charts.forEach(plot));
  document.getElementById("history-table-box").addEventListener("toggle", fillTable);
}

// (Re)make a chart's uPlot in its figure; the canvas is an image labelled by the caption and summary.
function plot(chart) {
  if (chart.plot) chart.plot.destroy();
  chart.plot = new uPlot(options(chart, Math.max(200, chart.figure.clientWidth)), data(chart), chart.holder);
  const canvas = chart.holder.querySelector("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-labelledby", `chart-${chart.id}-title chart-${chart.id}-summary`);
}

function render() {
  for (const chart of state.charts) {
    chart.plot.setData(data(chart));
    const points = chart.plot.data[1].filter(v => v !== null).length;
    chart.figure.dataset.samples = String(state.samples.length);
    chart.figure.dataset.points = String(points);
    chart.summary.textContent = describe(chart);
  }
  const minutes = Math.round(state.windowMs / 60000);
  document.getElementById("history-title").textContent =
    minutes === 60 ? "The last hour" : `The last ${minutes} minutes`;
  document.getElementById("history-span").textContent = `One sample every ${state.sampleMs / 1000} s, ${spanText()}.`;
  document.getElementById("history-failovers").textContent = failoverText();
  fillTable();
}

function merge(answer) {
  state.sampleMs = answer.sample_ms;
  state.windowMs = answer.window_ms;
  state.capacity = answer.capacity;
  state.failovers = answer.failovers;
  const last = state.samples.length ? state.samples[state.samples.length - 1].at_ms : -Infinity;
  const fresh = answer.samples.filter(sample => sample.at_ms > last);
  const samples = state.samples.concat(fresh);
  const newest = samples.length ? samples[samples.length - 1].at_ms : 0;
  state.samples = samples.filter(sample => sample.at_ms > newest - state.windowMs).slice(-state.capacity);
  return fresh.length > 0;
}

async function refresh() {
  const note = document.getElementById("history-state");
  if (!document.getElementById("paused").checked) {
    const last = state.samples.length ? state.samples[state.samples.length - 1].at_ms : null;
    try {
      const response = await fetch("/status/history.json" + (last === null ? "" : `?since=${last}`),
                                   {cache: "no-store"});
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const answer = await response.json();
      if (merge(answer) || !state.rendered) render();
      state.rendered = true;
      note.textContent = "";
    } catch (error) {
      note.textContent = `cannot read the history (${error.message})`;
    }
  }
  setTimeout(refresh, Math.min(10000, Math.max(1000, state.sampleMs)));
}

build();
refresh();
