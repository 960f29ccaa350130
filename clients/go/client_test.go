package prism_test

import (
	"context"
	"errors"
	"math"
	"net"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	prism "prism.dev/prism/clients/go"
	"prism.dev/prism/clients/go/internal/testserver"
	"prism.dev/prism/clients/go/prismpb"
)

// Training flowers of each class, in the iris model's feature order.
var (
	setosa     = []float32{5.1, 3.5, 1.4, 0.2}
	versicolor = []float32{7.0, 3.2, 4.7, 1.4}
	virginica  = []float32{6.3, 3.3, 6.0, 2.5}
)

func irisRows(t *testing.T) *prismpb.Tensor {
	t.Helper()
	in, err := prism.Float32Rows([][]float32{setosa, versicolor, virginica})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// longRequest takes the digits model tens of seconds (8 instances × 200000
// coalitions × 20 background rows), so tests can stop it while it runs.
func longRequest(t *testing.T) *prismpb.ExplainRequest {
	t.Helper()
	rows := make([][]float32, 8)
	for i := range rows {
		rows[i] = make([]float32, 64)
		for j := range rows[i] {
			rows[i][j] = float32((i*7 + j*3) % 17)
		}
	}
	in, err := prism.RawFloat32Rows(rows, 1, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	return prism.NewRequest("digits", in, prism.KernelSHAP(&prismpb.KernelShapParams{Nsamples: 200000}))
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestModels(t *testing.T) {
	ctx := testContext(t)
	models, err := client.Models(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range models {
		names = append(names, m.GetName())
	}
	if want := []string{"breast_cancer", "breast_cancer_xgb", "diabetes", "digits", "digits_cnn", "iris"}; !slices.Equal(names, want) {
		t.Fatalf("models %v, want %v", names, want)
	}

	iris, err := client.Model(ctx, "iris")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}; !slices.Equal(iris.GetFeatureNames(), want) {
		t.Errorf("iris features %v, want %v", iris.GetFeatureNames(), want)
	}
	if want := []string{"setosa", "versicolor", "virginica"}; !slices.Equal(iris.GetOutputNames(), want) {
		t.Errorf("iris outputs %v, want %v", iris.GetOutputNames(), want)
	}
	if iris.GetOutputKind() != prismpb.OutputKind_OUTPUT_KIND_PROBABILITY {
		t.Errorf("iris output kind %s", iris.GetOutputKind())
	}
	if iris.GetDefaultBackgroundRows() != 100 {
		t.Errorf("iris background rows %d, want 100", iris.GetDefaultBackgroundRows())
	}
	if !slices.Contains(iris.GetMethods(), prismpb.Method_METHOD_EXACT_SHAPLEY) || !slices.Contains(iris.GetMethods(), prismpb.Method_METHOD_KERNEL_SHAP) {
		t.Errorf("iris methods %v lack exact_shapley or kernel_shap", iris.GetMethods())
	}
	var explained *prismpb.TensorSpec
	for _, in := range iris.GetInputs() {
		if in.GetName() == iris.GetExplainedInput() {
			explained = in
		}
	}
	if explained == nil || !slices.Equal(explained.GetShape(), []int64{-1, 4}) {
		t.Errorf("iris explained input %q among %v, want shape [-1 4]", iris.GetExplainedInput(), iris.GetInputs())
	}

	digits, err := client.Model(ctx, "digits")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(digits.GetFeatureNames()); n != 64 || digits.GetFeatureNames()[9] != "px_1_1" {
		t.Errorf("digits has %d features starting %v, want 64 named px_<row>_<col>", n, digits.GetFeatureNames()[:10])
	}
}

func TestUnknownModelIsNotFound(t *testing.T) {
	ctx := testContext(t)
	_, modelErr := client.Model(ctx, "no_such_model")
	_, explainErr := client.Explain(ctx, prism.NewRequest("no_such_model", irisRows(t), nil))
	for _, err := range []error{modelErr, explainErr} {
		perr, ok := prism.AsError(err)
		if !ok {
			t.Fatalf("error %v is not a Prism error", err)
		}
		if perr.Code != codes.NotFound || perr.Reason != prismpb.ErrorReason_MODEL_NOT_FOUND || perr.Domain != prism.Domain {
			t.Errorf("got %s / %s / %q, want NotFound / MODEL_NOT_FOUND / prism.dev", perr.Code, perr.Reason, perr.Domain)
		}
		if !strings.Contains(perr.Message, "no_such_model") {
			t.Errorf("message %q does not name the model", perr.Message)
		}
		if status.Code(err) != codes.NotFound {
			t.Errorf("status.Code(err) = %s, want NotFound", status.Code(err))
		}
	}
}

func TestPredictIris(t *testing.T) {
	ctx := testContext(t)
	raw, err := prism.RawFloat32Rows([][]float32{setosa, versicolor, virginica})
	if err != nil {
		t.Fatal(err)
	}
	fromFloats, err := client.Predict(ctx, "iris", irisRows(t))
	if err != nil {
		t.Fatal(err)
	}
	fromRaw, err := client.Predict(ctx, "iris", raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromFloats, fromRaw) {
		t.Errorf("float_data and raw_data inputs predict differently: %v vs %v", fromFloats, fromRaw)
	}
	if len(fromFloats.Outputs) != 1 {
		t.Fatalf("%d outputs, want 1", len(fromFloats.Outputs))
	}
	probs := fromFloats.Outputs[0]
	if probs.Name != "probabilities" || !slices.Equal(probs.Shape, []int64{3, 3}) {
		t.Fatalf("output %q of shape %v, want probabilities [3 3]", probs.Name, probs.Shape)
	}
	for i, row := range probs.Rows {
		sum := 0.0
		for _, p := range row {
			sum += p
		}
		if math.Abs(sum-1) > 1e-6 {
			t.Errorf("instance %d: probabilities %v sum to %v", i, row, sum)
		}
		if best := argmax(row); best != i {
			t.Errorf("instance %d: predicted class %d (%v), want %d", i, best, row, i)
		}
	}
}

func argmax(values []float64) int {
	best := 0
	for i, v := range values {
		if v > values[best] {
			best = i
		}
	}
	return best
}

func TestExplainExactShapleyIris(t *testing.T) {
	ctx := testContext(t)
	req := prism.NewRequest("iris", irisRows(t), prism.ExactShapley(nil))
	e, err := client.Explain(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if e.Method != "exact_shapley" || e.Model != "iris" || e.Instances() != 3 {
		t.Fatalf("method %q model %q instances %d", e.Method, e.Model, e.Instances())
	}
	if want := []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}; !slices.Equal(e.FeatureNames, want) {
		t.Errorf("features %v, want %v", e.FeatureNames, want)
	}
	if want := []string{"setosa", "versicolor", "virginica"}; !slices.Equal(e.OutputNames, want) {
		t.Errorf("outputs %v, want %v", e.OutputNames, want)
	}
	if e.StandardErrors != nil {
		t.Errorf("exact Shapley values came with standard errors %v", e.StandardErrors)
	}
	pred, err := client.Predict(ctx, "iris", irisRows(t))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		for o := range 3 {
			sum := 0.0
			for f := range 4 {
				sum += e.Attributions[i][f][o]
			}
			if gap := sum - (e.ModelOutputs[i][o] - e.BaseValues[i][o]); math.Abs(gap) > 1e-6 {
				t.Errorf("instance %d output %d: attributions sum to %v, output - base = %v", i, o, sum, e.ModelOutputs[i][o]-e.BaseValues[i][o])
			}
			if d := e.ModelOutputs[i][o] - pred.Outputs[0].Rows[i][o]; math.Abs(d) > 1e-6 {
				t.Errorf("instance %d output %d: model output %v, Predict says %v", i, o, e.ModelOutputs[i][o], pred.Outputs[0].Rows[i][o])
			}
			// One background for every instance: the same base value.
			if e.BaseValues[i][o] != e.BaseValues[0][o] {
				t.Errorf("base values differ between instances: %v", e.BaseValues)
			}
		}
		// The predicted class gains the most from its features.
		if best := argmax(e.ModelOutputs[i]); best != i || e.ModelOutputs[i][i] <= e.BaseValues[i][i] {
			t.Errorf("instance %d: outputs %v over base %v", i, e.ModelOutputs[i], e.BaseValues[i])
		}
	}
	if sum := e.BaseValues[0][0] + e.BaseValues[0][1] + e.BaseValues[0][2]; math.Abs(sum-1) > 1e-6 {
		t.Errorf("base probabilities %v sum to %v", e.BaseValues[0], sum)
	}
	ranked := e.Ranked(0, 0)
	if math.Abs(ranked[0].Value) < math.Abs(ranked[3].Value) || len(ranked) != 4 {
		t.Errorf("ranked %v is not by |value|", ranked)
	}

	again, err := client.Explain(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e.Attributions, again.Attributions) || !reflect.DeepEqual(e.BaseValues, again.BaseValues) {
		t.Errorf("exact Shapley values differ between two calls:\n%v\n%v", e.Attributions, again.Attributions)
	}
}

// The typed arrays hold the same numbers, at the same indices, as the
// per-explanation messages of the same request.
func TestCompactSummaryMatchesExplanations(t *testing.T) {
	ctx := testContext(t)
	in, err := prism.Float32Rows([][]float32{versicolor, virginica})
	if err != nil {
		t.Fatal(err)
	}
	req := prism.NewRequest("iris", in, prism.PermutationSHAP(&prismpb.PermutationShapParams{Npermutations: 6}))
	req.Seed = 11
	req.Format = prismpb.ResponseFormat_FORMAT_PER_EXPLANATION
	e, err := client.Explain(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if req.Format != prismpb.ResponseFormat_FORMAT_PER_EXPLANATION {
		t.Errorf("Explain changed the caller's request format to %s", req.Format)
	}
	if e.StandardErrors == nil {
		t.Fatal("permutation SHAP came without standard errors")
	}
	perExplanation, err := client.ExplainService().Explain(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(perExplanation.GetExplanations()); n != 2*3 {
		t.Fatalf("%d explanations, want 6", n)
	}
	for _, x := range perExplanation.GetExplanations() {
		i, o := int(x.GetInstance()), e.OutputIndex(x.GetOutput())
		if o < 0 {
			t.Fatalf("output %q not in %v", x.GetOutput(), e.OutputNames)
		}
		if x.GetBaseValue() != e.BaseValues[i][o] || x.GetModelOutput() != e.ModelOutputs[i][o] {
			t.Errorf("instance %d output %d: base/output %v/%v vs %v/%v", i, o, x.GetBaseValue(), x.GetModelOutput(), e.BaseValues[i][o], e.ModelOutputs[i][o])
		}
		for f := range e.FeatureNames {
			if x.GetAttributions()[f] != e.Attributions[i][f][o] || x.GetStandardErrors()[f] != e.StandardErrors[i][f][o] {
				t.Errorf("instance %d feature %d output %d: %v±%v vs %v±%v", i, f, o,
					x.GetAttributions()[f], x.GetStandardErrors()[f], e.Attributions[i][f][o], e.StandardErrors[i][f][o])
			}
		}
	}
}

func TestRankedCarriesIndexAndStandardError(t *testing.T) {
	ctx := testContext(t)
	req := prism.NewRequest("iris", irisRows(t), prism.PermutationSHAP(&prismpb.PermutationShapParams{Npermutations: 6}))
	req.Seed = 3
	e, err := client.Explain(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if e.StandardErrors == nil {
		t.Fatal("permutation SHAP came without standard errors")
	}
	ranked := e.Ranked(2, 2)
	seen := map[int]bool{}
	for k, a := range ranked {
		seen[a.Index] = true
		if a.Feature != e.FeatureNames[a.Index] || a.Value != e.Attributions[2][a.Index][2] || a.StdError != e.StandardErrors[2][a.Index][2] {
			t.Errorf("ranked[%d] = %+v, but feature %d is %s, %v ± %v", k, a, a.Index, e.FeatureNames[a.Index],
				e.Attributions[2][a.Index][2], e.StandardErrors[2][a.Index][2])
		}
		if k > 0 && math.Abs(a.Value) > math.Abs(ranked[k-1].Value) {
			t.Errorf("ranked[%d] = %+v is larger than the one before", k, a)
		}
	}
	if len(seen) != 4 {
		t.Errorf("ranked %v does not hold each of the 4 features once", ranked)
	}
}

func TestStreamExplainReportsProgressThenResult(t *testing.T) {
	ctx := testContext(t)
	bg, err := client.Model(ctx, "breast_cancer")
	if err != nil {
		t.Fatal(err)
	}
	// About 1.7 million model rows: long enough for progress events while it runs.
	rows := make([][]float32, 8)
	for i := range rows {
		rows[i] = make([]float32, len(bg.GetFeatureNames()))
		for j := range rows[i] {
			rows[i][j] = float32(1 + (i+j)%5)
		}
	}
	in, err := prism.Float32Rows(rows)
	if err != nil {
		t.Fatal(err)
	}
	var events []*prismpb.Progress
	e, err := client.StreamExplain(ctx, prism.NewRequest("breast_cancer", in, prism.KernelSHAP(nil)), func(p prism.Progress) {
		events = append(events, p.Progress)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) < 2 {
		t.Fatalf("%d progress events, want some while the work runs and a last one", len(events))
	}
	if events[0].GetEvaluationsDone() >= events[0].GetEvaluationsTotal() {
		t.Errorf("first event already complete: %v", events[0])
	}
	for k := 1; k < len(events); k++ {
		if events[k].GetEvaluationsDone() < events[k-1].GetEvaluationsDone() {
			t.Errorf("evaluations went back from %d to %d", events[k-1].GetEvaluationsDone(), events[k].GetEvaluationsDone())
		}
	}
	last := events[len(events)-1]
	if last.GetEvaluationsDone() != last.GetEvaluationsTotal() || last.GetEvaluationsTotal() == 0 {
		t.Errorf("last progress %d of %d, want all done", last.GetEvaluationsDone(), last.GetEvaluationsTotal())
	}
	if f := (prism.Progress{Progress: last}).Fraction(); f != 1 {
		t.Errorf("last progress Fraction() = %v, want 1", f)
	}
	if f, want := (prism.Progress{Progress: events[0]}).Fraction(), float64(events[0].GetEvaluationsDone())/float64(events[0].GetEvaluationsTotal()); f != want || f >= 1 {
		t.Errorf("first progress Fraction() = %v, want %v (< 1)", f, want)
	}
	if e.Method != "kernel_shap" || e.Instances() != 8 || len(e.FeatureNames) != 30 {
		t.Fatalf("method %q, %d instances, %d features", e.Method, e.Instances(), len(e.FeatureNames))
	}
	for i := range 8 {
		for o := range e.OutputNames {
			sum := 0.0
			for f := range e.FeatureNames {
				sum += e.Attributions[i][f][o]
			}
			if gap := sum - (e.ModelOutputs[i][o] - e.BaseValues[i][o]); math.Abs(gap) > 1e-6 {
				t.Errorf("instance %d output %d: efficiency gap %v", i, o, gap)
			}
		}
	}
}

func TestInvalidArgumentNamesTheField(t *testing.T) {
	ctx := testContext(t)
	short, err := prism.Float32Rows([][]float32{{5.1, 3.5, 1.4}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		req    *prismpb.ExplainRequest
		reason prismpb.ErrorReason
		field  string
	}{
		{"three values for four features", prism.NewRequest("iris", short, prism.ExactShapley(nil)),
			prismpb.ErrorReason_INVALID_TENSOR, "inputs[0].shape[1]"},
		{"nsamples below its range", prism.NewRequest("iris", irisRows(t), prism.KernelSHAP(&prismpb.KernelShapParams{Nsamples: 1})),
			prismpb.ErrorReason_INVALID_PARAMS, "kernel_shap.nsamples"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := client.Explain(ctx, c.req)
			perr, ok := prism.AsError(err)
			if !ok {
				t.Fatalf("error %v is not a Prism error", err)
			}
			if perr.Code != codes.InvalidArgument || perr.Reason != c.reason {
				t.Fatalf("got %s / %s, want InvalidArgument / %s", perr.Code, perr.Reason, c.reason)
			}
			var fields []string
			for _, v := range perr.FieldViolations {
				fields = append(fields, v.Field)
				if v.Description == "" {
					t.Errorf("violation of %s has no description", v.Field)
				}
			}
			if !slices.Contains(fields, c.field) {
				t.Errorf("violations name %v, want %s", fields, c.field)
			}
			if perr.RetryDelay != 0 {
				t.Errorf("retry delay %v on an invalid request", perr.RetryDelay)
			}
		})
	}
}

func TestDeadlineExpires(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := client.Explain(ctx, longRequest(t))
	if perr, ok := prism.AsError(err); !ok || perr.Code != codes.DeadlineExceeded {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(%v): want context.DeadlineExceeded only", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("the call took %v past a 300 ms deadline", elapsed)
	}
}

func TestDefaultTimeoutBoundsCalls(t *testing.T) {
	dialCtx := testContext(t)
	c, err := prism.Dial(dialCtx, srv.Target, prism.WithInsecure(), prism.WithTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Model(context.Background(), "iris"); err != nil {
		t.Fatalf("a quick call within the default timeout: %v", err)
	}
	start := time.Now()
	_, err = c.StreamExplain(context.Background(), longRequest(t), nil)
	if status.Code(err) != codes.DeadlineExceeded || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded, also as context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("the call took %v past a 500 ms default timeout", elapsed)
	}
}

func TestAnExplainCancelledBeforeItIsSentIsContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, explainErr := client.Explain(ctx, prism.NewRequest("iris", irisRows(t), prism.ExactShapley(nil)))
	_, modelErr := client.Model(ctx, "iris")
	for _, err := range []error{explainErr, modelErr} {
		if status.Code(err) != codes.Canceled || !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want Canceled, also as context.Canceled", err)
		}
	}
}

// The server's own DEADLINE_EXCEEDED (a time budget that ends before any
// estimate) is not the caller's context expiring.
func TestTheServersDeadlineIsNotTheContexts(t *testing.T) {
	_, err := client.Explain(testContext(t), budgetJob(t, time.Nanosecond))
	perr, ok := prism.AsError(err)
	if !ok || perr.Code != codes.DeadlineExceeded || perr.Reason != prismpb.ErrorReason_DEADLINE_EXCEEDED {
		t.Fatalf("got %v, want DeadlineExceeded / DEADLINE_EXCEEDED from the server", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, context.DeadlineExceeded) with a context that has not expired", err)
	}
}

func TestCancelStopsTheServersWork(t *testing.T) {
	const cancelled = `prism_explanations_total{method="kernel_shap",model="digits",status="CANCELLED"}`
	const digitsRows = `prism_model_rows_total{graph="",model="digits"}`
	before := metric(t, srv, cancelled)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelledAt time.Time
	_, err := client.StreamExplain(ctx, longRequest(t), func(p prism.Progress) {
		if p.GetEvaluationsDone() > 0 && cancelledAt.IsZero() {
			cancelledAt = time.Now()
			cancel()
		}
	})
	if cancelledAt.IsZero() {
		t.Fatalf("the call ended before any work was reported: %v", err)
	}
	if elapsed := time.Since(cancelledAt); elapsed > 2*time.Second {
		t.Errorf("the call returned %v after cancellation", elapsed)
	}
	if perr, ok := prism.AsError(err); !ok || perr.Code != codes.Canceled {
		t.Fatalf("got %v, want Canceled", err)
	}
	if !errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v): want context.Canceled only", err)
	}

	// The server records the cancellation and stops evaluating the model.
	deadline := time.Now().Add(10 * time.Second)
	for metric(t, srv, cancelled) != before+1 {
		if time.Now().After(deadline) {
			t.Fatalf("%s is still %v, want %v", cancelled, metric(t, srv, cancelled), before+1)
		}
		time.Sleep(100 * time.Millisecond)
	}
	rows := metric(t, srv, digitsRows)
	time.Sleep(time.Second)
	if now := metric(t, srv, digitsRows); now != rows {
		t.Errorf("the digits model evaluated %v more rows after the call was cancelled", now-rows)
	}

	// And it keeps serving.
	e, err := client.Explain(testContext(t), prism.NewRequest("iris", irisRows(t), prism.ExactShapley(nil)))
	if err != nil || e.Instances() != 3 {
		t.Fatalf("after cancellation: %v", err)
	}
}

// A server running one explanation with one waiting refuses a third with
// RESOURCE_EXHAUSTED and a retry delay.
func TestFullServerAsksToRetry(t *testing.T) {
	busy, err := testserver.Start("--explain-threads", "1", "--explain-queue", "1", "--shutdown-grace-seconds", "1")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Stop()
	c, err := prism.Dial(testContext(t), busy.Target, prism.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	first, second := longRequest(t), longRequest(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	running := make(chan struct{})
	done := make(chan error, 2)
	go func() {
		var once bool
		_, err := c.StreamExplain(ctx, first, func(prism.Progress) {
			if !once {
				once = true
				close(running)
			}
		})
		done <- err
	}()
	select {
	case <-running:
	case err := <-done:
		t.Fatalf("the first call ended: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no progress from the first call")
	}
	go func() {
		_, err := c.StreamExplain(ctx, second, nil)
		done <- err
	}()
	const received = `grpc_server_requests_received_messages_total{method="StreamExplain",methodType="SERVER_STREAMING",service="prism.v1.ExplainService"}`
	for deadline := time.Now().Add(10 * time.Second); metric(t, busy, received) < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server never received the second call")
		}
	}
	time.Sleep(200 * time.Millisecond) // the second call goes from received to queued

	_, err = c.Explain(testContext(t), prism.NewRequest("iris", irisRows(t), prism.ExactShapley(nil)))
	perr, ok := prism.AsError(err)
	if !ok || perr.Code != codes.ResourceExhausted || perr.Reason != prismpb.ErrorReason_QUEUE_FULL {
		t.Fatalf("got %v, want ResourceExhausted / QUEUE_FULL", err)
	}
	if perr.RetryDelay != time.Second {
		t.Errorf("retry delay %v, want 1s", perr.RetryDelay)
	}
	cancel()
	for range 2 {
		if err := <-done; status.Code(err) != codes.Canceled {
			t.Errorf("a cancelled call ended with %v", err)
		}
	}
}

func TestDialNeedsTransportSecurity(t *testing.T) {
	_, err := prism.Dial(testContext(t), srv.Target)
	if err == nil || !strings.Contains(err.Error(), "transport security") {
		t.Fatalf("Dial without credentials: %v, want an error about transport security", err)
	}
}

// Without a deadline of its own, Dial gives up on a server that is down after
// DefaultConnectTimeout.
func TestDialToAClosedPortGivesUp(t *testing.T) {
	t.Parallel()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := listener.Addr().String()
	listener.Close()
	start := time.Now()
	c, err := prism.Dial(context.Background(), target, prism.WithInsecure())
	elapsed := time.Since(start)
	if err == nil {
		c.Close()
		t.Fatalf("Dial to the closed port %s succeeded", target)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "cannot connect to "+target) {
		t.Errorf("got %q, want a context.DeadlineExceeded that cannot connect to %s", err, target)
	}
	if elapsed < prism.DefaultConnectTimeout || elapsed > prism.DefaultConnectTimeout+5*time.Second {
		t.Errorf("Dial gave up after %v, want %v", elapsed, prism.DefaultConnectTimeout)
	}
}

func TestDialGivesUpWithTheContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	// A TLS handshake with the plaintext server never succeeds.
	_, err := prism.Dial(ctx, srv.Target, prism.WithTLS(nil))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's deadline", err)
	}
}

