// The page's charts, drawn by Apache ECharts from the numbers plotdata.js prepared. Each function
// takes a container and those numbers; the container keeps one chart instance.
import * as echarts from 'echarts/core';
import { BarChart, CustomChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, TitleComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, CustomChart, HeatmapChart, LineChart, ScatterChart, GridComponent, TooltipComponent,
  VisualMapComponent, TitleComponent, LegendComponent, CanvasRenderer]);

const POSITIVE = '#d6404e';
const NEGATIVE = '#2f7ed8';
const fmt = (v) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : Number(v.toFixed(4)).toString());

function chart(container, height) {
  container.style.height = `${height}px`;
  const existing = echarts.getInstanceByDom(container);
  if (existing) {
    existing.resize();
    return existing;
  }
  const created = echarts.init(container);
  new ResizeObserver(() => created.resize()).observe(container);
  return created;
}

function rowsHeight(rows) {
  return Math.max(160, 60 + 22 * rows);
}

/** Horizontal bars of attribution ± standard error, largest on top. `items`: [{name, value, error}]. */
export function drawBars(container, items, title) {
  const top = [...items].reverse();
  const withErrors = top.some((i) => i.error != null && i.error > 0);
  chart(container, rowsHeight(top.length)).setOption({
    animation: false,
    title: { text: title, left: 'center', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' },
      valueFormatter: (v) => (typeof v === 'number' ? fmt(v) : v) },
    grid: { left: 10, right: 30, top: 30, bottom: 20, containLabel: true },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', data: top.map((i) => i.name) },
    series: [
      { type: 'bar', name: 'attribution',
        data: top.map((i) => ({ value: i.value, itemStyle: { color: i.value >= 0 ? POSITIVE : NEGATIVE } })) },
      { type: 'custom', name: '± standard error', silent: true,
        data: withErrors ? top.map((i, row) => [row, i.value - (i.error || 0), i.value + (i.error || 0)]) : [],
        renderItem: (params, api) => {
          const low = api.coord([api.value(1), api.value(0)]);
          const high = api.coord([api.value(2), api.value(0)]);
          const cap = api.size([0, 1])[1] * 0.2;
          const style = { stroke: '#333', lineWidth: 1.2 };
          return { type: 'group', children: [
            { type: 'line', shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style },
            { type: 'line', shape: { x1: low[0], y1: low[1] - cap, x2: low[0], y2: low[1] + cap }, style },
            { type: 'line', shape: { x1: high[0], y1: high[1] - cap, x2: high[0], y2: high[1] + cap }, style },
          ] };
        },
        encode: { x: [1, 2], y: 0 }, z: 10 },
    ],
  }, true);
}

/** The waterfall from the base value through each step to the model output (plotdata.waterfall). */
export function drawWaterfall(container, plot, title) {
  const names = ['base value', ...plot.steps.map((s) => s.name), 'model output'];
  const low = [0, ...plot.steps.map((s) => Math.min(s.start, s.end)), 0];
  const bars = [
    { value: plot.baseValue, itemStyle: { color: '#888' } },
    ...plot.steps.map((s) => ({ value: Math.abs(s.value), itemStyle: { color: s.value >= 0 ? POSITIVE : NEGATIVE } })),
    { value: plot.modelOutput, itemStyle: { color: '#444' } },
  ];
  const lowest = Math.min(0, plot.baseValue, plot.modelOutput, ...plot.steps.map((s) => Math.min(s.start, s.end)));
  chart(container, 340).setOption({
    animation: false,
    title: { text: title, left: 'center', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' },
      formatter: (items) => {
        const i = items[0].dataIndex;
        if (i === 0) return `base value ${fmt(plot.baseValue)}`;
        if (i === names.length - 1) return `model output ${fmt(plot.modelOutput)}`;
        const s = plot.steps[i - 1];
        return `${s.name}: ${s.value >= 0 ? '+' : ''}${fmt(s.value)}<br>${fmt(s.start)} → ${fmt(s.end)}`;
      } },
    grid: { left: 10, right: 20, top: 45, bottom: 10, containLabel: true },
    xAxis: { type: 'category', data: names, axisLabel: { rotate: 35, interval: 0 } },
    yAxis: { type: 'value', min: lowest < 0 ? undefined : 0, scale: lowest >= 0 ? false : true },
    series: [
      { type: 'bar', stack: 'waterfall', silent: true, itemStyle: { color: 'transparent' }, data: low },
      { type: 'bar', stack: 'waterfall', data: bars,
        label: { show: true, position: 'top', fontSize: 10,
          formatter: (p) => (p.dataIndex === 0 || p.dataIndex === names.length - 1 ? fmt(p.value)
            : `${plot.steps[p.dataIndex - 1].value >= 0 ? '+' : ''}${fmt(plot.steps[p.dataIndex - 1].value)}`) } },
    ],
  }, true);
}

