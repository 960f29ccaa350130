// The page: pick a model, fill an instance (from a background row), explain it while the estimates
// stream in, then read the waterfall and bars (and the heatmap for an image); or upload a CSV of many
// rows for the beeswarm and mean |attribution| bars. Every plotted number is kept in
// window.prismLastPlot (and each chart's data-values) so that a browser test can read it back.
import './style.css';
import { ApiError, explain, explainStream, getModel, listModels, predict, setToken } from './api.js';
import { METHODS, explainRequest, instanceShape } from './request.js';
import { parseInstances } from './csv.js';
import { bars, beeswarm, defaultExplanation, evaluationPlot, highestScoredOutput, imageHeatmap, meanAbs, mergeEstimates, progressPercent,
  tensorRow, waterfall } from './plotdata.js';
import { clear, drawBars, drawBeeswarm, drawCurves, drawImageHeatmap, drawWaterfall } from './charts.js';

const BACKGROUND_ROWS = 20;
const $ = (id) => document.getElementById(id);
const state = { model: null, running: null, csvRows: null };
window.prismLastPlot = {};

function showError(error) {
  const box = $('error');
  if (!error) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  let text = error.message || String(error);
  if (error instanceof ApiError) {
    if (error.reason) text += `\n(${error.reason})`;
    for (const v of error.violations) text += `\n• ${v}`;
  }
  box.textContent = text;
  box.hidden = false;
}

function expose(container, key, values) {
  window.prismLastPlot[key] = values;
  container.dataset.values = JSON.stringify(values);
}

function resetPlots() {
  window.prismLastPlot = { model: state.model ? state.model.name : null };
  for (const el of document.querySelectorAll('.chart')) {
    clear(el);
    delete el.dataset.values;
  }
  $('result-summary').textContent = '';
  $('evaluation').hidden = true;
}

/** One instance's element count of the explained input. */
function elements(model) {
  return instanceShape(model, 1).slice(1).reduce((a, b) => a * b, 1);
}

function isImage(model) {
  return instanceShape(model, 1).length > 2;
}

function featureNames(model) {
  const names = model.featureNames || [];
  return names.length === elements(model) ? names : [...Array(elements(model)).keys()].map((i) => `x${i}`);
}

/** The token field: kept for this tab only (sessionStorage), sent with every call, the models listed again. */
function watchToken() {
  const field = $('token');
  field.value = sessionStorage.getItem('prismToken') || '';
  setToken(field.value);
  field.addEventListener('change', () => {
    sessionStorage.setItem('prismToken', field.value);
    setToken(field.value);
    showError(null);
    loadModels();
  });
}

async function loadModels() {
  try {
    const models = await listModels();
    const list = $('models');
    list.replaceChildren(...models.map((m) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = m.name;
      button.dataset.model = m.name;
      button.dataset.testid = `model-${m.name}`;
      button.addEventListener('click', () => selectModel(m.name));
      item.append(button);
      return item;
    }));
    const wanted = new URLSearchParams(location.search).get('model');
    const first = models.find((m) => m.name === wanted) || models[0];
    if (first) await selectModel(first.name);
  } catch (e) {
    showError(e);
  }
}

async function selectModel(name) {
  showError(null);
  if (state.running) state.running.abort();
  let model;
  try {
    model = await getModel(name, BACKGROUND_ROWS);
  } catch (e) {
    showError(e);
    return;
  }
  state.model = model;
  state.csvRows = null;
  $('csv').value = '';
  $('explain-csv').disabled = true;
  for (const b of document.querySelectorAll('#models button')) b.setAttribute('aria-current', String(b.dataset.model === name));
  $('model-info').hidden = false;
  $('workspace').hidden = false;
  $('model-name').textContent = model.name;
  const shape = instanceShape(model, 1).slice(1);
  $('model-summary').textContent = [`input ${model.explainedInput || ''} [${shape.join(' × ')}]`,
    (model.outputKind || '').replace('OUTPUT_KIND_', '').toLowerCase(),
    `outputs: ${(model.outputNames || []).join(', ')}`].filter(Boolean).join(' · ');
  $('features').tBodies[0].replaceChildren(...featureNames(model).map((f, i) => {
    const row = document.createElement('tr');
    row.innerHTML = '<td></td><td></td>';
    row.cells[0].textContent = i;
    row.cells[1].textContent = f;
    return row;
  }));
  fillMethods(model);
  fillOutputs(model);
  fillBackgroundRows(model);
  buildInstanceForm(model);
  fillInstance(0);
  resetPlots();
  $('progress-box').hidden = true;
}

