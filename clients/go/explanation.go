package prism

import (
	"fmt"
	"math"
	"sort"

	"prism.dev/prism/clients/go/prismpb"
)

// Explanation is an ExplainResponse read from its FORMAT_COMPACT summary, or
// from its explanation messages when the request asked for an evaluation.
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
	// Evaluations is indexed [instance][output]: the metrics the request's
	// Evaluate option asked for, else nil. See Evaluation.
	Evaluations [][]*prismpb.Evaluation
	// Response is the message the server sent.
	Response *prismpb.ExplainResponse
}

// NewExplanation reads resp's summary tensors, or its explanation messages
// when it has no summary tensors (FORMAT_PER_EXPLANATION, the format of a
// request with an evaluation). It fails when resp has neither, or when a
// tensor's shape or the explanations disagree with the names.
func NewExplanation(resp *prismpb.ExplainResponse) (*Explanation, error) {
	s := resp.GetSummary()
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
	if s.GetAttributions() == nil && len(resp.GetExplanations()) > 0 {
		if err = e.readExplanations(resp.GetExplanations(), n, f, o); err != nil {
			return nil, err
		}
		if e.MeanAbsAttributions, err = matrix(s.GetMeanAbsAttributions(), f, o); err != nil {
			return nil, err
		}
		return e, nil
	}
	if s.GetAttributions() == nil || s.GetBaseValues() == nil || s.GetModelOutputs() == nil {
		return nil, fmt.Errorf("prism: the response has neither a compact summary nor explanations (FORMAT_COMPACT or FORMAT_PER_EXPLANATION)")
	}
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

// readExplanations lays the explanation messages out like the summary
// tensors: one per instance and output, each instance's outputs sharing its
// features.
func (e *Explanation) readExplanations(explanations []*prismpb.Explanation, n, f, o int) error {
	if len(explanations) != n*o {
		return fmt.Errorf("prism: the server sent %d explanations, expected %d", len(explanations), n*o)
	}
	e.Attributions = make([][][]float64, n)
	e.BaseValues, e.ModelOutputs = grid[float64](n, o), grid[float64](n, o)
	for i := range e.Attributions {
		e.Attributions[i] = grid[float64](f, o)
	}
	withErrors, withInteractions := false, len(explanations[0].GetInteractions()) > 0
	withEvaluation := explanations[0].GetEvaluation() != nil
	for _, x := range explanations {
		withErrors = withErrors || len(x.GetStandardErrors()) > 0
	}
	if withErrors {
		e.StandardErrors = make([][][]float64, n)
		for i := range e.StandardErrors {
			e.StandardErrors[i] = grid[float64](f, o)
		}
	}
	if withInteractions {
		e.Interactions = make([][][][]float64, n)
		for i := range e.Interactions {
			e.Interactions[i] = make([][][]float64, f)
			for a := range e.Interactions[i] {
				e.Interactions[i][a] = grid[float64](f, o)
			}
		}
	}
	if withEvaluation {
		e.Evaluations = grid[*prismpb.Evaluation](n, o)
	}
	for _, x := range explanations {
		i, k := int(x.GetInstance()), e.OutputIndex(x.GetOutput())
		if i < 0 || i >= n || k < 0 {
			return fmt.Errorf("prism: the server sent an explanation of instance %d, output %q: not in the request", i, x.GetOutput())
		}
		if len(x.GetAttributions()) != f || (withErrors && len(x.GetStandardErrors()) != f && len(x.GetStandardErrors()) != 0) ||
			(withInteractions && len(x.GetInteractions()) != f*f) {
			return fmt.Errorf("prism: the explanation of instance %d, output %q has %d attributions, %d standard errors and %d interactions for %d features",
				i, x.GetOutput(), len(x.GetAttributions()), len(x.GetStandardErrors()), len(x.GetInteractions()), f)
		}
		for j, v := range x.GetAttributions() {
			e.Attributions[i][j][k] = v
		}
		for j, v := range x.GetStandardErrors() {
			e.StandardErrors[i][j][k] = v
		}
		for ab, v := range x.GetInteractions() {
			e.Interactions[i][ab/f][ab%f][k] = v
		}
		e.BaseValues[i][k], e.ModelOutputs[i][k] = x.GetBaseValue(), x.GetModelOutput()
		if withEvaluation {
			e.Evaluations[i][k] = x.GetEvaluation()
		}
	}
	return nil
}

func grid[T any](rows, cols int) [][]T {
	g := make([][]T, rows)
	for r := range g {
		g[r] = make([]T, cols)
	}
	return g
}

// Evaluation is the evaluation of one instance's explanation for one output
// (an index into OutputNames): its deletion and insertion curves, infidelity,
// sensitivity and complexity, a metric that was not asked for unset. It is nil
// when the request had no Evaluate option; the generated getters read nil as
// zero values, e.g. e.Evaluation(0, 0).GetDeletion().GetArea().
func (e *Explanation) Evaluation(instance, output int) *prismpb.Evaluation {
	if e.Evaluations == nil {
		return nil
	}
	return e.Evaluations[instance][output]
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