func TestExplainRejectsNilRequest(t *testing.T) {
	if _, err := client.Explain(testContext(t), nil); err == nil {
		t.Fatal("Explain(nil) succeeded")
	}
	if _, err := client.StreamExplain(testContext(t), nil, nil); err == nil {
		t.Fatal("StreamExplain(nil) succeeded")
	}
}

// Every method the server declares (across the bundled models, which together serve them all) has
// a constructor here, and each constructor sets the request field the server names it by: a method
// added to the server's table fails this until the client has it.
func TestEveryMethodTheServerDeclaresHasAConstructor(t *testing.T) {
	ctx := testContext(t)
	models, err := client.Models(ctx)
	if err != nil {
		t.Fatal(err)
	}
	details := map[string]*prismpb.MethodInfo{}
	for _, m := range models {
		for _, d := range m.GetMethodDetails() {
			details[d.GetName()] = d
		}
	}
	constructors := map[string]prism.Method{
		"auto":                 prism.Auto(),
		"kernel_shap":          prism.KernelSHAP(nil),
		"exact_shapley":        prism.ExactShapley(nil),
		"permutation_shap":     prism.PermutationSHAP(nil),
		"lime":                 prism.LIME(nil),
		"deep_lift":            prism.DeepLIFT(nil),
		"deep_lift_shap":       prism.DeepLIFTSHAP(nil),
		"integrated_gradients": prism.IntegratedGradients(nil),
		"gradient_x_input":     prism.GradientXInput(nil),
		"saliency":             prism.Saliency(nil),
		"tree_shap":            prism.TreeSHAP(nil),
	}
	oneof := (&prismpb.ExplainRequest{}).ProtoReflect().Descriptor().Oneofs().ByName("method")
	var declared []string
	for _, m := range details {
		declared = append(declared, m.GetName())
		set, ok := constructors[m.GetName()]
		if !ok {
			t.Errorf("the server declares %q; the client has no constructor for it", m.GetName())
			continue
		}
		r := &prismpb.ExplainRequest{}
		set(r)
		if got := r.ProtoReflect().WhichOneof(oneof); got == nil || string(got.Name()) != m.GetName() {
			t.Errorf("the constructor for %q sets %v", m.GetName(), got)
		}
	}
	if len(declared) != len(constructors) || oneof.Fields().Len() != len(constructors) {
		t.Errorf("server declares %v; the client has %d constructors; the oneof has %d cases",
			declared, len(constructors), oneof.Fields().Len())
	}
	if k := details["kernel_shap"]; !k.GetTimeBudget() || k.GetRunsOn() != prismpb.RunsOn_RUNS_ON_MODEL {
		t.Errorf("kernel_shap's details %v", k)
	}
	if ts := details["tree_shap"]; ts.GetRunsOn() != prismpb.RunsOn_RUNS_ON_TREES {
		t.Errorf("tree_shap's details %v", ts)
	}
}

