// A stand-in for Prism's JSON routes, for `npm run dev` only (Vite's dev server; never in the build):
// two models shaped like the bundled iris and digits_cnn, made-up attributions that add up to the
// model output, progress streamed as Server-Sent Events, and a refusal for a budget under 10.

const IRIS = {
  name: 'iris',
  inputs: [{ name: 'input', dtype: 'DATA_TYPE_FLOAT32', shape: ['-1', '4'] }],
  outputs: [{ name: 'probabilities', dtype: 'DATA_TYPE_FLOAT32', shape: ['-1', '3'] }],
  explainedInput: 'input',
  scoreOutputs: ['probabilities'],
  featureNames: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
  outputNames: ['setosa', 'versicolor', 'virginica'],
  outputKind: 'OUTPUT_KIND_PROBABILITY',
  methods: ['METHOD_KERNEL_SHAP', 'METHOD_EXACT_SHAPLEY', 'METHOD_PERMUTATION_SHAP', 'METHOD_LIME', 'METHOD_AUTO'],
  methodDetails: [
    { method: 'METHOD_KERNEL_SHAP', name: 'kernel_shap', runsOn: 'RUNS_ON_MODEL', timeBudget: true, runningEstimates: true },
    { method: 'METHOD_EXACT_SHAPLEY', name: 'exact_shapley', runsOn: 'RUNS_ON_MODEL' },
    { method: 'METHOD_PERMUTATION_SHAP', name: 'permutation_shap', runsOn: 'RUNS_ON_MODEL', timeBudget: true },
    { method: 'METHOD_LIME', name: 'lime', runsOn: 'RUNS_ON_MODEL' },
    { method: 'METHOD_AUTO', name: 'auto', runsOn: 'RUNS_ON_MODEL' },
  ],
  defaultBackgroundRows: 100,
};
const IRIS_ROWS = [[5.9, 3.0, 4.2, 1.5], [5.8, 2.6, 4.0, 1.2], [5.1, 3.5, 1.4, 0.2], [6.7, 3.1, 5.6, 2.4]];

const DIGIT = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0,
  0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0];
const DIGITS = {
  name: 'digits_cnn',
  inputs: [{ name: 'input', dtype: 'DATA_TYPE_FLOAT32', shape: ['-1', '1', '8', '8'] }],
  outputs: [{ name: 'probabilities', dtype: 'DATA_TYPE_FLOAT32', shape: ['-1', '10'] }],
  explainedInput: 'input',
  scoreOutputs: ['probabilities'],
  featureNames: [...Array(64).keys()].map((i) => `px_${Math.floor(i / 8)}_${i % 8}`),
  outputNames: [...Array(10).keys()].map(String),
  outputKind: 'OUTPUT_KIND_PROBABILITY',
  methods: ['METHOD_KERNEL_SHAP', 'METHOD_DEEP_LIFT', 'METHOD_INTEGRATED_GRADIENTS', 'METHOD_SALIENCY'],
  methodDetails: [
    { method: 'METHOD_KERNEL_SHAP', name: 'kernel_shap', runsOn: 'RUNS_ON_MODEL', timeBudget: true, runningEstimates: true },
    { method: 'METHOD_DEEP_LIFT', name: 'deep_lift', runsOn: 'RUNS_ON_ATTRIBUTION_GRAPH' },
    { method: 'METHOD_INTEGRATED_GRADIENTS', name: 'integrated_gradients', runsOn: 'RUNS_ON_ATTRIBUTION_GRAPH' },
    { method: 'METHOD_SALIENCY', name: 'saliency', runsOn: 'RUNS_ON_ATTRIBUTION_GRAPH' },
  ],
  defaultBackgroundRows: 100,
};
const MODELS = { iris: [IRIS, IRIS_ROWS], digits_cnn: [DIGITS, [DIGIT, DIGIT.map((v) => 16 - v)]] };

function send(res, status, body, type = 'application/json') {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function status(code, message, reason, field) {
  const details = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'prism.dev' }];
  if (field) details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description: message }] });
  return { code, message, details };
}

async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return JSON.parse(text || '{}');
}

/** Made-up but consistent: attribution_j = w_j (x_j - mean_j), base 1/outputs, output = base + sum. */
function explanations(model, rows, values) {
  const width = model.featureNames.length;
  const base = 1 / model.outputNames.length;
  const out = [];
  for (let i = 0; i < values.length / width; i++) {
    const x = values.slice(i * width, (i + 1) * width);
    model.outputNames.forEach((output, o) => {
      const attributions = x.map((v, j) => 0.01 * Math.sin(1 + j * (o + 1)) * (v - rows[0][j]));
      const sum = attributions.reduce((a, b) => a + b, 0);
      out.push({ instance: i, output, baseValue: base, modelOutput: base + sum, attributions,
        standardErrors: attributions.map((a) => Math.abs(a) * 0.05),
        diagnostics: { modelEvaluations: '2048', efficiencyGap: 0, exact: false } });
    });
  }
  return out;
}

