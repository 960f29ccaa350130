package prism

import (
	"context"
	"fmt"

	"prism.dev/prism/clients/go/prismpb"
)

// ExampleOption sets an optional field of an ExplainByExample request.
type ExampleOption func(*prismpb.ExplainByExampleRequest)

// Neighbours asks for each instance's k nearest reference rows, in [0, 1000]
// (0, the default, for none).
func Neighbours(k int) ExampleOption {
	return func(r *prismpb.ExplainByExampleRequest) { r.K = int32(k) }
}

// Space measures closeness, of the neighbours and of the prototypes' kernel,
// in the model's standardised input (the default), its scores, or its
// embedding output (a model whose config names one).
func Space(space prismpb.ExampleSpace) ExampleOption {
	return func(r *prismpb.ExplainByExampleRequest) { r.Space = space }
}

// UnlikeNeighbour asks for each instance's nearest unlike neighbour: the
// nearest reference row (in input space) that the model puts in another
// class, with the features that differ; a numeric feature differs when its
// standardised difference exceeds threshold in absolute value (0: whenever
// the values differ). Classifiers only.
func UnlikeNeighbour(threshold float64) ExampleOption {
	return func(r *prismpb.ExplainByExampleRequest) {
		r.UnlikeNeighbour = &prismpb.UnlikeNeighbourOptions{Threshold: threshold}
	}
}

// Prototypes asks for the prototypes and criticisms (MMD-critic) of the set p
// names: the request's instances or the reference set.
func Prototypes(p *prismpb.PrototypeOptions) ExampleOption {
	return func(r *prismpb.ExplainByExampleRequest) { r.Prototypes = p }
}

// Examples is an ExplainByExampleResponse with its fields as Go values.
type Examples struct {
	Model string
	// ModelVersion is the digest of the model's folder when it was loaded.
	ModelVersion string
	FeatureNames []string
	// OutputNames name the score columns of every Prediction.
	OutputNames []string
	// Instances has one entry per instance, in order.
	Instances []InstanceExamples
	// Prototypes is set when the request asked for them, else nil.
	Prototypes *PrototypesAndCriticisms
	// Response is the message the server sent.
	Response *prismpb.ExplainByExampleResponse
}

// InstanceExamples are the examples of one instance.
type InstanceExamples struct {
	// Prediction is the model's scores for the instance.
	Prediction []float64
	// Embedding is the instance's embedding when the space is the embedding's, else nil.
	Embedding []float64
	// PredictedClass is the argmax of Prediction; -1 for a regression model.
	PredictedClass int
	// Neighbours are the k nearest reference rows, nearest first (ties in row order).
	Neighbours []ReferenceExample
	// Unlike is the nearest unlike neighbour when asked for and some
	// reference row is predicted in another class, else nil.
	Unlike *UnlikeNeighbourExample
}

// ReferenceExample is a row of the reference set.
type ReferenceExample struct {
	// Row is its index in the reference file (0 = the first data line).
	Row int
	// Distance is its distance to the instance, in the request's space (in
	// input space for an unlike neighbour).
	Distance float64
	// Values are its feature values.
	Values []float64
	// Prediction is the model's scores for it.
	Prediction []float64
	// PredictedClass is the argmax of Prediction; -1 for a regression model.
	PredictedClass int
	// Label is its label when HasLabel (the config names a reference_label_column).
	Label    float64
	HasLabel bool
}

// UnlikeNeighbourExample is the nearest reference row predicted in another class.
type UnlikeNeighbourExample struct {
	ReferenceExample
	// Differing are the features in which it differs from the instance,
	// most different first.
	Differing []DifferingFeature
}

// DifferingFeature is a feature in which an unlike neighbour differs.
type DifferingFeature struct {
	Name string
	// Index is its position in FeatureNames.
	Index          int
	InstanceValue  float64
	NeighbourValue float64
	// StandardisedDifference is (neighbour − instance) / the reference's
	// standard deviation for a numeric feature, 1 for a categorical one.
	StandardisedDifference float64
}

// PrototypesAndCriticisms summarise a set: the members that represent it best
// and those it represents worst.
type PrototypesAndCriticisms struct {
	// Set says whether indices are instance indices or reference row indices.
	Set prismpb.ExampleSet
	// Bandwidth is the Gaussian kernel's sigma used.
	Bandwidth  float64
	Prototypes []Prototype
	Criticisms []Criticism
}

// Prototype is a member chosen as a prototype, in the order chosen.
type Prototype struct {
	Index int
	// MMDSquared is MMD² between the set and the prototypes chosen so far, this one included.
	MMDSquared float64
}

// Criticism is a member chosen as a criticism, in the order chosen.
type Criticism struct {
	Index int
	// Witness is positive where the prototypes under-represent the set,
	// negative where they over-represent it.
	Witness float64
}

