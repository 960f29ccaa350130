package prism

import (
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/proto"

	"prism.dev/prism/clients/go/prismpb"
)

// mergeChunks joins the answers to consecutive chunks of one request's
// instances, given in the chunks' order, into the answer the whole request
// gets from one server. FORMAT_COMPACT answers are joined tensor by tensor,
// FORMAT_PER_EXPLANATION answers (those of a request with an evaluation)
// explanation by explanation, each chunk's instance indices moved on by the
// instances before it. The mean |attribution| over every instance is computed
// as the server computes it (each |value| / instances added in instance
// order), so an exact method's merged answer equals the single server's bit
// for bit. ElapsedSeconds is the sum of the chunks' server times; Partial is
// set when any chunk was; Warnings are every chunk's, each (code, message)
// once. sizes[i] is the number of instances chunk i was sent.
func mergeChunks(parts []*prismpb.ExplainResponse, sizes []int) (*prismpb.ExplainResponse, error) {
	if len(parts) == 0 || len(parts) != len(sizes) {
		return nil, fmt.Errorf("prism: %d answers for %d chunks", len(parts), len(sizes))
	}
	first := parts[0]
	instances := 0
	for i, p := range parts {
		if p.GetModel() != first.GetModel() || p.GetMethod() != first.GetMethod() ||
			!slices.Equal(p.GetFeatureNames(), first.GetFeatureNames()) ||
			!slices.Equal(p.GetSummary().GetOutputs(), first.GetSummary().GetOutputs()) {
			return nil, fmt.Errorf("prism: chunk %d was answered by %s %s with features %v and outputs %v, chunk 0 by %s %s with %v and %v: do the replicas serve the same model?",
				i, p.GetModel(), p.GetMethod(), p.GetFeatureNames(), p.GetSummary().GetOutputs(),
				first.GetModel(), first.GetMethod(), first.GetFeatureNames(), first.GetSummary().GetOutputs())
		}
		if got := int(p.GetSummary().GetInstances()); got != sizes[i] {
			return nil, fmt.Errorf("prism: chunk %d of %d instances was answered with %d", i, sizes[i], got)
		}
		instances += sizes[i]
	}
	if instances > math.MaxInt32 {
		return nil, fmt.Errorf("prism: %d instances are more than one answer holds", instances)
	}
	merged := &prismpb.ExplainResponse{
		Model:        first.GetModel(),
		Method:       first.GetMethod(),
		FeatureNames: first.GetFeatureNames(),
	}
	var err error
	if first.GetSummary().GetAttributions() == nil && len(first.GetExplanations()) > 0 {
		merged.Summary, merged.Explanations, err = joinedExplanations(parts, sizes, instances)
	} else {
		merged.Summary, err = joinedSummaries(parts, sizes, instances)
	}
	if err != nil {
		return nil, err
	}
	type warning struct{ code, message string }
	seen := map[warning]bool{}
	for _, p := range parts {
		merged.ElapsedSeconds += p.GetElapsedSeconds()
		merged.Partial = merged.Partial || p.GetPartial()
		for _, w := range p.GetWarnings() {
			if key := (warning{w.GetCode(), w.GetMessage()}); !seen[key] {
				seen[key] = true
				merged.Warnings = append(merged.Warnings, w)
			}
		}
	}
	return merged, nil
}

// joinedSummaries is the compact summary of every instance: each chunk's
// per-instance tensors end to end.
func joinedSummaries(parts []*prismpb.ExplainResponse, sizes []int, instances int) (*prismpb.Summary, error) {
	first := parts[0]
	features, outputs := len(first.GetFeatureNames()), len(first.GetSummary().GetOutputs())
	n := int64(instances)
	f, o := int64(features), int64(outputs)
	s := &prismpb.Summary{Outputs: first.GetSummary().GetOutputs(), Instances: int32(instances)}
	type column struct {
		name     string
		get      func(*prismpb.Summary) *prismpb.Tensor
		set      func(*prismpb.Tensor)
		instance []int64 // the shape of one instance's values
		optional bool    // absent from some chunks: zeros there, as a server's tensor has for an instance without them
	}
	columns := []column{
		{"attributions", (*prismpb.Summary).GetAttributions, func(t *prismpb.Tensor) { s.Attributions = t }, []int64{f, o}, false},
		{"standard_errors", (*prismpb.Summary).GetStandardErrors, func(t *prismpb.Tensor) { s.StandardErrors = t }, []int64{f, o}, true},
		{"base_values", (*prismpb.Summary).GetBaseValues, func(t *prismpb.Tensor) { s.BaseValues = t }, []int64{o}, false},
		{"model_outputs", (*prismpb.Summary).GetModelOutputs, func(t *prismpb.Tensor) { s.ModelOutputs = t }, []int64{o}, false},
		{"interactions", (*prismpb.Summary).GetInteractions, func(t *prismpb.Tensor) { s.Interactions = t }, []int64{f, f, o}, true},
	}
	for _, c := range columns {
		values, present, err := joined(parts, sizes, c.name, c.get, c.instance, c.optional)
		if err != nil {
			return nil, err
		}
		if present {
			c.set(float64Tensor(c.name, append([]int64{n}, c.instance...), values))
		}
	}
	phi := s.GetAttributions().GetDoubleData()
	meanAbs := make([]float64, features*outputs)
	for i := range instances {
		for j := range meanAbs {
			meanAbs[j] += math.Abs(phi[i*len(meanAbs)+j]) / float64(instances)
		}
	}
	s.MeanAbsAttributions = float64Tensor("mean_abs_attributions", []int64{f, o}, meanAbs)
	return s, nil
}

