package prism_test

import (
	"math"
	"reflect"
	"strings"
	"testing"

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

func TestExplainChunkedRefusesAnEvaluation(t *testing.T) {
	before := metric(t, srv, `grpc_server_requests_received_messages_total{method="Explain",methodType="UNARY",service="prism.v1.ExplainService"}`)
	_, err := client.ExplainChunked(testContext(t), prism.NewRequest("iris", irisRows(t), prism.ExactShapley(nil), prism.Evaluate(nil)),
		prism.ChunkOptions{ChunkRows: 1})
	if err == nil || !strings.Contains(err.Error(), "carry no evaluation") {
		t.Fatalf("err = %v, want a refusal of the evaluation", err)
	}
	after := metric(t, srv, `grpc_server_requests_received_messages_total{method="Explain",methodType="UNARY",service="prism.v1.ExplainService"}`)
	if after != before {
		t.Errorf("%v Explain calls were made", after-before)
	}
}
