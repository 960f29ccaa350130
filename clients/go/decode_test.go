package prism_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	prism "prism.dev/prism/clients/go"
	"prism.dev/prism/clients/go/prismpb"
)

func doubles(name string, shape []int64, values []float64) *prismpb.Tensor {
	return &prismpb.Tensor{Name: name, Dtype: prismpb.DataType_DATA_TYPE_FLOAT64, Shape: shape, DoubleData: values}
}

func rawDoubles(name string, shape []int64, values []float64) *prismpb.Tensor {
	raw := make([]byte, 0, 8*len(values))
	for _, v := range values {
		raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(v))
	}
	return &prismpb.Tensor{Name: name, Dtype: prismpb.DataType_DATA_TYPE_FLOAT64, Shape: shape, RawData: raw}
}

// compactResponse has 2 instances, 3 features and 2 outputs; the attribution
// of instance i, feature f, output o is 100i + 10f + o.
func compactResponse(encode func(string, []int64, []float64) *prismpb.Tensor) *prismpb.ExplainResponse {
	var phi []float64
	for i := range 2 {
		for f := range 3 {
			for o := range 2 {
				phi = append(phi, float64(100*i+10*f+o))
			}
		}
	}
	return &prismpb.ExplainResponse{
		Model:        "m",
		Method:       "kernel_shap",
		FeatureNames: []string{"a", "b", "c"},
		Summary: &prismpb.Summary{
			Outputs:             []string{"yes", "no"},
			Instances:           2,
			MeanAbsAttributions: encode("mean_abs_attributions", []int64{3, 2}, []float64{50, 51, 60, 61, 70, 71}),
			Attributions:        encode("attributions", []int64{2, 3, 2}, phi),
			StandardErrors:      encode("standard_errors", []int64{2, 3, 2}, phi),
			BaseValues:          encode("base_values", []int64{2, 2}, []float64{0.5, 0.25, 0.5, 0.25}),
			ModelOutputs:        encode("model_outputs", []int64{2, 2}, []float64{0.9, 0.1, 0.2, 0.8}),
		},
	}
}

func TestExplanationIndicesFollowTheSummary(t *testing.T) {
	for name, encode := range map[string]func(string, []int64, []float64) *prismpb.Tensor{
		"double_data": doubles, "raw_data": rawDoubles,
	} {
		t.Run(name, func(t *testing.T) {
			e, err := prism.NewExplanation(compactResponse(encode))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				for f := range 3 {
					for o := range 2 {
						if want := float64(100*i + 10*f + o); e.Attributions[i][f][o] != want || e.StandardErrors[i][f][o] != want {
							t.Errorf("[%d][%d][%d] = %v±%v, want %v", i, f, o, e.Attributions[i][f][o], e.StandardErrors[i][f][o], want)
						}
					}
				}
			}
			if want := [][]float64{{0.9, 0.1}, {0.2, 0.8}}; !reflect.DeepEqual(e.ModelOutputs, want) {
				t.Errorf("model outputs %v, want %v", e.ModelOutputs, want)
			}
			if want := [][]float64{{50, 51}, {60, 61}, {70, 71}}; !reflect.DeepEqual(e.MeanAbsAttributions, want) {
				t.Errorf("mean |attributions| %v, want %v", e.MeanAbsAttributions, want)
			}
			if e.OutputIndex("no") != 1 || e.OutputIndex("maybe") != -1 {
				t.Errorf("OutputIndex: no → %d, maybe → %d", e.OutputIndex("no"), e.OutputIndex("maybe"))
			}
			ranked := e.Ranked(1, 1)
			want := []prism.FeatureAttribution{
				{Index: 2, Feature: "c", Value: 121, StdError: 121},
				{Index: 1, Feature: "b", Value: 111, StdError: 111},
				{Index: 0, Feature: "a", Value: 101, StdError: 101},
			}
			if !slices.Equal(ranked, want) {
				t.Errorf("ranked %v, want %v", ranked, want)
			}
			if e.Partial {
				t.Error("Partial without the response's partial")
			}
		})
	}
}

func TestRankedWithoutStandardErrors(t *testing.T) {
	resp := compactResponse(doubles)
	resp.Summary.StandardErrors = nil
	resp.Summary.Attributions = doubles("attributions", []int64{2, 3, 2}, []float64{1, 0, -3, 0, 2, 0, 0, 0, 0, 0, 0, 0})
	e, err := prism.NewExplanation(resp)
	if err != nil {
		t.Fatal(err)
	}
	want := []prism.FeatureAttribution{{Index: 1, Feature: "b", Value: -3}, {Index: 2, Feature: "c", Value: 2}, {Index: 0, Feature: "a", Value: 1}}
	if ranked := e.Ranked(0, 0); !slices.Equal(ranked, want) {
		t.Errorf("ranked %v, want %v", ranked, want)
	}
}