/** The beeswarm (plotdata.beeswarm): attribution on x, one row per feature, colour = feature value. */
export function drawBeeswarm(container, plot, title) {
  const names = plot.rows.map((r) => r.feature);
  const data = plot.rows.flatMap((r) => r.points.map((p) => [p.attribution, p.y, p.colour, p.value, p.instance]));
  chart(container, rowsHeight(names.length) + 40).setOption({
    animation: false,
    title: { text: title, left: 'center', textStyle: { fontSize: 13 } },
    tooltip: { formatter: (p) => `${names[Math.round(p.value[1])]} = ${fmt(p.value[3])}<br>instance ${p.value[4]}: ${fmt(p.value[0])}` },
    grid: { left: 10, right: 90, top: 30, bottom: 30, containLabel: true },
    xAxis: { type: 'value', name: 'attribution', nameLocation: 'middle', nameGap: 22 },
    yAxis: { type: 'value', min: -1, max: names.length, interval: 1,
      axisLabel: { formatter: (v) => names[v] ?? '' }, splitLine: { lineStyle: { type: 'dashed' } } },
    visualMap: { type: 'continuous', dimension: 2, min: 0, max: 1, right: 0, top: 'middle',
      text: ['high', 'low'], calculable: false, inRange: { color: [NEGATIVE, '#a050a0', POSITIVE] } },
    series: [{ type: 'scatter', symbolSize: 5, data }],
  }, true);
}

/**
 * The attributions over the image (plotdata.imageHeatmap): the pixels in grey, the attributions on
 * top in red (positive) and blue (negative), symmetric about 0.
 */
export function drawImageHeatmap(container, plot, title) {
  const limit = Math.max(...plot.cells.map((c) => Math.abs(c[3])), 1e-12);
  const pixels = plot.cells.map((c) => c[2]);
  const side = Math.min(420, 40 * Math.max(plot.width, plot.height));
  chart(container, side + 60).setOption({
    animation: false,
    title: { text: title, left: 'center', textStyle: { fontSize: 13 } },
    tooltip: { formatter: (p) => `pixel (${p.value[1]}, ${p.value[0]}) = ${fmt(p.value[2])}<br>attribution ${fmt(p.value[3])}` },
    grid: { left: 'center', top: 30, width: side * (plot.width / Math.max(plot.width, plot.height)),
      height: side * (plot.height / Math.max(plot.width, plot.height)) },
    xAxis: { type: 'category', data: [...Array(plot.width).keys()], show: false },
    yAxis: { type: 'category', data: [...Array(plot.height).keys()], inverse: true, show: false },
    visualMap: [
      { seriesIndex: 0, dimension: 2, min: Math.min(...pixels), max: Math.max(...pixels), show: false,
        inRange: { color: ['#ffffff', '#202020'] } },
      { seriesIndex: 1, dimension: 3, min: -limit, max: limit, orient: 'horizontal', left: 'center', bottom: 0,
        calculable: false, text: ['+', '−'],
        inRange: { color: ['rgba(47,126,216,0.85)', 'rgba(255,255,255,0)', 'rgba(214,64,78,0.85)'] } },
    ],
    series: [
      { type: 'heatmap', data: plot.cells, silent: true },
      { type: 'heatmap', data: plot.cells },
    ],
  }, true);
}

export function clear(container) {
  const existing = echarts.getInstanceByDom(container);
  if (existing) existing.dispose();
  container.style.height = '';
}

/** The deletion and insertion curves: the model output against the fraction of features moved (plotdata.evaluationPlot). */
export function drawCurves(container, curves, title) {
  chart(container, 260).setOption({
    animation: false,
    title: { text: title, left: 'center', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis', valueFormatter: (v) => (typeof v === 'number' ? fmt(v) : v) },
    legend: { bottom: 0 },
    grid: { left: 10, right: 30, top: 30, bottom: 40, containLabel: true },
    xAxis: { type: 'value', min: 0, max: 1, name: 'features moved' },
    yAxis: { type: 'value', scale: true },
    series: Object.entries(curves).map(([name, c]) => ({ type: 'line', name: `${name} (area ${fmt(c.area)})`,
      data: c.points, showSymbol: true, color: name === 'deletion' ? NEGATIVE : POSITIVE })),
  }, true);
}
