package prism

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"prism.dev/prism/clients/go/prismpb"
)

// Float32Rows returns rows as a FLOAT32 tensor with the values in float_data,
// one row per instance. The shape is [len(rows), instanceShape...], or
// [len(rows), len(row)] without instanceShape (e.g. 1, 8, 8 for the digits
// models' [N, 1, 8, 8] input). Every row must have the same length, the
// product of instanceShape.
func Float32Rows(rows [][]float32, instanceShape ...int64) (*prismpb.Tensor, error) {
	shape, err := rowsShape(rows, instanceShape)
	if err != nil {
		return nil, err
	}
	values := make([]float32, 0, len(rows)*len(rows[0]))
	for _, row := range rows {
		values = append(values, row...)
	}
	return &prismpb.Tensor{Dtype: prismpb.DataType_DATA_TYPE_FLOAT32, Shape: shape, FloatData: values}, nil
}

// RawFloat32Rows is Float32Rows with the values packed little-endian in
// raw_data, which is smaller on the wire and faster to encode for large inputs.
func RawFloat32Rows(rows [][]float32, instanceShape ...int64) (*prismpb.Tensor, error) {
	shape, err := rowsShape(rows, instanceShape)
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 0, 4*len(rows)*len(rows[0]))
	for _, row := range rows {
		for _, v := range row {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
	}
	return &prismpb.Tensor{Dtype: prismpb.DataType_DATA_TYPE_FLOAT32, Shape: shape, RawData: raw}, nil
}

func rowsShape(rows [][]float32, instanceShape []int64) ([]int64, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("prism: no rows: a tensor needs at least one instance")
	}
	width := len(rows[0])
	if width == 0 {
		return nil, fmt.Errorf("prism: row 0 is empty")
	}
	for i, row := range rows {
		if len(row) != width {
			return nil, fmt.Errorf("prism: row %d has %d values, row 0 has %d", i, len(row), width)
		}
	}
	if len(instanceShape) == 0 {
		return []int64{int64(len(rows)), int64(width)}, nil
	}
	size := int64(1)
	for _, d := range instanceShape {
		if d < 1 {
			return nil, fmt.Errorf("prism: instance shape %v has a dimension < 1", instanceShape)
		}
		size *= d
	}
	if size != int64(width) {
		return nil, fmt.Errorf("prism: instance shape %v holds %d values, rows have %d", instanceShape, size, width)
	}
	return append([]int64{int64(len(rows))}, instanceShape...), nil
}

// Method sets an explanation method and its parameters on a request. The
// constructors below take the method's parameters; nil means its defaults.
type Method func(*prismpb.ExplainRequest)

// Auto picks exact Shapley values for at most 10 varying features, KernelSHAP otherwise.
func Auto() Method {
	return func(r *prismpb.ExplainRequest) {
		r.Method = &prismpb.ExplainRequest_Auto{Auto: &prismpb.AutoParams{}}
	}
}

// KernelSHAP explains with KernelSHAP.
func KernelSHAP(p *prismpb.KernelShapParams) Method {
	return func(r *prismpb.ExplainRequest) {
		r.Method = &prismpb.ExplainRequest_KernelShap{KernelShap: orNew(p)}
	}
}

// ExactShapley explains with exact Shapley values over every coalition.
func ExactShapley(p *prismpb.ExactShapleyParams) Method {
	return func(r *prismpb.ExplainRequest) {
		r.Method = &prismpb.ExplainRequest_ExactShapley{ExactShapley: orNew(p)}
	}
}

// PermutationSHAP explains with antithetic permutation sampling.
func PermutationSHAP(p *prismpb.PermutationShapParams) Method {
	return func(r *prismpb.ExplainRequest) {
		r.Method = &prismpb.ExplainRequest_PermutationShap{PermutationShap: orNew(p)}
	}
}

// LIME explains with a LIME surrogate.
func LIME(p *prismpb.LimeParams) Method {
	return func(r *prismpb.ExplainRequest) {
		r.Method = &prismpb.ExplainRequest_Lime{Lime: orNew(p)}
	}
}

// DeepLIFT explains with DeepLIFT (Rescale) against the baseline.
func DeepLIFT(p *prismpb.DeepLiftParams) Method {
	return func(r *prismpb.ExplainRequest) {
		r.Method = &prismpb.ExplainRequest_DeepLift{DeepLift: orNew(p)}
	}
}