function fillMethods(model) {
  const details = new Map((model.methodDetails || []).map((d) => [d.method, d]));
  const methods = (model.methods || []).filter((m) => METHODS[m]);
  $('method').replaceChildren(...methods.map((m) => {
    const option = document.createElement('option');
    option.value = m;
    option.textContent = (details.get(m) && details.get(m).name) || m.replace('METHOD_', '').toLowerCase();
    return option;
  }));
  const preferred = ['METHOD_KERNEL_SHAP', 'METHOD_AUTO'].find((m) => methods.includes(m));
  if (preferred) $('method').value = preferred;
  $('budget').value = '';
  updateBudget();
}

function updateBudget() {
  const method = $('method').value;
  const spec = METHODS[method] || {};
  const detail = ((state.model && state.model.methodDetails) || []).find((d) => d.method === method);
  $('budget-label').hidden = !spec.budget;
  $('budget-name').textContent = spec.label || 'budget';
  if (!spec.budget) $('budget').value = '';
  else if (method === 'METHOD_KERNEL_SHAP' && $('budget').value === '') $('budget').value = 2048;
  $('time-budget-label').hidden = !(detail && detail.timeBudget);
  if (!(detail && detail.timeBudget)) $('time-budget').value = '';
}

function fillOutputs(model) {
  const options = [new Option('highest scored', ''), ...(model.outputNames || []).map((o) => new Option(o, o))];
  $('output').replaceChildren(...options);
}

function fillBackgroundRows(model) {
  const sample = model.backgroundSample;
  const rows = sample && sample.shape ? Number(sample.shape[0]) : 0;
  $('background-row').replaceChildren(...[...Array(rows).keys()].map((r) => new Option(`row ${r}`, r)));
  $('background-row').disabled = rows === 0;
}

function buildInstanceForm(model) {
  const names = featureNames(model);
  const box = $('instance');
  if (isImage(model) || names.length > 40) {
    const area = document.createElement('textarea');
    area.id = 'instance-values';
    area.dataset.testid = 'instance-values';
    area.placeholder = `${names.length} comma-separated values`;
    box.replaceChildren(area);
    return;
  }
  box.replaceChildren(...names.map((name, i) => {
    const label = document.createElement('label');
    label.textContent = name;
    const input = document.createElement('input');
    input.type = 'number';
    input.step = 'any';
    input.required = true;
    input.dataset.feature = i;
    input.dataset.testid = `feature-${i}`;
    label.append(input);
    return label;
  }));
}

function fillInstance(row) {
  const sample = state.model.backgroundSample;
  const values = sample && sample.shape && Number(sample.shape[0]) > row ? tensorRow(sample, row) : null;
  const area = $('instance-values');
  if (area) {
    area.value = values ? values.join(', ') : '';
    return;
  }
  for (const input of document.querySelectorAll('#instance input')) {
    input.value = values ? values[Number(input.dataset.feature)] : '';
  }
}

function instanceValues() {
  const area = $('instance-values');
  const count = elements(state.model);
  const values = area
    ? area.value.split(/[\s,]+/).filter((v) => v !== '').map(Number)
    : [...document.querySelectorAll('#instance input')].map((i) => (i.value === '' ? NaN : Number(i.value)));
  if (values.length !== count) throw new Error(`the instance needs ${count} values, it has ${values.length}`);
  const bad = values.findIndex((v) => Number.isNaN(v));
  if (bad >= 0) throw new Error(`value ${bad} (${featureNames(state.model)[bad]}) is not a number`);
  return values;
}

function options() {
  return { method: $('method').value, budget: $('budget').value, timeBudgetSeconds: $('time-budget').value, seed: $('seed').value };
}