func TestProgressFraction(t *testing.T) {
	for _, c := range []struct {
		done, total int64
		want        float64
	}{{0, 0, 0}, {5, 0, 0}, {0, 120, 0}, {30, 120, 0.25}, {120, 120, 1}} {
		p := prism.Progress{Progress: &prismpb.Progress{EvaluationsDone: c.done, EvaluationsTotal: c.total}}
		if got := p.Fraction(); got != c.want {
			t.Errorf("%d of %d: Fraction() = %v, want %v", c.done, c.total, got, c.want)
		}
	}
}

func TestExplanationReadsPartial(t *testing.T) {
	resp := compactResponse(doubles)
	resp.Partial = true
	e, err := prism.NewExplanation(resp)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Partial {
		t.Error("Partial is false for a partial response")
	}
}

func TestExplanationRefusesWhatItCannotRead(t *testing.T) {
	perExplanation := compactResponse(doubles)
	perExplanation.Summary.Attributions = nil
	wrongShape := compactResponse(doubles)
	wrongShape.Summary.Attributions.Shape = []int64{2, 2, 3}
	shortRaw := compactResponse(rawDoubles)
	shortRaw.Summary.BaseValues.RawData = shortRaw.Summary.BaseValues.RawData[:31]
	missingValues := compactResponse(doubles)
	missingValues.Summary.ModelOutputs.DoubleData = []float64{1, 2, 3}
	tooFewExplanations := compactResponse(doubles)
	tooFewExplanations.Summary.Attributions = nil
	tooFewExplanations.Explanations = []*prismpb.Explanation{{Instance: 0, Output: tooFewExplanations.Summary.Outputs[0]}}
	for name, c := range map[string]struct {
		resp *prismpb.ExplainResponse
		want string
	}{
		"no compact summary": {perExplanation, "neither a compact summary nor explanations"},
		"explanations":       {tooFewExplanations, "sent 1 explanations, expected 4"},
		"shape":              {wrongShape, "shape [2 2 3], want [2 3 2]"},
		"raw bytes":          {shortRaw, "31 raw bytes"},
		"value count":        {missingValues, "3 values for shape [2 2]"},
	} {
		if _, err := prism.NewExplanation(c.resp); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, c.want)
		}
	}
}

func TestFloat64ValuesReadsEveryEncoding(t *testing.T) {
	raw32 := binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5))
	raw32 = binary.LittleEndian.AppendUint32(raw32, math.Float32bits(-2))
	for name, tensor := range map[string]*prismpb.Tensor{
		"double_data":  {Shape: []int64{2}, DoubleData: []float64{1.5, -2}},
		"float_data":   {Shape: []int64{2}, FloatData: []float32{1.5, -2}},
		"int64_data":   {Shape: []int64{1, 2}, Int64Data: []int64{3, -4}},
		"raw FLOAT32":  {Shape: []int64{2, 1}, Dtype: prismpb.DataType_DATA_TYPE_FLOAT32, RawData: raw32},
		"raw FLOAT64":  rawDoubles("", []int64{2}, []float64{1.5, -2}),
		"raw, integer": {Shape: []int64{2}, Dtype: prismpb.DataType_DATA_TYPE_INT32, RawData: raw32},
	} {
		values, err := prism.Float64Values(tensor)
		switch {
		case name == "raw, integer":
			if err == nil {
				t.Errorf("%s: read %v", name, values)
			}
		case name == "int64_data":
			if err != nil || !slices.Equal(values, []float64{3, -4}) {
				t.Errorf("%s: %v, %v", name, values, err)
			}
		case err != nil || !slices.Equal(values, []float64{1.5, -2}):
			t.Errorf("%s: %v, %v", name, values, err)
		}
	}
}

