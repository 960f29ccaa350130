package prism

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"prism.dev/prism/clients/go/prismpb"
)

// chunkAnswer is a compact answer for instances [start, stop) of a job with 2
// features and 2 outputs: the attribution of instance i, feature f, output o
// is sign(i) * (100i + 10f + o), with sign(i) = -1 for odd i.
func chunkAnswer(start, stop int, withErrors bool) *prismpb.ExplainResponse {
	n := int64(stop - start)
	var phi, se, base, out []float64
	for i := start; i < stop; i++ {
		sign := 1.0
		if i%2 == 1 {
			sign = -1
		}
		for f := range 2 {
			for o := range 2 {
				phi = append(phi, sign*float64(100*i+10*f+o))
				se = append(se, float64(i)+0.5)
			}
		}
		base = append(base, 0.25, 0.75)
		out = append(out, float64(i), float64(-i))
	}
	s := &prismpb.Summary{
		Outputs:   []string{"yes", "no"},
		Instances: int32(n),
		// Not what the merge reads: it recomputes the mean over every instance.
		MeanAbsAttributions: float64Tensor("mean_abs_attributions", []int64{2, 2}, []float64{-1, -1, -1, -1}),
		Attributions:        float64Tensor("attributions", []int64{n, 2, 2}, phi),
		BaseValues:          float64Tensor("base_values", []int64{n, 2}, base),
		ModelOutputs:        float64Tensor("model_outputs", []int64{n, 2}, out),
	}
	if withErrors {
		s.StandardErrors = float64Tensor("standard_errors", []int64{n, 2, 2}, se)
	}
	return &prismpb.ExplainResponse{Model: "m", Method: "kernel_shap", FeatureNames: []string{"a", "b"}, Summary: s}
}

