package prism

import (
	"fmt"

	"prism.dev/prism/clients/go/prismpb"
)

// Prediction holds a model's score outputs for a batch of instances.
type Prediction struct {
	Model   string
	Outputs []Scores
}

// Scores is one score output.
type Scores struct {
	Name string
	// Shape is batch first, e.g. [instances, 3] for iris's probabilities.
	Shape []int64
	// Rows holds each instance's values, flattened row-major.
	Rows [][]float64
}

func newPrediction(resp *prismpb.PredictResponse) (*Prediction, error) {
	p := &Prediction{Model: resp.GetModel()}
	for _, t := range resp.GetOutputs() {
		values, err := Float64Values(t)
		if err != nil {
			return nil, err
		}
		if len(t.GetShape()) < 1 || t.GetShape()[0] < 1 {
			return nil, fmt.Errorf("prism: output %q has shape %v, want batch first", t.GetName(), t.GetShape())
		}
		rows, err := split(values, int(t.GetShape()[0]), t.GetName())
		if err != nil {
			return nil, err
		}
		p.Outputs = append(p.Outputs, Scores{Name: t.GetName(), Shape: t.GetShape(), Rows: rows})
	}
	return p, nil
}
