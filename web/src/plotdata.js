// The numbers each chart is drawn from, prepared from Prism's JSON answers. Pure functions, so the
// unit tests check them and the page exposes them (window.prismLastPlot) for the browser test.

/** A Tensor's values as numbers, whichever typed field carries them (int64 values arrive as strings). */
export function tensorValues(tensor) {
  if (!tensor) return [];
  const data = tensor.doubleData || tensor.floatData || tensor.intData || tensor.int64Data || [];
  return data.map(Number);
}

/** Row `row` of a [rows, ...] tensor, flattened. */
export function tensorRow(tensor, row) {
  const shape = (tensor.shape || []).map(Number);
  const width = shape.slice(1).reduce((a, b) => a * b, 1);
  return tensorValues(tensor).slice(row * width, (row + 1) * width);
}

/** Percent of the evaluations done, or null while the total is unknown. */
export function progressPercent(progress) {
  const total = Number(progress.evaluationsTotal || 0);
  if (!(total > 0)) return null;
  return Math.min(100, (100 * Number(progress.evaluationsDone || 0)) / total);
}

/**
 * The running estimates so far: a progress event carries only the estimates that changed since the
 * previous one, so each (instance, output) keeps its latest. Returns a new Map; `known` is unchanged.
 */
export function mergeEstimates(known, estimates = []) {
  const merged = new Map(known);
  for (const e of estimates) merged.set(`${e.instance || 0}\u0000${e.output}`, e);
  return merged;
}

/**
 * The output the model scores highest for instance `instance` of a PredictResponse: its score
 * outputs' columns, in order, are the model's output names. null when they do not line up.
 */
export function highestScoredOutput(prediction, outputNames, instance = 0) {
  const scores = (prediction.outputs || []).flatMap((t) => {
    const shape = (t.shape || []).map(Number);
    const width = shape.slice(1).reduce((a, b) => a * b, 1);
    return tensorValues(t).slice(instance * width, (instance + 1) * width);
  });
  if (scores.length !== outputNames.length || scores.length === 0) return null;
  return outputNames[scores.reduce((best, v, i) => (v > scores[best] ? i : best), 0)];
}

/** The explanation to plot by default for an instance: the output the model scores highest. */
export function defaultExplanation(explanations, instance = 0) {
  const own = explanations.filter((e) => (e.instance || 0) === instance);
  return own.reduce((best, e) => (best === null || (e.modelOutput || 0) > (best.modelOutput || 0) ? e : best), null);
}

/** Features with attribution and ± standard error, largest |attribution| first. */
export function bars(featureNames, attributions, standardErrors = []) {
  return featureNames
    .map((name, i) => ({ name, value: attributions[i], error: standardErrors[i] ?? null }))
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
}

/**
 * The waterfall from the base value to the model output: the `maxSteps` largest contributions, one
 * step each, then the rest summed into one step. Each step runs from `start` to `end`.
 */
export function waterfall(explanation, featureNames, maxSteps = 12) {
  const base = explanation.baseValue || 0;
  const sorted = bars(featureNames, explanation.attributions || []);
  const shown = sorted.slice(0, maxSteps);
  const rest = sorted.slice(maxSteps);
  if (rest.length > 0) {
    shown.push({ name: `${rest.length} other features`, value: rest.reduce((s, f) => s + f.value, 0) });
  }
  let at = base;
  const steps = shown.map((f) => {
    const step = { name: f.name, value: f.value, start: at, end: at + f.value };
    at = step.end;
    return step;
  });
  return { baseValue: base, modelOutput: explanation.modelOutput || 0, steps };
}

/** The mean |attribution| per feature for one output column of Summary.meanAbsAttributions [features, outputs]. */
export function meanAbs(summary, featureNames, outputIndex) {
  const tensor = summary.meanAbsAttributions;
  const outputs = Number(tensor.shape[1]);
  const values = tensorValues(tensor);
  return featureNames
    .map((name, f) => ({ name, value: values[f * outputs + outputIndex] }))
    .sort((a, b) => b.value - a.value);
}

/**
 * The beeswarm (summary) plot: one row per feature, ordered by mean |attribution| (largest on top,
 * row 0 at the bottom), one point per instance at its attribution, coloured by the feature's value
 * scaled to [0, 1] over the instances. Points that fall in the same bin of the attribution axis are
 * spread vertically, alternating above and below the row, at most `spread` from it.
 * values and attributions: one array per instance, one number per feature.
 */