func TestMergeJoinsChunksAsOneAnswer(t *testing.T) {
	first, second, third := chunkAnswer(0, 2, true), chunkAnswer(2, 3, false), chunkAnswer(3, 5, true)
	first.ElapsedSeconds, second.ElapsedSeconds, third.ElapsedSeconds = 1.5, 0.25, 2
	second.Partial = true
	gap := &prismpb.ResponseWarning{Code: "EFFICIENCY_GAP", Message: "gap"}
	other := &prismpb.ResponseWarning{Code: "EFFICIENCY_GAP", Message: "another gap"}
	first.Warnings = []*prismpb.ResponseWarning{gap}
	third.Warnings = []*prismpb.ResponseWarning{proto.Clone(gap).(*prismpb.ResponseWarning), other}

	merged, err := mergeChunks([]*prismpb.ExplainResponse{first, second, third}, []int{2, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	whole := chunkAnswer(0, 5, true)
	s := merged.GetSummary()
	if s.GetInstances() != 5 || !slices.Equal(s.GetOutputs(), []string{"yes", "no"}) {
		t.Errorf("instances %d, outputs %v", s.GetInstances(), s.GetOutputs())
	}
	for _, c := range []struct{ got, want *prismpb.Tensor }{
		{s.GetAttributions(), whole.GetSummary().GetAttributions()},
		{s.GetBaseValues(), whole.GetSummary().GetBaseValues()},
		{s.GetModelOutputs(), whole.GetSummary().GetModelOutputs()},
	} {
		if !proto.Equal(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.want.GetName(), c.got, c.want)
		}
	}
	// Instance 2's chunk had no standard errors: zeros, as a server's tensor has for such an instance.
	wantErrors := slices.Clone(whole.GetSummary().GetStandardErrors().GetDoubleData())
	copy(wantErrors[8:12], []float64{0, 0, 0, 0})
	if got := s.GetStandardErrors(); !slices.Equal(got.GetShape(), []int64{5, 2, 2}) || !slices.Equal(got.GetDoubleData(), wantErrors) {
		t.Errorf("standard errors %v, want %v", got, wantErrors)
	}
	if s.GetInteractions() != nil {
		t.Errorf("interactions %v, want none", s.GetInteractions())
	}
	// mean over i of |100i + 10f + o|: (0+100+200+300+400)/5 + 10f + o.
	if got := s.GetMeanAbsAttributions(); !slices.Equal(got.GetShape(), []int64{2, 2}) ||
		!slices.Equal(got.GetDoubleData(), []float64{200, 201, 210, 211}) {
		t.Errorf("mean |attribution| %v, want [200 201 210 211]", got)
	}
	if merged.GetElapsedSeconds() != 3.75 || !merged.GetPartial() {
		t.Errorf("elapsed %v (want the sum, 3.75), partial %v (want true)", merged.GetElapsedSeconds(), merged.GetPartial())
	}
	if w := merged.GetWarnings(); len(w) != 2 || w[0].GetMessage() != "gap" || w[1].GetMessage() != "another gap" {
		t.Errorf("warnings %v, want gap then another gap, once each", w)
	}
	if merged.GetModel() != "m" || merged.GetMethod() != "kernel_shap" || !slices.Equal(merged.GetFeatureNames(), []string{"a", "b"}) {
		t.Errorf("model %q method %q features %v", merged.GetModel(), merged.GetMethod(), merged.GetFeatureNames())
	}
	if e, err := NewExplanation(merged); err != nil || e.Instances() != 5 || e.Attributions[3][1][0] != -310 {
		t.Errorf("explanation of the merged answer: %v, %v", e, err)
	}
}

func TestMergeKeepsAMeanTheServerWouldCompute(t *testing.T) {
	// Three chunks of one instance each. The server adds |value| / 3 in
	// instance order, which rounds to 0.5800000000000001 here, where the sum
	// divided by 3 and the chunks' means weighted by 1/3 give 0.58: the merge
	// must round as the server does to equal its answer.
	phi := []float64{0.13, 0.85, 0.76}
	chunks := make([]*prismpb.ExplainResponse, 3)
	for i, v := range phi {
		chunks[i] = oneFeatureAnswer([]float64{v})
	}
	merged, err := mergeChunks(chunks, []int{1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := merged.GetSummary().GetMeanAbsAttributions().GetDoubleData(); !slices.Equal(got, []float64{0.5800000000000001}) {
		t.Errorf("mean |attribution| %v, want 0.5800000000000001", got)
	}
}

func oneFeatureAnswer(phi []float64) *prismpb.ExplainResponse {
	n := int64(len(phi))
	zeros := make([]float64, n)
	return &prismpb.ExplainResponse{
		Model: "m", Method: "exact_shapley", FeatureNames: []string{"a"},
		Summary: &prismpb.Summary{
			Outputs: []string{"y"}, Instances: int32(n),
			MeanAbsAttributions: float64Tensor("mean_abs_attributions", []int64{1, 1}, []float64{0}),
			Attributions:        float64Tensor("attributions", []int64{n, 1, 1}, phi),
			BaseValues:          float64Tensor("base_values", []int64{n, 1}, zeros),
			ModelOutputs:        float64Tensor("model_outputs", []int64{n, 1}, zeros),
		},
	}
}

func TestMergeRefusesAnswersThatDoNotFit(t *testing.T) {
	otherModel := chunkAnswer(2, 4, false)
	otherModel.FeatureNames = []string{"a", "c"}
	missing := chunkAnswer(2, 4, false)
	missing.Summary.BaseValues = nil
	for _, c := range []struct {
		name  string
		parts []*prismpb.ExplainResponse
		sizes []int
		want  string
	}{
		{"a chunk answered with fewer instances", []*prismpb.ExplainResponse{chunkAnswer(0, 2, false), chunkAnswer(2, 3, false)}, []int{2, 2}, "chunk 1 of 2 instances was answered with 1"},
		{"replicas serving different models", []*prismpb.ExplainResponse{chunkAnswer(0, 2, false), otherModel}, []int{2, 2}, "do the replicas serve the same model"},
		{"an answer without a compact summary", []*prismpb.ExplainResponse{chunkAnswer(0, 2, false), missing}, []int{2, 2}, "chunk 1's answer has no base_values"},
	} {
		if _, err := mergeChunks(c.parts, c.sizes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
}

// perExplanation is chunkAnswer in FORMAT_PER_EXPLANATION, each explanation
// with an evaluation whose complexity entropy is its global instance index.
func perExplanation(start, stop int) *prismpb.ExplainResponse {
	compact := chunkAnswer(start, stop, false)
	e, err := NewExplanation(compact)
	if err != nil {
		panic(err)
	}
	r := &prismpb.ExplainResponse{Model: "m", Method: "kernel_shap", FeatureNames: []string{"a", "b"},
		Summary: &prismpb.Summary{Outputs: []string{"yes", "no"}, Instances: int32(stop - start),
			MeanAbsAttributions: float64Tensor("mean_abs_attributions", []int64{2, 2}, []float64{-1, -1, -1, -1})}}
	for i := range stop - start {
		for k, name := range e.OutputNames {
			r.Explanations = append(r.Explanations, &prismpb.Explanation{
				Instance: int32(i), Output: name, BaseValue: e.BaseValues[i][k], ModelOutput: e.ModelOutputs[i][k],
				Attributions: []float64{e.Attributions[i][0][k], e.Attributions[i][1][k]},
				Evaluation:   &prismpb.Evaluation{Complexity: &prismpb.ComplexityValue{Entropy: float64(start + i)}},
			})
		}
	}
	return r
}

func TestMergeJoinsExplanationsInInstanceOrder(t *testing.T) {
	merged, err := mergeChunks([]*prismpb.ExplainResponse{perExplanation(0, 2), perExplanation(2, 3), perExplanation(3, 5)}, []int{2, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	whole := perExplanation(0, 5)
	whole.Summary.MeanAbsAttributions = float64Tensor("mean_abs_attributions", []int64{2, 2}, []float64{200, 201, 210, 211})
	if !proto.Equal(merged, whole) {
		t.Errorf("merged %v, want %v", merged, whole)
	}
	e, err := NewExplanation(merged)
	if err != nil || e.Evaluation(3, 1).GetComplexity().GetEntropy() != 3 || e.Attributions[3][1][0] != -310 {
		t.Errorf("explanation of the merged answer: %v, %v", e, err)
	}

	short := perExplanation(2, 4)
	short.Explanations = short.Explanations[:3]
	if _, err := mergeChunks([]*prismpb.ExplainResponse{perExplanation(0, 2), short}, []int{2, 2}); err == nil ||
		!strings.Contains(err.Error(), "chunk 1 of 2 instances was answered with 3 explanations for 2 outputs") {
		t.Errorf("a chunk with an explanation missing: error %v", err)
	}
}