// DeepLIFTSHAP explains with DeepLIFT averaged over the background.
func DeepLIFTSHAP(p *prismpb.DeepLiftShapParams) Method {
	return func(r *prismpb.ExplainRequest) {
		r.Method = &prismpb.ExplainRequest_DeepLiftShap{DeepLiftShap: orNew(p)}
	}
}

// IntegratedGradients explains with Integrated Gradients.
func IntegratedGradients(p *prismpb.IntegratedGradientsParams) Method {
	return func(r *prismpb.ExplainRequest) {
		r.Method = &prismpb.ExplainRequest_IntegratedGradients{IntegratedGradients: orNew(p)}
	}
}

// GradientXInput explains with gradient × (input − baseline).
func GradientXInput(p *prismpb.GradientXInputParams) Method {
	return func(r *prismpb.ExplainRequest) {
		r.Method = &prismpb.ExplainRequest_GradientXInput{GradientXInput: orNew(p)}
	}
}

// Saliency explains with the absolute gradient.
func Saliency(p *prismpb.SaliencyParams) Method {
	return func(r *prismpb.ExplainRequest) {
		r.Method = &prismpb.ExplainRequest_Saliency{Saliency: orNew(p)}
	}
}

// TreeSHAP explains a tree ensemble's margin exactly with interventional
// TreeSHAP, reading the model's trees instead of evaluating rows.
func TreeSHAP(p *prismpb.TreeShapParams) Method {
	return func(r *prismpb.ExplainRequest) {
		r.Method = &prismpb.ExplainRequest_TreeShap{TreeShap: orNew(p)}
	}
}

func orNew[T any](p *T) *T {
	if p == nil {
		return new(T)
	}
	return p
}

// RequestOption sets an optional field of a request made by NewRequest.
type RequestOption func(*prismpb.ExplainRequest)

// TimeBudget asks the method for its best answer within d, counted from the
// server's receipt of the request: when d runs out first, each instance
// answers from what it evaluated and the Explanation is Partial. d must be
// positive (Explain and StreamExplain refuse the request otherwise); the
// server takes at most one hour, and only for the methods whose
// MethodInfo.TimeBudget is true (kernel_shap without l1_reg,
// permutation_shap, lime).
func TimeBudget(d time.Duration) RequestOption {
	return func(r *prismpb.ExplainRequest) {
		r.TimeBudget = durationpb.New(d)
	}
}

// Evaluate asks the server to measure, after each explanation and in the same
// request, how far it can be trusted: the metrics whose messages p sets (see
// the server's README, "Evaluating an explanation"). A nil p asks for the
// cheap ones: complexity, and deletion and insertion curves of 10 steps. The
// request is then sent with FORMAT_PER_EXPLANATION, which carries the
// results (Explanation.Evaluation). Client.Evaluate takes the same option to
// evaluate given attributions.
func Evaluate(p *prismpb.EvaluationParams) RequestOption {
	if p == nil {
		p = &prismpb.EvaluationParams{
			Deletion:   &prismpb.DeletionParams{Steps: 10},
			Complexity: &prismpb.ComplexityParams{},
		}
	}
	return func(r *prismpb.ExplainRequest) {
		r.Evaluate = p
	}
}

// NewRequest returns a FORMAT_COMPACT request explaining the instances of
// input (e.g. from Float32Rows) on model with method and the options; a nil
// method leaves the choice to the server (auto). Set any other field
// (background, outputs, seed, link, ...) on the result.
func NewRequest(model string, input *prismpb.Tensor, method Method, opts ...RequestOption) *prismpb.ExplainRequest {
	r := &prismpb.ExplainRequest{
		Model:  model,
		Inputs: []*prismpb.Tensor{input},
		Format: prismpb.ResponseFormat_FORMAT_COMPACT,
	}
	if method != nil {
		method(r)
	}
	for _, opt := range opts {
		opt(r)
	}
	return r
}

// checkTimeBudget refuses a time budget the server would refuse for its sign
// or form, before anything is sent.
func checkTimeBudget(r *prismpb.ExplainRequest) error {
	b := r.GetTimeBudget()
	if b == nil {
		return nil
	}
	if err := b.CheckValid(); err != nil {
		return fmt.Errorf("prism: time_budget: %w", err)
	}
	if d := b.AsDuration(); d <= 0 {
		return fmt.Errorf("prism: time_budget must be positive, got %v", d)
	}
	return nil
}