function chosenExplanation(explanations, instance = 0) {
  const output = $('output').value;
  if (output) return explanations.find((e) => (e.instance || 0) === instance && e.output === output) || null;
  return defaultExplanation(explanations, instance);
}

function setProgress(percent, detail) {
  $('progress-box').hidden = false;
  const bar = $('progress');
  if (percent === null) bar.removeAttribute('value');
  else bar.value = percent;
  bar.dataset.percent = percent === null ? '' : percent.toFixed(1);
  $('progress-percent').textContent = percent === null ? '' : `${Math.floor(percent)}%`;
  $('progress-detail').textContent = detail;
  window.prismLastPlot.progress = { percent, detail };
}

/** The running estimates of instance 0 for `output` (the chosen one, else the one the model scores highest). */
function drawEstimates(estimates, output) {
  const names = featureNames(state.model);
  const own = [...estimates.values()].filter((e) => (e.instance || 0) === 0);
  const estimate = own.find((e) => e.output === output) || own[0];
  if (!estimate) return;
  const items = bars(names, (estimate.attributions || []).map(Number), (estimate.standardErrors || []).map(Number));
  drawBars($('estimates-chart'), items.slice(0, 20), `running estimate for ${estimate.output} (± standard error)`);
  expose($('estimates-chart'), 'estimates', { output: estimate.output, features: items });
}

/**
 * The output the result will plot when none is chosen, so that the running estimates show the same
 * one: the model's highest score. null when the prediction fails; the explanation then says why.
 */
async function scoredOutput(request, signal) {
  try {
    return highestScoredOutput(await predict({ model: request.model, inputs: request.inputs }, signal),
      state.model.outputNames || []);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    return null;
  }
}

function drawExplanation(response) {
  const names = response.featureNames && response.featureNames.length ? response.featureNames : featureNames(state.model);
  const e = chosenExplanation(response.explanations || []);
  if (!e) return;
  const attributions = (e.attributions || []).map(Number);
  const plot = waterfall({ ...e, attributions }, names);
  drawWaterfall($('waterfall-chart'), plot, `${response.method || ''} · output ${e.output}: ${plot.baseValue.toFixed(4)} → ${plot.modelOutput.toFixed(4)}`);
  expose($('waterfall-chart'), 'waterfall', { output: e.output, baseValue: plot.baseValue, modelOutput: plot.modelOutput,
    attributions, steps: plot.steps });
  const items = bars(names, attributions, (e.standardErrors || []).map(Number));
  drawBars($('bars-chart'), items.slice(0, 30), `attributions for ${e.output}${items.length > 30 ? ' (30 largest)' : ''}`);
  expose($('bars-chart'), 'bars', items);
  if (isImage(state.model)) {
    const heat = imageHeatmap(instanceShape(state.model, 1).slice(1), state.lastInstance, attributions);
    if (heat) {
      drawImageHeatmap($('heatmap-chart'), heat, `attributions for ${e.output} over the image`);
      expose($('heatmap-chart'), 'heatmap', heat);
    }
  }
  const quality = evaluationPlot(e.evaluation);
  $('evaluation').hidden = !quality;
  if (quality) {
    drawCurves($('deletion-chart'), quality.curves, `deletion and insertion curves of ${e.output}`);
    expose($('deletion-chart'), 'evaluation', quality);
    $('evaluation-summary').textContent = quality.summary;
  }
  const d = e.diagnostics || {};
  $('result-summary').textContent = [`${response.method || ''}`, `${Number(response.elapsedSeconds || 0).toFixed(3)} s`,
    d.modelEvaluations ? `${d.modelEvaluations} model evaluations` : '',
    response.partial ? 'partial (budget reached)' : '', ...(response.warnings || []).map((w) => w.message)]
    .filter(Boolean).join(' · ');
}

function start() {
  if (state.running) state.running.abort();
  const controller = new AbortController();
  state.running = controller;
  $('cancel').disabled = false;
  showError(null);
  resetPlots();
  return controller;
}

function finish(controller) {
  if (state.running === controller) {
    state.running = null;
    $('cancel').disabled = true;
  }
}

