package prism

import (
	"fmt"
	"math"
	"sort"

	"prism.dev/prism/clients/go/prismpb"
)

// Explanation is an ExplainResponse read from its FORMAT_COMPACT summary.
type Explanation struct {
	Model string
	// Method is the method that ran, e.g. "exact_shapley" (auto says which).
	Method string
	// FeatureNames has one name per attribution.
	FeatureNames []string
	// OutputNames are the explained outputs, in the order of the last index below.
	OutputNames []string
	// Attributions is indexed [instance][feature][output].
	Attributions [][][]float64
	// StandardErrors is indexed like Attributions; nil when the method does
	// not estimate them (exact methods).
	StandardErrors [][][]float64
	// BaseValues is indexed [instance][output].
	BaseValues [][]float64
	// ModelOutputs is indexed [instance][output]: link(f(x)).
	ModelOutputs [][]float64
	// MeanAbsAttributions is indexed [feature][output]: the global importance.
	MeanAbsAttributions [][]float64
	// ElapsedSeconds is the server's wall time for the request.
	ElapsedSeconds float64
	// Partial is true when the request's time budget ran out first: the
	// attributions are the estimates of that moment, with their StandardErrors.
	Partial bool
	// Interactions is indexed [instance][feature][feature][output]: tree_shap's
	// interaction values when the request asked for them (each row sums to
	// the feature's attribution), else nil.
	Interactions [][][][]float64
	// Warnings is what the server says a reader should know before trusting
	// the values, e.g. code "EFFICIENCY_GAP" when attributions that should add
	// up to ModelOutputs - BaseValues leave much of it unexplained. Check it.
	Warnings []*prismpb.ResponseWarning
	// Response is the message the server sent.
	Response *prismpb.ExplainResponse
}

// NewExplanation reads resp's summary tensors. It fails when resp was not
// answered in FORMAT_COMPACT or a tensor's shape disagrees with the names.
func NewExplanation(resp *prismpb.ExplainResponse) (*Explanation, error) {
	s := resp.GetSummary()
	if s.GetAttributions() == nil || s.GetBaseValues() == nil || s.GetModelOutputs() == nil {
		return nil, fmt.Errorf("prism: the response has no compact summary: the request needs FORMAT_COMPACT")
	}
	n, f, o := int(s.GetInstances()), len(resp.GetFeatureNames()), len(s.GetOutputs())
	e := &Explanation{
		Model:          resp.GetModel(),
		Method:         resp.GetMethod(),
		FeatureNames:   resp.GetFeatureNames(),
		OutputNames:    s.GetOutputs(),
		ElapsedSeconds: resp.GetElapsedSeconds(),
		Partial:        resp.GetPartial(),
		Warnings:       resp.GetWarnings(),
		Response:       resp,
	}
	var err error
	if e.Attributions, err = cube(s.GetAttributions(), n, f, o); err != nil {
		return nil, err
	}
	if s.GetStandardErrors() != nil {
		if e.StandardErrors, err = cube(s.GetStandardErrors(), n, f, o); err != nil {
			return nil, err
		}
	}
	if s.GetInteractions() != nil {
		if e.Interactions, err = hypercube(s.GetInteractions(), n, f, o); err != nil {
			return nil, err
		}
	}
	if e.BaseValues, err = matrix(s.GetBaseValues(), n, o); err != nil {
		return nil, err
	}
	if e.ModelOutputs, err = matrix(s.GetModelOutputs(), n, o); err != nil {
		return nil, err
	}
	if e.MeanAbsAttributions, err = matrix(s.GetMeanAbsAttributions(), f, o); err != nil {
		return nil, err
	}
	return e, nil
}

// Instances is the number of explained instances.
func (e *Explanation) Instances() int {
	return len(e.Attributions)
}

// OutputIndex is the position of the named output in OutputNames, or -1.
func (e *Explanation) OutputIndex(name string) int {
	for i, n := range e.OutputNames {
		if n == name {
			return i
		}
	}
	return -1
}

// FeatureAttribution is one feature's attribution.
type FeatureAttribution struct {
	// Index is the feature's position in FeatureNames, and the second index
	// of Attributions and StandardErrors.
	Index   int
	Feature string
	Value   float64
	// StdError is the attribution's standard error; 0 when the Explanation
	// has no StandardErrors (exact values, and methods that estimate none).
	StdError float64
}

// Ranked returns the attributions of one instance and output, largest |value|
// first (features of equal |value| in their order).
func (e *Explanation) Ranked(instance, output int) []FeatureAttribution {
	ranked := make([]FeatureAttribution, len(e.FeatureNames))
	for f, name := range e.FeatureNames {
		ranked[f] = FeatureAttribution{Index: f, Feature: name, Value: e.Attributions[instance][f][output]}
		if e.StandardErrors != nil {
			ranked[f].StdError = e.StandardErrors[instance][f][output]
		}
	}
	sort.SliceStable(ranked, func(i, j int) bool {
		return math.Abs(ranked[i].Value) > math.Abs(ranked[j].Value)
	})
	return ranked
}
