package prism_test

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	prism "prism.dev/prism/clients/go"
	"prism.dev/prism/clients/go/prismpb"
)

func everyMetric() *prismpb.EvaluationParams {
	return &prismpb.EvaluationParams{
		Deletion:    &prismpb.DeletionParams{},
		Infidelity:  &prismpb.InfidelityParams{NPerturbations: 6, NoiseStd: 0.2, Seed: 11},
		Sensitivity: &prismpb.SensitivityParams{Radius: 0.05, NPerturbations: 3, TopK: 2, Seed: 4},
		Complexity:  &prismpb.ComplexityParams{Fraction: 0.8},
	}
}

func TestEvaluationIsWhatTheServerComputed(t *testing.T) {
	ctx := testContext(t)
	req := prism.NewRequest("iris", irisRows(t), prism.ExactShapley(nil), prism.Evaluate(everyMetric()))
	e, err := client.Explain(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if req.Format != prismpb.ResponseFormat_FORMAT_COMPACT {
		t.Errorf("Explain changed the caller's request format to %s", req.Format)
	}
	raw := proto.Clone(req).(*prismpb.ExplainRequest)
	raw.Format = prismpb.ResponseFormat_FORMAT_PER_EXPLANATION
	resp, err := client.ExplainService().Explain(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.GetExplanations()); n != 3*3 {
		t.Fatalf("%d explanations, want 9", n)
	}
	for _, x := range resp.GetExplanations() {
		i, o := int(x.GetInstance()), e.OutputIndex(x.GetOutput())
		got := e.Evaluation(i, o)
		if !proto.Equal(got, x.GetEvaluation()) {
			t.Errorf("instance %d output %d: %v, the server computed %v", i, o, got, x.GetEvaluation())
		}
		if got.GetInfidelity().GetSamples() != 6 || got.GetSensitivity().GetTopK() != 2 || got.GetComplexity().GetFraction() != 0.8 {
			t.Errorf("instance %d output %d: the parameters did not reach the server: %v", i, o, got)
		}
		// Exact Shapley values on every feature: the deletion curve runs from
		// the instance's output to the base value, one point per feature.
		curve := got.GetDeletion()
		if !reflect.DeepEqual(curve.GetMoved(), []int32{0, 1, 2, 3, 4}) {
			t.Errorf("instance %d output %d: moved %v", i, o, curve.GetMoved())
		}
		values := curve.GetValues()
		if math.Abs(values[0]-e.ModelOutputs[i][o]) > 1e-9 || math.Abs(values[len(values)-1]-e.BaseValues[i][o]) > 1e-9 {
			t.Errorf("instance %d output %d: the curve %v does not run from %v to %v", i, o, values, e.ModelOutputs[i][o], e.BaseValues[i][o])
		}
	}
}

// A request with an evaluation is answered per explanation: its values are
// laid out as the compact summary lays them out.
func TestAnEvaluatedExplanationHasTheCompactValues(t *testing.T) {
	ctx := testContext(t)
	complexity := prism.Evaluate(&prismpb.EvaluationParams{Complexity: &prismpb.ComplexityParams{}})
	for name, method := range map[string]prism.Method{
		"permutation_shap": prism.PermutationSHAP(&prismpb.PermutationShapParams{Npermutations: 6}),
		"tree_shap": prism.TreeSHAP(&prismpb.TreeShapParams{
			FeaturePerturbation: prismpb.TreeShapParams_FEATURE_PERTURBATION_PATH_DEPENDENT, Interactions: true}),
	} {
		compact, err := client.Explain(ctx, prism.NewRequest("iris", irisRows(t), method))
		if err != nil {
			t.Fatal(err)
		}
		evaluated, err := client.Explain(ctx, prism.NewRequest("iris", irisRows(t), method, complexity))
		if err != nil {
			t.Fatal(err)
		}
		if evaluated.Response.GetSummary().GetAttributions() != nil {
			t.Fatalf("%s: the evaluated request was answered in the compact format", name)
		}
		if compact.Evaluations != nil || compact.Evaluation(0, 0) != nil {
			t.Errorf("%s: an evaluation without asking: %v", name, compact.Evaluations)
		}
		if evaluated.Evaluation(2, 1).GetComplexity() == nil {
			t.Errorf("%s: no complexity in %v", name, evaluated.Evaluation(2, 1))
		}
		for field, pair := range map[string][2]any{
			"attributions":    {compact.Attributions, evaluated.Attributions},
			"standard errors": {compact.StandardErrors, evaluated.StandardErrors},
			"interactions":    {compact.Interactions, evaluated.Interactions},
			"base values":     {compact.BaseValues, evaluated.BaseValues},
			"model outputs":   {compact.ModelOutputs, evaluated.ModelOutputs},
			"mean |values|":   {compact.MeanAbsAttributions, evaluated.MeanAbsAttributions},
		} {
			if !reflect.DeepEqual(pair[0], pair[1]) {
				t.Errorf("%s %s: compact %v, per explanation %v", name, field, pair[0], pair[1])
			}
		}
	}
}

func TestEvaluateWithoutParametersAsksForTheCheapMetrics(t *testing.T) {
	req := prism.NewRequest("iris", irisRows(t), prism.ExactShapley(nil), prism.Evaluate(nil))
	want := &prismpb.EvaluationParams{Deletion: &prismpb.DeletionParams{Steps: 10}, Complexity: &prismpb.ComplexityParams{}}
	if !proto.Equal(req.GetEvaluate(), want) {
		t.Fatalf("Evaluate(nil) set %v, want %v", req.GetEvaluate(), want)
	}
	e, err := client.Explain(testContext(t), req)
	if err != nil {
		t.Fatal(err)
	}
	got := e.Evaluation(1, 2)
	if got.GetInfidelity() != nil || got.GetSensitivity() != nil || got.GetComplexity() == nil || len(got.GetInsertion().GetValues()) != 5 {
		t.Errorf("evaluation %v: want complexity and curves of one point per feature (10 steps over 4 features)", got)
	}
}

// withoutElapsedTimes is e's answer with its elapsed times, the response's
// and each explanation's, set to zero: a chunked job's are its chunks'.
func withoutElapsedTimes(e *prism.Explanation) *prismpb.ExplainResponse {
	r := proto.Clone(e.Response).(*prismpb.ExplainResponse)
	r.ElapsedSeconds = 0
	for _, x := range r.GetExplanations() {
		x.GetDiagnostics().ElapsedSeconds = 0
	}
	return r
}

// A chunked job with an evaluation is one request's answer: each chunk's
// infidelity and sensitivity seeds are moved on by its first instance, so
// every instance is perturbed as in one request.
func TestAChunkedJobIsEvaluatedAsOneRequest(t *testing.T) {
	ctx := testContext(t)
	params := everyMetric()
	params.Infidelity.Seed, params.Sensitivity.Seed = math.MaxUint64-2, 40
	req := prism.NewRequest("iris", fleetRows(t, 11), prism.ExactShapley(nil), prism.Evaluate(params))
	want, err := client.Explain(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var starts []int
	got, err := client.ExplainChunked(ctx, req, prism.ChunkOptions{ChunkRows: 4, Concurrency: 3,
		OnChunk: func(c prism.Chunk) { starts = append(starts, c.Start) }})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(starts)
	if !slices.Equal(starts, []int{0, 4, 8}) {
		t.Fatalf("chunks from %v, want 0, 4 and 8", starts)
	}
	if req.GetEvaluate().GetInfidelity().GetSeed() != math.MaxUint64-2 || req.GetEvaluate().GetSensitivity().GetSeed() != 40 {
		t.Errorf("the caller's seeds changed: %v", req.GetEvaluate())
	}
	for i := range 11 {
		for o := range 3 {
			if !proto.Equal(got.Evaluation(i, o), want.Evaluation(i, o)) {
				t.Errorf("instance %d output %d: chunked %v, one request %v", i, o, got.Evaluation(i, o), want.Evaluation(i, o))
			}
		}
	}
	if !proto.Equal(withoutElapsedTimes(got), withoutElapsedTimes(want)) {
		t.Errorf("the chunked answer differs from one request's beyond its elapsed times")
	}
	if got.ElapsedSeconds <= 0 || got.Evaluation(10, 2).GetInfidelity().GetSamples() != 6 || got.Evaluation(10, 2).GetSensitivity() == nil {
		t.Errorf("elapsed %v, last evaluation %v", got.ElapsedSeconds, got.Evaluation(10, 2))
	}
}

// Attributions given back to Evaluate are measured as Explain measured its
// own, every metric bit for bit: the same rows, the same seeded perturbations.
func TestEvaluateGivenAttributions(t *testing.T) {
	ctx := testContext(t)
	req := prism.NewRequest("iris", irisRows(t), prism.ExactShapley(nil), prism.Evaluate(everyMetric()))
	explained, err := client.Explain(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	given := explained.Given()
	if len(given) != 9 || given[4].GetInstance() != 1 || given[4].GetOutput() != "versicolor" ||
		!slices.Equal(given[4].GetValues(), []float64{explained.Attributions[1][0][1], explained.Attributions[1][1][1],
			explained.Attributions[1][2][1], explained.Attributions[1][3][1]}) {
		t.Fatalf("given %v", given)
	}
	evaluated, err := client.Evaluate(ctx, req, given)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(evaluated.Attributions, explained.Attributions) || !slices.Equal(evaluated.OutputNames, explained.OutputNames) {
		t.Fatalf("evaluated attributions %v for %v, given %v for %v", evaluated.Attributions, evaluated.OutputNames, explained.Attributions, explained.OutputNames)
	}
	// The same game: base values and model outputs from the same rows.
	if !reflect.DeepEqual(evaluated.BaseValues, explained.BaseValues) || !reflect.DeepEqual(evaluated.ModelOutputs, explained.ModelOutputs) {
		t.Errorf("evaluated base values %v and outputs %v, explained %v and %v", evaluated.BaseValues, evaluated.ModelOutputs, explained.BaseValues, explained.ModelOutputs)
	}
	for i := range 3 {
		for o := range 3 {
			got, want := evaluated.Evaluation(i, o), explained.Evaluation(i, o)
			if got.GetDeletion() == nil || got.GetSensitivity() == nil || !proto.Equal(got, want) {
				t.Errorf("instance %d output %d: evaluated %v, explained %v", i, o, got, want)
			}
		}
	}

	// Reversed attributions: the deletion curve removes the features in the
	// other order.
	reversed := explained.Given()
	for _, g := range reversed {
		for f := range g.Values {
			g.Values[f] = -g.Values[f]
		}
	}
	opposite, err := client.Evaluate(ctx, req, reversed)
	if err != nil {
		t.Fatal(err)
	}
	order := slices.Clone(explained.Evaluation(2, 2).GetDeletion().GetOrder())
	slices.Reverse(order)
	reverse := opposite.Evaluation(2, 2).GetDeletion().GetOrder()
	if opposite.Attributions[2][3][2] != -explained.Attributions[2][3][2] || len(order) != 4 || !slices.Equal(reverse, order) {
		t.Errorf("negated attributions removed in order %v, want the explanation's reversed: %v", reverse, order)
	}
}

func TestEvaluateWithoutAttributionsExplainsFirst(t *testing.T) {
	ctx := testContext(t)
	req := prism.NewRequest("iris", irisRows(t), prism.ExactShapley(nil), prism.Evaluate(everyMetric()))
	explained, err := client.Explain(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	evaluated, err := client.Evaluate(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(withoutElapsedTimes(evaluated), withoutElapsedTimes(explained)) {
		t.Errorf("Evaluate without attributions answered %v, Explain %v", evaluated.Response, explained.Response)
	}
}

func TestEvaluateRefusals(t *testing.T) {
	ctx := testContext(t)
	req := prism.NewRequest("iris", irisRows(t), prism.ExactShapley(nil), prism.Evaluate(nil))
	explained, err := client.Explain(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	given := explained.Given()
	_, err = client.Evaluate(ctx, req, given[:len(given)-1])
	if perr, ok := prism.AsError(err); !ok || perr.Code != codes.InvalidArgument {
		t.Errorf("8 attributions for 3 instances and 3 outputs: %v, want INVALID_ARGUMENT", err)
	}

	evaluateCalls := `grpc_server_requests_received_messages_total{method="Evaluate",methodType="UNARY",service="prism.v1.ExplainService"}`
	before := metric(t, srv, evaluateCalls)
	_, err = client.Evaluate(ctx, prism.NewRequest("iris", irisRows(t), prism.ExactShapley(nil)), given)
	if err == nil || !strings.Contains(err.Error(), "Evaluate option") {
		t.Errorf("a request without metrics: %v, want a refusal naming the Evaluate option", err)
	}
	if _, err := client.Evaluate(ctx, nil, given); err == nil {
		t.Errorf("a nil request was not refused")
	}
	if after := metric(t, srv, evaluateCalls); after != before {
		t.Errorf("%v Evaluate calls were made", after-before)
	}
}