func TestRowsTensors(t *testing.T) {
	rows := [][]float32{{1, 2, 3, 4}, {5, 6, 7, 8}}
	floats, err := prism.Float32Rows(rows)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(floats.GetShape(), []int64{2, 4}) || !slices.Equal(floats.GetFloatData(), []float32{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("Float32Rows: %v", floats)
	}
	raw, err := prism.RawFloat32Rows(rows, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	values, err := prism.Float64Values(raw)
	if err != nil || !slices.Equal(raw.GetShape(), []int64{2, 2, 2}) || !slices.Equal(values, []float64{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("RawFloat32Rows: shape %v values %v (%v)", raw.GetShape(), values, err)
	}
	if raw.GetDtype() != prismpb.DataType_DATA_TYPE_FLOAT32 || len(raw.GetFloatData()) != 0 {
		t.Errorf("RawFloat32Rows: dtype %s with %d float_data", raw.GetDtype(), len(raw.GetFloatData()))
	}
	for name, c := range map[string]struct {
		rows  [][]float32
		shape []int64
		want  string
	}{
		"no rows":        {nil, nil, "no rows"},
		"ragged":         {[][]float32{{1, 2}, {3}}, nil, "row 1 has 1 values, row 0 has 2"},
		"shape size":     {rows, []int64{3}, "holds 3 values, rows have 4"},
		"zero dimension": {rows, []int64{0, 4}, "dimension < 1"},
	} {
		_, errFloat := prism.Float32Rows(c.rows, c.shape...)
		_, errRaw := prism.RawFloat32Rows(c.rows, c.shape...)
		for _, err := range []error{errFloat, errRaw} {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: got %v, want %q", name, err, c.want)
			}
		}
	}
}

func TestNewRequestSetsTheMethod(t *testing.T) {
	in, err := prism.Float32Rows([][]float32{setosa})
	if err != nil {
		t.Fatal(err)
	}
	auto := prism.NewRequest("iris", in, nil)
	if auto.GetMethod() != nil || auto.GetFormat() != prismpb.ResponseFormat_FORMAT_COMPACT || auto.GetInputs()[0] != in {
		t.Errorf("no method: %v", auto)
	}
	kernel := prism.NewRequest("iris", in, prism.KernelSHAP(&prismpb.KernelShapParams{Nsamples: 64}))
	if kernel.GetKernelShap().GetNsamples() != 64 {
		t.Errorf("kernel_shap: %v", kernel)
	}
	if prism.NewRequest("iris", in, prism.Saliency(nil)).GetSaliency() == nil {
		t.Error("saliency with default parameters is not set")
	}
	if prism.NewRequest("iris", in, prism.IntegratedGradients(&prismpb.IntegratedGradientsParams{NSteps: 8})).GetIntegratedGradients().GetNSteps() != 8 {
		t.Error("integrated_gradients lost its n_steps")
	}
	if kernel.GetTimeBudget() != nil {
		t.Errorf("a time budget without the option: %v", kernel.GetTimeBudget())
	}
	budgeted := prism.NewRequest("iris", in, prism.KernelSHAP(nil), prism.TimeBudget(1500*time.Millisecond))
	if b := budgeted.GetTimeBudget(); b.GetSeconds() != 1 || b.GetNanos() != 500_000_000 || budgeted.GetKernelShap() == nil {
		t.Errorf("TimeBudget(1.5s): %v", budgeted)
	}
}

func TestAsErrorReadsTheDetails(t *testing.T) {
	st, err := status.New(codes.ResourceExhausted, "queue full").WithDetails(
		&errdetails.ErrorInfo{Reason: "QUEUE_FULL", Domain: prism.Domain},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "f", Description: "d"}}},
	)
	if err != nil {
		t.Fatal(err)
	}
	wrapped := fmt.Errorf("calling: %w", st.Err())
	perr, ok := prism.AsError(wrapped)
	if !ok {
		t.Fatal("a wrapped status error is not recognised")
	}
	want := prism.Error{Code: codes.ResourceExhausted, Reason: prismpb.ErrorReason_QUEUE_FULL, Domain: prism.Domain,
		Message: "queue full", FieldViolations: []prism.FieldViolation{{Field: "f", Description: "d"}}, RetryDelay: 1500 * time.Millisecond}
	if perr.Code != want.Code || perr.Reason != want.Reason || perr.Domain != want.Domain || perr.Message != want.Message ||
		!slices.Equal(perr.FieldViolations, want.FieldViolations) || perr.RetryDelay != want.RetryDelay {
		t.Errorf("got %+v, want %+v", perr, want)
	}
	if perr.Error() != "prism: ResourceExhausted (QUEUE_FULL): queue full" {
		t.Errorf("message %q", perr.Error())
	}
	if status.Code(perr) != codes.ResourceExhausted {
		t.Errorf("status.Code of *Error = %s", status.Code(perr))
	}
	again, ok := prism.AsError(fmt.Errorf("again: %w", perr))
	if !ok || again != perr {
		t.Error("a wrapped *Error is not returned as is")
	}
	if _, ok := prism.AsError(errors.New("plain")); ok {
		t.Error("a plain error counts as a Prism error")
	}
	if _, ok := prism.AsError(nil); ok {
		t.Error("nil counts as a Prism error")
	}
}