function response(model, request, explained) {
  const features = model.featureNames.length;
  const outputs = model.outputNames.length;
  const instances = explained.length / outputs;
  const meanAbs = [];
  for (let f = 0; f < features; f++) {
    for (let o = 0; o < outputs; o++) {
      let s = 0;
      for (let i = 0; i < instances; i++) s += Math.abs(explained[i * outputs + o].attributions[f]);
      meanAbs.push(s / instances);
    }
  }
  const method = Object.keys(request).find((k) => !['model', 'inputs', 'seed', 'timeBudget'].includes(k)) || 'auto';
  return { model: model.name, method, featureNames: model.featureNames, explanations: explained, elapsedSeconds: 0.8,
    summary: { outputs: model.outputNames, instances,
      meanAbsAttributions: { name: 'mean_abs_attributions', dtype: 'DATA_TYPE_FLOAT64', shape: [String(features), String(outputs)], doubleData: meanAbs } } };
}

/** Checks the request as Prism would for the few things the mock knows; a Status or null. */
function refusal(request) {
  const entry = MODELS[request.model];
  if (!entry) return [404, status(5, `no model named "${request.model}"`, 'MODEL_NOT_FOUND')];
  const values = (request.inputs && request.inputs[0] && request.inputs[0].doubleData) || [];
  if (values.length === 0 || values.length % entry[0].featureNames.length !== 0) {
    return [400, status(3, `inputs[0] holds ${values.length} values, not a multiple of ${entry[0].featureNames.length}`,
      'INVALID_TENSOR', 'inputs[0].double_data')];
  }
  if (request.kernelShap && request.kernelShap.nsamples && Number(request.kernelShap.nsamples) < 10) {
    return [400, status(3, 'kernel_shap.nsamples must be at least 10 (got ' + request.kernelShap.nsamples + ')',
      'INVALID_ARGUMENT', 'kernel_shap.nsamples')];
  }
  return null;
}

export function prismMock() {
  return {
    name: 'prism-mock',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use(async (req, res, next) => {
        const url = new URL(req.url, 'http://localhost');
        const path = url.pathname;
        if (!path.startsWith('/prism/v1/')) return next();
        if (req.method === 'GET' && path === '/prism/v1/models') {
          return send(res, 200, { models: Object.values(MODELS).map(([m]) => m) });
        }
        const get = path.match(/^\/prism\/v1\/models\/([^/]+)$/);
        if (req.method === 'GET' && get) {
          const entry = MODELS[decodeURIComponent(get[1])];
          if (!entry) return send(res, 404, status(5, `no model named "${get[1]}"`, 'MODEL_NOT_FOUND'));
          const [model, rows] = entry;
          const n = Math.min(rows.length, Number(url.searchParams.get('background_rows') || 0));
          const sample = n > 0 ? { backgroundSample: { dtype: 'DATA_TYPE_FLOAT32', shape: [String(n), ...model.inputs[0].shape.slice(1)],
            doubleData: rows.slice(0, n).flat() } } : {};
          return send(res, 200, { ...model, ...sample });
        }
        if (req.method !== 'POST' || !['/prism/v1/explain', '/prism/v1/explain:stream'].includes(path)) return next();
        const request = await body(req);
        const refused = refusal(request);
        if (refused) return send(res, refused[0], refused[1]);
        const [model, rows] = MODELS[request.model];
        const explained = explanations(model, rows, request.inputs[0].doubleData);
        if (path === '/prism/v1/explain') return send(res, 200, response(model, request, explained));
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
        const total = 2048;
        for (let done = 256; done <= total; done += 256) {
          const shrink = 1 + 4 * (total - done) / total;
          const progress = { evaluationsDone: String(done), evaluationsTotal: String(total), elapsedSeconds: done / 2560,
            estimates: explained.map((e) => ({ instance: e.instance, output: e.output,
              attributions: e.attributions.map((a, j) => a + 0.002 * shrink * Math.sin(done + j)),
              standardErrors: e.standardErrors.map((s) => s * shrink + 0.001 * shrink) })) };
          res.write(`event: progress\ndata: ${JSON.stringify({ progress })}\n\n`);
          await new Promise((r) => setTimeout(r, 100));
        }
        res.end(`event: result\ndata: ${JSON.stringify({ result: response(model, request, explained) })}\n\n`);
      });
    },
  };
}
