import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainRequest, instanceShape } from '../src/request.js';
import { parseInstances } from '../src/csv.js';

const IRIS = { name: 'iris', explainedInput: 'input', featureNames: ['a', 'b', 'c', 'd'],
  inputs: [{ name: 'input', shape: ['-1', '4'] }] };
const DIGITS = { name: 'digits_cnn', explainedInput: 'x', inputs: [{ name: 'x', shape: ['-1', '1', '8', '8'] }] };

test('the request carries the method oneof, int64 budgets as strings, the time budget as a Duration', () => {
  assert.deepEqual(explainRequest(IRIS, [5.1, 3.5, 1.4, 0.2], 1,
    { method: 'METHOD_KERNEL_SHAP', budget: '2048', timeBudgetSeconds: '1.5', seed: '1' }), {
    model: 'iris', inputs: [{ name: 'input', shape: [1, 4], doubleData: [5.1, 3.5, 1.4, 0.2] }],
    kernelShap: { nsamples: '2048' }, timeBudget: '1.5s', seed: '1' });
  assert.deepEqual(explainRequest(IRIS, [1, 2, 3, 4, 5, 6, 7, 8], 2,
    { method: 'METHOD_INTEGRATED_GRADIENTS', budget: '64', timeBudgetSeconds: '', seed: '' }), {
    model: 'iris', inputs: [{ name: 'input', shape: [2, 4], doubleData: [1, 2, 3, 4, 5, 6, 7, 8] }],
    integratedGradients: { nSteps: 64 } });
  assert.deepEqual(explainRequest(IRIS, [1, 2, 3, 4], 1, { method: 'METHOD_AUTO', budget: '', timeBudgetSeconds: '', seed: '7' }).auto, {});
});

test('an image input keeps its inner dimensions', () => {
  assert.deepEqual(instanceShape(DIGITS, 3), [3, 1, 8, 8]);
});

test('CSV rows, with a header in another column order or none', () => {
  assert.deepEqual(parseInstances('b,a,c,d\n2,1,3,4\r\n6,5,7,8\n', IRIS.featureNames), [[1, 2, 3, 4], [5, 6, 7, 8]]);
  assert.deepEqual(parseInstances('1,2,3,4\n', IRIS.featureNames), [[1, 2, 3, 4]]);
  assert.throws(() => parseInstances('1,2,3\n', IRIS.featureNames), /row 1 has 3 values, expected 4/);
  assert.throws(() => parseInstances('a,b,c,d\n1,2,x,4\n', IRIS.featureNames), /row 1: "x" is not a number/);
});

test('evaluate asks the server for the deletion curves and complexity, and nothing without it', () => {
  const asked = explainRequest(IRIS, [5.1, 3.5, 1.4, 0.2], 1, { method: '', seed: '', evaluate: true });
  assert.deepEqual(asked.evaluate, { deletion: {}, complexity: {} });
  assert.equal('evaluate' in explainRequest(IRIS, [5.1, 3.5, 1.4, 0.2], 1, { method: '', seed: '' }), false);
});
