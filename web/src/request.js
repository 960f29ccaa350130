// ExplainRequest JSON from the form: the method's oneof field and its budget, as the proto names them.

/** Per Method enum name: the request's oneof field, and the parameter holding its evaluation budget. */
export const METHODS = {
  METHOD_AUTO: { field: 'auto' },
  METHOD_KERNEL_SHAP: { field: 'kernelShap', budget: 'nsamples', label: 'samples (coalitions)' },
  METHOD_LIME: { field: 'lime', budget: 'numSamples', label: 'samples' },
  METHOD_EXACT_SHAPLEY: { field: 'exactShapley', budget: 'maxEvaluations', label: 'max evaluations' },
  METHOD_PERMUTATION_SHAP: { field: 'permutationShap', budget: 'maxEvals', label: 'max evaluations' },
  METHOD_TREE_SHAP: { field: 'treeShap' },
  METHOD_DEEP_LIFT: { field: 'deepLift' },
  METHOD_DEEP_LIFT_SHAP: { field: 'deepLiftShap' },
  METHOD_INTEGRATED_GRADIENTS: { field: 'integratedGradients', budget: 'nSteps', label: 'steps' },
  METHOD_GRADIENT_X_INPUT: { field: 'gradientXInput' },
  METHOD_SALIENCY: { field: 'saliency' },
};

/** The explained input's shape for `rows` instances: its declared shape with the batch dimension set. */
export function instanceShape(model, rows) {
  const name = model.explainedInput;
  const spec = (model.inputs || []).find((i) => i.name === name) || (model.inputs || [])[0];
  const dims = spec ? spec.shape.map(Number) : [-1, (model.featureNames || []).length];
  return [rows, ...dims.slice(1).map((d) => (d > 0 ? d : 1))];
}

/**
 * The request for `values` (rows × elements, flattened row by row) of the explained input.
 * options: method (enum name), budget (number or empty), timeBudgetSeconds (number or empty), seed,
 * evaluate (true to ask the server to evaluate the explanation).
 */
export function explainRequest(model, values, rows, options) {
  const request = {
    model: model.name,
    inputs: [{ name: model.explainedInput || undefined, shape: instanceShape(model, rows), doubleData: values }],
  };
  const method = METHODS[options.method];
  if (method) {
    const params = {};
    if (method.budget && options.budget !== '' && options.budget != null) {
      const budget = Number(options.budget);
      // int64 parameters are strings in canonical JSON, int32 ones numbers.
      params[method.budget] = ['nsamples', 'maxEvaluations', 'maxEvals'].includes(method.budget) ? String(budget) : budget;
    }
    request[method.field] = params;
  }
  if (options.timeBudgetSeconds !== '' && options.timeBudgetSeconds != null) {
    request.timeBudget = `${Number(options.timeBudgetSeconds)}s`;
  }
  if (options.seed !== '' && options.seed != null) request.seed = String(options.seed);
  // The server's evaluation: the deletion and insertion curves (a point per feature) and complexity.
  if (options.evaluate) request.evaluate = { deletion: {}, complexity: {} };
  return request;
}
