import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bars, beeswarm, defaultExplanation, highestScoredOutput, imageHeatmap, meanAbs, mergeEstimates, progressPercent, tensorRow, waterfall, evaluationPlot } from '../src/plotdata.js';

test('waterfall steps run from the base value to the model output, largest contribution first', () => {
  const plot = waterfall({ baseValue: 0.25, modelOutput: 0.75, attributions: [0.125, -0.25, 0.625, 0] }, ['a', 'b', 'c', 'd']);
  assert.equal(plot.baseValue, 0.25);
  assert.equal(plot.modelOutput, 0.75);
  assert.deepEqual(plot.steps, [
    { name: 'c', value: 0.625, start: 0.25, end: 0.875 },
    { name: 'b', value: -0.25, start: 0.875, end: 0.625 },
    { name: 'a', value: 0.125, start: 0.625, end: 0.75 },
    { name: 'd', value: 0, start: 0.75, end: 0.75 },
  ]);
});

test('waterfall sums the features beyond maxSteps into one step that still ends at the output', () => {
  const plot = waterfall({ baseValue: 1, modelOutput: 2, attributions: [0.5, 0.25, 0.125, 0.125] }, ['a', 'b', 'c', 'd'], 2);
  assert.deepEqual(plot.steps.map((s) => [s.name, s.value, s.end]), [['a', 0.5, 1.5], ['b', 0.25, 1.75], ['2 other features', 0.25, 2]]);
});

test('bars keep each standard error with its feature', () => {
  assert.deepEqual(bars(['a', 'b'], [0.5, -2], [0.1, 0.2]), [{ name: 'b', value: -2, error: 0.2 }, { name: 'a', value: 0.5, error: 0.1 }]);
  assert.deepEqual(bars(['a'], [1]), [{ name: 'a', value: 1, error: null }]);
});

test('meanAbs reads one output column of the [features, outputs] tensor', () => {
  const summary = { meanAbsAttributions: { shape: ['3', '2'], doubleData: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] } };
  assert.deepEqual(meanAbs(summary, ['a', 'b', 'c'], 1), [{ name: 'c', value: 0.6 }, { name: 'b', value: 0.4 }, { name: 'a', value: 0.2 }]);
});

test('beeswarm orders rows by mean |attribution|, colours by the scaled feature value and spreads ties', () => {
  const values = [[1, 10], [2, 20], [3, 40]];
  const attributions = [[0.5, -0.1], [0.5, 0.1], [-1, 0.1]];
  const plot = beeswarm(['big', 'small'], values, attributions, { bins: 4, spread: 0.4 });
  assert.deepEqual(plot.rows.map((r) => r.feature), ['small', 'big']);
  assert.equal(plot.rows[1].meanAbs, 2 / 3);
  const big = plot.rows[1].points;
  assert.deepEqual(big.map((p) => [p.instance, p.attribution, p.value, p.colour]), [[0, 0.5, 1, 0], [1, 0.5, 2, 0.5], [2, -1, 3, 1]]);
  // instances 0 and 1 share a bin: the first stays on row 1, the second moves up by the whole spread.
  assert.deepEqual(big.map((p) => p.y), [1, 1.4, 1]);
  const small = plot.rows[0].points;
  assert.deepEqual(small.map((p) => p.colour), [0, 1 / 3, 1]);
  // -0.1 and 0.1 fall in one bin of width 0.375 (from -1 to 0.5 in 4): row, above, below.
  assert.deepEqual(small.map((p) => p.y), [0, 0.4, -0.4]);
});

test('imageHeatmap lays [1, 2, 3] attributions out by row and column and sums channels', () => {
  const plot = imageHeatmap([1, 2, 3], [0, 1, 2, 3, 4, 5], [10, 11, 12, 13, 14, 15]);
  assert.equal(plot.width, 3);
  assert.equal(plot.height, 2);
  assert.deepEqual(plot.cells[4], [1, 1, 4, 14]);
  const rgbLast = imageHeatmap([1, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 2, 2, 3, 3, 4, 4]);
  assert.equal(rgbLast, null, 'a shape whose size differs from the values has no heatmap');
  const ten = [...Array(10).keys()];
  const last = imageHeatmap([5, 1, 2], ten, ten);
  assert.deepEqual([last.width, last.height, last.cells[2]], [1, 5, [0, 2, 4.5, 9]],
    'channels last ([H, W, C], H > 4): attributions summed, pixels averaged');
  assert.equal(imageHeatmap([2, 2], [0, 0, 0, 0], [1, 2, 3]), null, 'grouped features: no heatmap');
});