// joinedExplanations is every chunk's explanation messages end to end, each
// instance index moved on by the chunk's start, and the summary a
// FORMAT_PER_EXPLANATION answer has: the outputs, the instance count and the
// mean |attribution|.
func joinedExplanations(parts []*prismpb.ExplainResponse, sizes []int, instances int) (*prismpb.Summary, []*prismpb.Explanation, error) {
	first := parts[0]
	names := first.GetSummary().GetOutputs()
	features, outputs := len(first.GetFeatureNames()), len(names)
	meanAbs := make([]float64, features*outputs)
	explanations := make([]*prismpb.Explanation, 0, instances*outputs)
	start := 0
	for i, p := range parts {
		if got := len(p.GetExplanations()); got != sizes[i]*outputs {
			return nil, nil, fmt.Errorf("prism: chunk %d of %d instances was answered with %d explanations for %d outputs: the request needs FORMAT_PER_EXPLANATION",
				i, sizes[i], got, outputs)
		}
		for _, x := range p.GetExplanations() {
			k := slices.Index(names, x.GetOutput())
			if x.GetInstance() < 0 || int(x.GetInstance()) >= sizes[i] || k < 0 || len(x.GetAttributions()) != features {
				return nil, nil, fmt.Errorf("prism: chunk %d of %d instances has an explanation of instance %d, output %q with %d attributions for %d features",
					i, sizes[i], x.GetInstance(), x.GetOutput(), len(x.GetAttributions()), features)
			}
			for f, v := range x.GetAttributions() {
				meanAbs[f*outputs+k] += math.Abs(v) / float64(instances)
			}
			moved := proto.Clone(x).(*prismpb.Explanation)
			moved.Instance += int32(start)
			explanations = append(explanations, moved)
		}
		start += sizes[i]
	}
	s := &prismpb.Summary{
		Outputs:             names,
		Instances:           int32(instances),
		MeanAbsAttributions: float64Tensor("mean_abs_attributions", []int64{int64(features), int64(outputs)}, meanAbs),
	}
	return s, explanations, nil
}

// joined is one summary tensor of every chunk, end to end, and whether any
// chunk has it. A chunk without an optional tensor adds zeros; without a
// required one it is an error.
func joined(parts []*prismpb.ExplainResponse, sizes []int, name string, get func(*prismpb.Summary) *prismpb.Tensor,
	instance []int64, optional bool) ([]float64, bool, error) {
	per := 1
	for _, d := range instance {
		per *= int(d)
	}
	var values []float64
	present := false
	for i, p := range parts {
		t := get(p.GetSummary())
		if t == nil {
			if !optional {
				return nil, false, fmt.Errorf("prism: chunk %d's answer has no %s: the request needs FORMAT_COMPACT", i, name)
			}
			values = append(values, make([]float64, sizes[i]*per)...)
			continue
		}
		present = true
		want := append([]int{sizes[i]}, make([]int, len(instance))...)
		for j, d := range instance {
			want[j+1] = int(d)
		}
		chunk, err := checkShape(t, want...)
		if err != nil {
			return nil, false, fmt.Errorf("prism: chunk %d: %w", i, err)
		}
		values = append(values, chunk...)
	}
	return values, present, nil
}

func float64Tensor(name string, shape []int64, values []float64) *prismpb.Tensor {
	return &prismpb.Tensor{Name: name, Dtype: prismpb.DataType_DATA_TYPE_FLOAT64, Shape: shape, DoubleData: values}
}
