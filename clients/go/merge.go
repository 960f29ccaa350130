package prism

import (
	"fmt"
	"math"
	"slices"

	"prism.dev/prism/clients/go/prismpb"
)

// mergeChunks joins the FORMAT_COMPACT answers to consecutive chunks of one
// request's instances, given in the chunks' order, into the answer the whole
// request gets from one server: the per-instance tensors end to end, and the
// mean |attribution| over every instance computed as the server computes it
// (each |value| / instances added in instance order), so an exact method's
// merged summary equals the single server's bit for bit. ElapsedSeconds is
// the sum of the chunks' server times; Partial is set when any chunk was;
// Warnings are every chunk's, each (code, message) once. sizes[i] is the
// number of instances chunk i was sent.
func mergeChunks(parts []*prismpb.ExplainResponse, sizes []int) (*prismpb.ExplainResponse, error) {
	if len(parts) == 0 || len(parts) != len(sizes) {
		return nil, fmt.Errorf("prism: %d answers for %d chunks", len(parts), len(sizes))
	}
	first := parts[0]
	features, outputs := len(first.GetFeatureNames()), len(first.GetSummary().GetOutputs())
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

	merged := &prismpb.ExplainResponse{
		Model:        first.GetModel(),
		Method:       first.GetMethod(),
		FeatureNames: first.GetFeatureNames(),
		Summary:      s,
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