async function explainInstance(event) {
  event.preventDefault();
  let request;
  try {
    state.lastInstance = instanceValues();
    request = explainRequest(state.model, state.lastInstance, 1, { ...options(), evaluate: $('evaluate').checked });
  } catch (e) {
    showError(e);
    return;
  }
  const controller = start();
  setProgress(0, 'starting');
  try {
    const output = $('output').value || await scoredOutput(request, controller.signal);
    let estimates = new Map();
    const response = await explainStream(request, (progress) => {
      const percent = progressPercent(progress);
      setProgress(percent, `${progress.evaluationsDone || 0} / ${progress.evaluationsTotal || '?'} evaluations · `
        + `${Number(progress.elapsedSeconds || 0).toFixed(1)} s`);
      estimates = mergeEstimates(estimates, progress.estimates);
      drawEstimates(estimates, output);
    }, controller.signal);
    setProgress(100, `done in ${Number(response.elapsedSeconds || 0).toFixed(3)} s`);
    window.prismLastPlot.result = response;
    drawExplanation(response);
  } catch (e) {
    if (e.name !== 'AbortError') showError(e);
    setProgress(null, e.name === 'AbortError' ? 'cancelled' : 'failed');
  } finally {
    finish(controller);
  }
}

async function explainCsv() {
  const model = state.model;
  const rows = state.csvRows;
  const controller = start();
  setProgress(null, `explaining ${rows.length} rows`);
  try {
    const request = explainRequest(model, rows.flat(), rows.length, options());
    const response = await explain(request, controller.signal);
    setProgress(100, `${rows.length} rows in ${Number(response.elapsedSeconds || 0).toFixed(3)} s`);
    window.prismLastPlot.result = response;
    const names = response.featureNames && response.featureNames.length ? response.featureNames : featureNames(model);
    const first = chosenExplanation(response.explanations || [], 0);
    const output = first ? first.output : (model.outputNames || [])[0];
    const perInstance = rows.map((_, i) => (response.explanations || []).find((e) => (e.instance || 0) === i && e.output === output));
    if (names.length === rows[0].length && perInstance.every(Boolean)) {
      const swarm = beeswarm(names, rows, perInstance.map((e) => (e.attributions || []).map(Number)));
      drawBeeswarm($('beeswarm-chart'), swarm, `attributions for ${output}, one point per row (colour: feature value)`);
      expose($('beeswarm-chart'), 'beeswarm', { output, rows: swarm.rows });
    }
    const summaryOutputs = (response.summary && response.summary.outputs) || [];
    const column = summaryOutputs.indexOf(output);
    if (column >= 0 && response.summary.meanAbsAttributions) {
      const items = meanAbs(response.summary, names, column);
      drawBars($('mean-abs-chart'), items.slice(0, 30), `mean |attribution| for ${output} over ${rows.length} rows`);
      expose($('mean-abs-chart'), 'meanAbs', { output, features: items });
    }
    $('result-summary').textContent = `${response.method || ''} · ${rows.length} rows · ${output}`;
  } catch (e) {
    if (e.name !== 'AbortError') showError(e);
    setProgress(null, e.name === 'AbortError' ? 'cancelled' : 'failed');
  } finally {
    finish(controller);
  }
}

async function readCsv() {
  const file = $('csv').files[0];
  state.csvRows = null;
  $('explain-csv').disabled = true;
  if (!file) return;
  try {
    showError(null);
    state.csvRows = parseInstances(await file.text(), featureNames(state.model));
    $('explain-csv').disabled = false;
  } catch (e) {
    showError(e);
  }
}

$('explain-form').addEventListener('submit', explainInstance);
$('cancel').addEventListener('click', () => state.running && state.running.abort());
$('method').addEventListener('change', updateBudget);
$('background-row').addEventListener('change', () => fillInstance(Number($('background-row').value)));
$('csv').addEventListener('change', readCsv);
$('explain-csv').addEventListener('click', explainCsv);
$('output').addEventListener('change', () => window.prismLastPlot.result && !state.csvRows && drawExplanation(window.prismLastPlot.result));
watchToken();
loadModels();