// ExplainByExample finds reference cases for the instances (e.g. from
// Float32Rows) on a model whose config names a reference set: with
// Neighbours, the nearest reference rows of each instance; with
// UnlikeNeighbour, the nearest one the model puts in another class; with
// Prototypes, the prototypes and criticisms of a set. Every answer is exact.
// A model without a reference set fails with codes.FailedPrecondition; an
// answer without exactly one entry per instance fails too.
func (c *Client) ExplainByExample(ctx context.Context, model string, instances *prismpb.Tensor, opts ...ExampleOption) (*Examples, error) {
	req := &prismpb.ExplainByExampleRequest{Model: model, Instances: instances}
	for _, opt := range opts {
		opt(req)
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	resp, err := c.examples.ExplainByExample(ctx, req)
	if err != nil {
		return nil, callError(ctx, err)
	}
	// Instances is indexed by the request's instances: an answer with more or
	// fewer would be read against the wrong rows.
	var want int64
	if shape := instances.GetShape(); len(shape) > 0 {
		want = shape[0]
	}
	if got := len(resp.GetInstances()); int64(got) != want {
		return nil, fmt.Errorf("prism: the server answered %d instances, the request has %d", got, want)
	}
	return NewExamples(resp)
}

// NewExamples reads resp; it fails when an example's values or scores do not
// match the feature and output names.
func NewExamples(resp *prismpb.ExplainByExampleResponse) (*Examples, error) {
	e := &Examples{
		Model:        resp.GetModel(),
		ModelVersion: resp.GetModelVersion(),
		FeatureNames: resp.GetFeatureNames(),
		OutputNames:  resp.GetOutputNames(),
		Instances:    make([]InstanceExamples, len(resp.GetInstances())),
		Response:     resp,
	}
	for i, x := range resp.GetInstances() {
		in := InstanceExamples{
			Prediction:     x.GetPrediction(),
			Embedding:      x.GetEmbedding(),
			PredictedClass: int(x.GetPredictedClass()),
		}
		for _, n := range x.GetNeighbours() {
			r, err := e.reference(n)
			if err != nil {
				return nil, fmt.Errorf("prism: instance %d: %w", i, err)
			}
			in.Neighbours = append(in.Neighbours, r)
		}
		if u := x.GetUnlikeNeighbour(); u != nil {
			r, err := e.reference(u.GetExample())
			if err != nil {
				return nil, fmt.Errorf("prism: instance %d's unlike neighbour: %w", i, err)
			}
			in.Unlike = &UnlikeNeighbourExample{ReferenceExample: r}
			for _, d := range u.GetDifferingFeatures() {
				in.Unlike.Differing = append(in.Unlike.Differing, DifferingFeature{
					Name: d.GetName(), Index: int(d.GetIndex()), InstanceValue: d.GetInstanceValue(),
					NeighbourValue: d.GetNeighbourValue(), StandardisedDifference: d.GetStandardisedDifference(),
				})
			}
		}
		e.Instances[i] = in
	}
	if p := resp.GetPrototypes(); p != nil {
		e.Prototypes = &PrototypesAndCriticisms{Set: p.GetSet(), Bandwidth: p.GetBandwidth()}
		for _, x := range p.GetPrototypes() {
			e.Prototypes.Prototypes = append(e.Prototypes.Prototypes, Prototype{Index: int(x.GetIndex()), MMDSquared: x.GetMmdSquared()})
		}
		for _, x := range p.GetCriticisms() {
			e.Prototypes.Criticisms = append(e.Prototypes.Criticisms, Criticism{Index: int(x.GetIndex()), Witness: x.GetWitness()})
		}
	}
	return e, nil
}

func (e *Examples) reference(x *prismpb.ReferenceExample) (ReferenceExample, error) {
	if len(x.GetValues()) != len(e.FeatureNames) || len(x.GetPrediction()) != len(e.OutputNames) {
		return ReferenceExample{}, fmt.Errorf("reference row %d has %d values and %d scores for %d features and %d outputs",
			x.GetRow(), len(x.GetValues()), len(x.GetPrediction()), len(e.FeatureNames), len(e.OutputNames))
	}
	return ReferenceExample{
		Row:            int(x.GetRow()),
		Distance:       x.GetDistance(),
		Values:         x.GetValues(),
		Prediction:     x.GetPrediction(),
		PredictedClass: int(x.GetPredictedClass()),
		Label:          x.GetLabel(),
		HasLabel:       x.Label != nil,
	}, nil
}

// Rows is the reference row index of each of an instance's neighbours, nearest first.
func (e *Examples) Rows(instance int) []int {
	rows := make([]int, len(e.Instances[instance].Neighbours))
	for n, r := range e.Instances[instance].Neighbours {
		rows[n] = r.Row
	}
	return rows
}