// DeepLIFT through digits_cnn's final Softmax leaves part of f(x) - f(x') unexplained, and the
// server says so in Warnings; on the logits it adds up and there is no warning.
func TestDeepLIFTThroughASoftmaxCarriesAWarning(t *testing.T) {
	ctx := testContext(t)
	raw, err := os.ReadFile("../../models/digits_cnn/background.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	pixels := &prismpb.Tensor{Shape: []int64{4, 1, 8, 8}}
	for _, line := range lines[1:5] {
		for _, v := range strings.Split(line, ",") {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 32)
			if err != nil {
				t.Fatal(err)
			}
			pixels.FloatData = append(pixels.FloatData, float32(f))
		}
	}
	e, err := client.Explain(ctx, prism.NewRequest("digits_cnn", pixels, prism.DeepLIFT(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Warnings) != 1 || e.Warnings[0].GetCode() != "EFFICIENCY_GAP" ||
		!strings.Contains(e.Warnings[0].GetMessage(), "GRADIENT_TARGET_LOGITS") {
		t.Fatalf("warnings %v", e.Warnings)
	}
	logits, err := client.Explain(ctx, prism.NewRequest("digits_cnn", pixels,
		prism.DeepLIFT(&prismpb.DeepLiftParams{Target: prismpb.GradientTarget_GRADIENT_TARGET_LOGITS})))
	if err != nil {
		t.Fatal(err)
	}
	if len(logits.Warnings) != 0 {
		t.Fatalf("warnings on the logits %v", logits.Warnings)
	}
}

func TestTreeSHAPInteractionsAreAnArrayWhoseRowsSumToTheAttributions(t *testing.T) {
	ctx := testContext(t)
	e, err := client.Explain(ctx, prism.NewRequest("iris", irisRows(t), prism.TreeSHAP(&prismpb.TreeShapParams{
		FeaturePerturbation: prismpb.TreeShapParams_FEATURE_PERTURBATION_PATH_DEPENDENT,
		Interactions:        true,
	})))
	if err != nil {
		t.Fatal(err)
	}
	if e.Method != "tree_shap" || len(e.Interactions) != e.Instances() {
		t.Fatalf("method %q with %d interaction matrices for %d instances", e.Method, len(e.Interactions), e.Instances())
	}
	for i, matrix := range e.Interactions {
		for a, row := range matrix {
			for o := range e.OutputNames {
				sum := 0.0
				for b := range row {
					sum += row[b][o]
					if math.Abs(row[b][o]-matrix[b][a][o]) > 1e-12 {
						t.Errorf("instance %d output %d: pair (%d, %d) is %v, (%d, %d) is %v", i, o, a, b, row[b][o], b, a, matrix[b][a][o])
					}
				}
				if math.Abs(sum-e.Attributions[i][a][o]) > 1e-9 {
					t.Errorf("instance %d feature %d output %d: the row sums to %v, the attribution is %v", i, a, o, sum, e.Attributions[i][a][o])
				}
			}
		}
	}
	plain, err := client.Explain(ctx, prism.NewRequest("iris", irisRows(t), prism.TreeSHAP(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if plain.Interactions != nil {
		t.Errorf("interactions without asking: %v", plain.Interactions)
	}
}

func TestDialReplicasSpreadsCallsAndSkipsOneThatIsDown(t *testing.T) {
	// A port nothing listens on stands for a replica that is down.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	ctx := testContext(t)
	c, err := prism.DialReplicas(ctx, []string{deadAddr, srv.Target}, prism.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 6; i++ {
		if _, err := c.Model(ctx, "iris"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if _, err := prism.DialReplicas(ctx, nil, prism.WithInsecure()); err == nil {
		t.Error("no addresses: want an error")
	}
}

func TestADNSTargetBalancesOverWhatItResolvesTo(t *testing.T) {
	ctx := testContext(t)
	c, err := prism.Dial(ctx, "dns:///"+srv.Target, prism.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Model(ctx, "iris"); err != nil {
		t.Fatal(err)
	}
}
