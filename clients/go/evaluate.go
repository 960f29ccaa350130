package prism

import (
	"context"
	"errors"

	"prism.dev/prism/clients/go/prismpb"
)

// Evaluate measures how far attributions of req's instances can be trusted,
// with the metrics req's Evaluate option asks for (it must have one). given
// holds the attributions, exactly one per instance and explained output, one
// value per feature (Given lays them out from indexed values, and
// Explanation.Given from an answer); when given is empty, req's method
// explains the instances first, as Explain with Evaluate does. The rest of
// req says what the attributions explain: the model, the instances, the
// method (whose background or baseline deletion and insertion move features
// toward, and which sensitivity explains the perturbed inputs with), the
// feature groups, outputs and link. The answer is read as Explain's, each
// explanation carrying the attributions evaluated and its Evaluation.
//
// The request goes out in FORMAT_PER_EXPLANATION (on a copy when req asks for
// another format). A request without Evaluate, or with a time budget that is
// not positive, is refused before sending; the server refuses a wrong number
// of attributions, or a time budget, with INVALID_ARGUMENT.
func (c *Client) Evaluate(ctx context.Context, req *prismpb.ExplainRequest, given []*prismpb.GivenAttributions) (*Explanation, error) {
	if req != nil && req.GetEvaluate() == nil {
		return nil, errors.New("prism: Evaluate needs a request with the Evaluate option: it names the metrics")
	}
	req, err := prepare(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	resp, err := c.explain.Evaluate(ctx, &prismpb.EvaluateRequest{Request: req, Attributions: given})
	if err != nil {
		return nil, callError(ctx, err)
	}
	return NewExplanation(resp)
}

// Given lays attributions indexed [instance][feature][output], as
// Explanation.Attributions, out as Evaluate takes them: one per instance and
// output, by instance then output, output k named outputNames[k].
func Given(outputNames []string, attributions [][][]float64) []*prismpb.GivenAttributions {
	given := make([]*prismpb.GivenAttributions, 0, len(attributions)*len(outputNames))
	for i, features := range attributions {
		for k, name := range outputNames {
			values := make([]float64, len(features))
			for f, outputs := range features {
				values[f] = outputs[k]
			}
			given = append(given, &prismpb.GivenAttributions{Instance: int32(i), Output: name, Values: values})
		}
	}
	return given
}

// Given is the explanation's attributions as Evaluate takes them, e.g. to
// evaluate them later or with other metrics.
func (e *Explanation) Given() []*prismpb.GivenAttributions {
	return Given(e.OutputNames, e.Attributions)
}
