import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, listModels, setToken } from '../src/api.js';

async function refusal(status, body) {
  globalThis.fetch = async () => new Response(body, { status });
  try {
    await explain({ model: 'iris' });
  } catch (e) {
    return e;
  }
  assert.fail('the call did not fail');
}

test('a google.rpc.Status is the error: message, reason and field violations', async () => {
  const e = await refusal(400, JSON.stringify({ code: 3, message: 'kernel_shap.nsamples: too many', details: [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'BUDGET_EXCEEDED', domain: 'prism.dev' },
    { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'kernel_shap.nsamples', description: 'too many' }] }] }));
  assert.equal(e.message, 'kernel_shap.nsamples: too many');
  assert.equal(e.reason, 'BUDGET_EXCEEDED');
  assert.deepEqual(e.violations, ['kernel_shap.nsamples: too many']);
  assert.equal(e.httpStatus, 400);
});

test('the server\'s {"error": ...} refusals (a body over the limit) show their text, not just the HTTP status', async () => {
  const e = await refusal(413, '{"error":"413 Payload Too Large"}');
  assert.equal(e.message, '413 Payload Too Large');
  assert.equal(e.httpStatus, 413);
  const nested = await refusal(404, JSON.stringify({ error: 'no model named "x"', status: { code: 5, message: 'no model named "x"',
    details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'MODEL_NOT_FOUND' }] } }));
  assert.equal(nested.message, 'no model named "x"');
  assert.equal(nested.reason, 'MODEL_NOT_FOUND');
});

test('a body that is not JSON is shown as it is', async () => {
  const e = await refusal(502, 'Bad Gateway\n');
  assert.equal(e.message, 'Bad Gateway');
});

test('a token set on the page goes with every call as a bearer token, and none without one', async () => {
  const seen = [];
  globalThis.fetch = async (url, init) => {
    seen.push((init && init.headers && init.headers.Authorization) || null);
    return new Response(JSON.stringify({ models: [] }), { status: 200 });
  };
  setToken('  s3cret ');
  await listModels();
  await explain({ model: 'iris' });
  setToken('');
  await listModels();
  assert.deepEqual(seen, ['Bearer s3cret', 'Bearer s3cret', null]);
});
