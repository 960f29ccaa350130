package prism_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	prism "prism.dev/prism/clients/go"
	"prism.dev/prism/clients/go/prismpb"
)

// budgetJob is one digit on a background of 2000 distinct rows at 200000
// coalitions: 400 million model rows, more than a minute on two cores and
// several seconds on many, while its first estimate (two of its 512 draw
// groups) needs about 1.6 million.
func budgetJob(t *testing.T, budget time.Duration) *prismpb.ExplainRequest {
	t.Helper()
	instance := make([]float32, 64)
	for j := range instance {
		instance[j] = float32((j*3 + 5) % 17)
	}
	background := make([][]float32, 2000)
	for i := range background {
		background[i] = make([]float32, 64)
		for j := range background[i] {
			background[i][j] = float32((i*13+j*7)%17) + float32(i%5)/5
		}
	}
	in, err := prism.RawFloat32Rows([][]float32{instance}, 1, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	bg, err := prism.RawFloat32Rows(background, 1, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	req := prism.NewRequest("digits", in, prism.KernelSHAP(&prismpb.KernelShapParams{Nsamples: 200000}),
		prism.TimeBudget(budget))
	req.Background = bg
	req.Seed = 5
	return req
}

// efficient fails the test unless every explanation's attributions sum to
// its model output minus its base value.
func efficient(t *testing.T, e *prism.Explanation) {
	t.Helper()
	for i := range e.Instances() {
		for o := range e.OutputNames {
			sum := 0.0
			for f := range e.FeatureNames {
				sum += e.Attributions[i][f][o]
			}
			if gap := sum - (e.ModelOutputs[i][o] - e.BaseValues[i][o]); math.Abs(gap) > 1e-9 {
				t.Errorf("instance %d output %d: efficiency gap %v", i, o, gap)
			}
		}
	}
}

// firstAnswer sends budgetJob with budgets of 1, 2, 4, 8 and 16 s until one is
// answered: a busy or cold server may not reach a first estimate within the
// smaller ones, and says so with DEADLINE_EXCEEDED.
func firstAnswer(t *testing.T) *prism.Explanation {
	t.Helper()
	for budget := time.Second; budget <= 16*time.Second; budget *= 2 {
		req := budgetJob(t, budget)
		if got := req.GetTimeBudget().AsDuration(); got != budget {
			t.Fatalf("request time_budget %v, want %v", got, budget)
		}
		e, err := client.Explain(testContext(t), req)
		if perr, ok := prism.AsError(err); ok && perr.Code == codes.DeadlineExceeded && perr.Reason == prismpb.ErrorReason_DEADLINE_EXCEEDED {
			t.Logf("no estimate within %v", budget)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	t.Fatal("no estimate within 16 s")
	return nil
}

func TestTimeBudgetAnswersPartially(t *testing.T) {
	e := firstAnswer(t)
	if !e.Partial || !e.Response.GetPartial() {
		t.Fatalf("Partial %v (response %v): the budget should run out long before 400 million rows",
			e.Partial, e.Response.GetPartial())
	}
	if e.Instances() != 1 || len(e.FeatureNames) != 64 || len(e.OutputNames) != 10 || e.StandardErrors == nil {
		t.Fatalf("%d instances, %d features, %d outputs, standard errors %v",
			e.Instances(), len(e.FeatureNames), len(e.OutputNames), e.StandardErrors != nil)
	}
	positive := 0
	for f := range e.FeatureNames {
		for o := range e.OutputNames {
			v, se := e.Attributions[0][f][o], e.StandardErrors[0][f][o]
			if math.IsNaN(v) || math.IsInf(v, 0) || math.IsNaN(se) || math.IsInf(se, 0) || se < 0 {
				t.Fatalf("feature %d output %d: %v ± %v", f, o, v, se)
			}
			if se > 0 {
				positive++
			}
		}
	}
	if positive == 0 {
		t.Error("every standard error is 0: these are exact values, not an estimate stopped early")
	}
	efficient(t, e)
}

func TestAGenerousTimeBudgetAnswersInFull(t *testing.T) {
	ctx := testContext(t)
	bc, err := client.Model(ctx, "breast_cancer")
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, len(bc.GetFeatureNames()))
	for j := range row {
		row[j] = float32(1 + j%5)
	}
	in, err := prism.Float32Rows([][]float32{row})
	if err != nil {
		t.Fatal(err)
	}
	req := prism.NewRequest("breast_cancer", in, prism.KernelSHAP(&prismpb.KernelShapParams{Nsamples: 512}),
		prism.TimeBudget(10*time.Minute))
	e, err := client.StreamExplain(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.Partial {
		t.Fatal("Partial with a budget of 10 minutes for 51,201 model rows")
	}
	efficient(t, e)

	// Every coalition of the sample budget was evaluated.
	req.Format = prismpb.ResponseFormat_FORMAT_PER_EXPLANATION
	resp, err := client.ExplainService().Explain(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetPartial() {
		t.Fatal("the per-explanation response is partial")
	}
	for _, x := range resp.GetExplanations() {
		if d := x.GetDiagnostics(); d.GetCoalitions() != 512 || d.GetModelEvaluations() != 512*100+1 {
			t.Errorf("%s: %d coalitions, %d model rows, want 512 and 51201", x.GetOutput(), d.GetCoalitions(), d.GetModelEvaluations())
		}
	}
}

func TestAMethodWithoutAnAnytimeAnswerRefusesATimeBudget(t *testing.T) {
	req := prism.NewRequest("iris", irisRows(t), prism.ExactShapley(nil), prism.TimeBudget(500*time.Millisecond))
	_, err := client.StreamExplain(testContext(t), req, nil)
	perr, ok := prism.AsError(err)
	if !ok || perr.Code != codes.InvalidArgument || perr.Reason != prismpb.ErrorReason_INVALID_PARAMS {
		t.Fatalf("got %v, want InvalidArgument / INVALID_PARAMS", err)
	}
	var fields []string
	for _, v := range perr.FieldViolations {
		fields = append(fields, v.Field)
	}
	if !slices.Equal(fields, []string{"time_budget"}) {
		t.Errorf("violations name %v, want [time_budget]", fields)
	}
}

func TestANonPositiveTimeBudgetIsRefusedBeforeSending(t *testing.T) {
	series := func(method, kind string) string {
		return `grpc_server_requests_received_messages_total{method="` + method + `",methodType="` + kind +
			`",service="prism.v1.ExplainService"}`
	}
	unary, stream := series("Explain", "UNARY"), series("StreamExplain", "SERVER_STREAMING")
	// One call of each kind that the server receives, so that both series exist.
	ok := prism.NewRequest("iris", irisRows(t), prism.ExactShapley(nil))
	if _, err := client.Explain(testContext(t), ok); err != nil {
		t.Fatal(err)
	}
	if _, err := client.StreamExplain(testContext(t), ok, nil); err != nil {
		t.Fatal(err)
	}
	unaryBefore, streamBefore := metric(t, srv, unary), metric(t, srv, stream)
	if unaryBefore == 0 || streamBefore == 0 {
		t.Fatalf("no received calls counted: %v, %v", unaryBefore, streamBefore)
	}

	kernel := prism.KernelSHAP(nil)
	malformed := prism.NewRequest("iris", irisRows(t), kernel)
	malformed.TimeBudget = &durationpb.Duration{Seconds: 1, Nanos: -1}
	cases := []struct {
		name string
		req  *prismpb.ExplainRequest
		// want is the whole message, or its start when it ends in ": ".
		want string
	}{
		{"zero", prism.NewRequest("iris", irisRows(t), kernel, prism.TimeBudget(0)), "prism: time_budget must be positive, got 0s"},
		{"negative", prism.NewRequest("iris", irisRows(t), kernel, prism.TimeBudget(-1500*time.Millisecond)),
			"prism: time_budget must be positive, got -1.5s"},
		{"seconds and nanos of different signs", malformed, "prism: time_budget: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, unaryErr := client.Explain(testContext(t), c.req)
			_, streamErr := client.StreamExplain(testContext(t), c.req, nil)
			for _, err := range []error{unaryErr, streamErr} {
				if err == nil {
					t.Fatal("the request was answered")
				}
				if perr, ok := prism.AsError(err); ok {
					t.Fatalf("the server answered %v", perr)
				}
				if got := err.Error(); got != c.want && !(strings.HasSuffix(c.want, ": ") && strings.HasPrefix(got, c.want)) {
					t.Errorf("error %q, want %q", got, c.want)
				}
			}
		})
	}
	if got := metric(t, srv, unary) - unaryBefore; got != 0 {
		t.Errorf("the server received %v Explain calls with a refused budget", got)
	}
	if got := metric(t, srv, stream) - streamBefore; got != 0 {
		t.Errorf("the server received %v StreamExplain calls with a refused budget", got)
	}
}