test('progress, tensor rows and the default explanation', () => {
  assert.equal(progressPercent({ evaluationsDone: '512', evaluationsTotal: '2048' }), 25);
  assert.equal(progressPercent({ evaluationsDone: '5' }), null);
  assert.deepEqual(tensorRow({ shape: ['2', '1', '2'], doubleData: [1, 2, 3, 4] }, 1), [3, 4]);
  assert.deepEqual(tensorRow({ shape: ['2', '2'], int64Data: ['7', '8', '9', '10'] }, 0), [7, 8]);
  const explanations = [{ output: 'a', modelOutput: 0.2 }, { output: 'b', modelOutput: 0.7 }, { instance: 1, output: 'a', modelOutput: 0.9 }];
  assert.equal(defaultExplanation(explanations).output, 'b');
  assert.equal(defaultExplanation(explanations, 1).output, 'a');
});

test('mergeEstimates keeps the estimates an event leaves out (it carries only those that changed)', () => {
  const first = mergeEstimates(new Map(), [
    { output: 'malignant', attributions: [1] }, { output: 'benign', attributions: [-1] }, { instance: 1, output: 'benign', attributions: [2] }]);
  const second = mergeEstimates(first, [{ output: 'benign', attributions: [-0.5] }]);
  assert.deepEqual([...second.values()].map((e) => [e.instance || 0, e.output, e.attributions[0]]),
    [[0, 'malignant', 1], [0, 'benign', -0.5], [1, 'benign', 2]]);
  assert.equal(first.get('0\u0000benign').attributions[0], -1, 'the earlier map is left as it was');
  assert.equal(mergeEstimates(second, undefined).size, 3);
});

test('highestScoredOutput reads the score columns of every score output in order, as the output names', () => {
  // Two instances; two score outputs of two and one columns; int64 dims as strings.
  const prediction = { outputs: [
    { name: 'p', shape: ['2', '2'], doubleData: [0.1, 0.7, 0.6, 0.2] },
    { name: 'q', shape: ['2', '1'], doubleData: [0.3, 0.9] }] };
  assert.equal(highestScoredOutput(prediction, ['a', 'b', 'c']), 'b');
  assert.equal(highestScoredOutput(prediction, ['a', 'b', 'c'], 1), 'c');
  assert.equal(highestScoredOutput(prediction, ['a', 'b']), null, 'columns that do not line up with the names');
  assert.equal(highestScoredOutput({}, []), null);
});

test('the server\'s evaluation becomes curves over the fraction of features moved, with areas and complexity', () => {
  const plot = evaluationPlot({
    deletion: { order: [2, 0, 1, 3], moved: [0, 1, 2, 3, 4], values: [0.9, 0.5, 0.3, 0.2, 0.1], area: 0.35 },
    insertion: { order: [2, 0, 1, 3], moved: [0, 1, 2, 3, 4], values: [0.1, 0.6, 0.8, 0.85, 0.9], area: 0.7 },
    complexity: { entropy: 1.2, effectiveFeatures: 3, fraction: 0.9 },
  });
  assert.deepEqual(plot.curves.deletion.points, [[0, 0.9], [0.25, 0.5], [0.5, 0.3], [0.75, 0.2], [1, 0.1]]);
  assert.equal(plot.curves.insertion.area, 0.7);
  assert.deepEqual(plot.complexity, { entropy: 1.2, effectiveFeatures: 3, fraction: 0.9 });
  assert.equal(plot.summary, 'deletion area 0.3500 · insertion area 0.7000 · entropy 1.200 · 3 features reach 90% of Σ|φ|');
  assert.equal(evaluationPlot(undefined), null);
  assert.deepEqual(Object.keys(evaluationPlot({ complexity: { entropy: 0 } }).curves), []);
});