export function beeswarm(featureNames, values, attributions, { bins = 60, spread = 0.4 } = {}) {
  const n = attributions.length;
  const meanAbsBy = featureNames.map((_, f) => attributions.reduce((s, a) => s + Math.abs(a[f]), 0) / (n || 1));
  const order = featureNames.map((_, f) => f).sort((a, b) => meanAbsBy[a] - meanAbsBy[b]);
  const all = attributions.flat();
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const width = hi > lo ? (hi - lo) / bins : 1;
  const rows = order.map((f, row) => {
    const column = values.map((v) => v[f]);
    const vmin = Math.min(...column);
    const vmax = Math.max(...column);
    const byBin = new Map();
    const points = attributions.map((a, instance) => {
      const bin = Math.min(bins - 1, Math.floor((a[f] - lo) / width));
      const k = byBin.get(bin) || 0;
      byBin.set(bin, k + 1);
      return { instance, attribution: a[f], value: values[instance][f], bin, k };
    });
    const crowd = Math.max(...byBin.values(), 1);
    const step = crowd > 1 ? spread / Math.ceil((crowd - 1) / 2) : 0;
    for (const p of points) {
      const side = p.k % 2 === 1 ? 1 : -1;
      p.y = row + side * Math.ceil(p.k / 2) * step;
      p.colour = vmax > vmin ? (p.value - vmin) / (vmax - vmin) : 0.5;
      delete p.bin;
      delete p.k;
    }
    return { feature: featureNames[f], meanAbs: meanAbsBy[f], points };
  });
  return { rows };
}

/**
 * The attributions of an image input laid over its pixels. `shape` is one instance's shape without
 * the batch dimension: [H, W], [C, H, W] (channels first when C ≤ 4) or [H, W, C]; channels are summed.
 * Returns cells [x, y, pixel, attribution] with y = 0 at the top row, or null when the attributions do
 * not cover every element (grouped features).
 */
export function imageHeatmap(shape, pixels, attributions) {
  const size = shape.reduce((a, b) => a * b, 1);
  if (attributions.length !== size || pixels.length !== size || shape.length < 2) return null;
  let channels = 1;
  let height;
  let width;
  let index;
  if (shape.length === 2) {
    [height, width] = shape;
    index = (c, y, x) => y * width + x;
  } else if (shape[0] <= 4) {
    [channels, height, width] = shape.slice(-3);
    index = (c, y, x) => (c * height + y) * width + x;
  } else {
    [height, width, channels] = shape.slice(-3);
    index = (c, y, x) => (y * width + x) * channels + c;
  }
  const cells = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let pixel = 0;
      let attribution = 0;
      for (let c = 0; c < channels; c++) {
        pixel += pixels[index(c, y, x)];
        attribution += attributions[index(c, y, x)];
      }
      cells.push([x, y, pixel / channels, attribution]);
    }
  }
  return { width, height, cells };
}

/**
 * The server's evaluation of one explanation, ready to plot: the deletion and insertion curves as
 * [fraction of features moved, model output] points, their areas and the complexity values; null
 * when the explanation carries none.
 */
export function evaluationPlot(evaluation) {
  if (!evaluation) return null;
  const curve = (c) => {
    if (!c) return null;
    const moved = (c.moved || []).map(Number);
    const total = moved.length ? Math.max(...moved) : 0;
    return { points: (c.values || []).map((v, i) => [total ? moved[i] / total : 0, Number(v)]), area: Number(c.area || 0),
      order: (c.order || []).map(Number) };
  };
  const curves = {};
  for (const name of ['deletion', 'insertion']) {
    const c = curve(evaluation[name]);
    if (c) curves[name] = c;
  }
  const complexity = evaluation.complexity
    ? { entropy: Number(evaluation.complexity.entropy || 0), effectiveFeatures: Number(evaluation.complexity.effectiveFeatures || 0),
      fraction: Number(evaluation.complexity.fraction || 0) }
    : null;
  const parts = Object.entries(curves).map(([name, c]) => `${name} area ${c.area.toFixed(4)}`);
  if (complexity) {
    parts.push(`entropy ${complexity.entropy.toFixed(3)}`,
      `${complexity.effectiveFeatures} features reach ${Math.round(complexity.fraction * 100)}% of Σ|φ|`);
  }
  return { curves, complexity, summary: parts.join(' · ') };
}
