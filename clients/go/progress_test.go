package prism_test

import (
	"bytes"
	"context"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	prism "prism.dev/prism/clients/go"
	"prism.dev/prism/clients/go/prismpb"
)

// A slow reader: onProgress takes slowRead per event for readFor, on a job
// that outlasts it. The server sends progress every 0.2 s, so handed over one
// by one the events would fall behind by about 0.7 s every second: more than
// 5 s by the end. Read in the background, each is the newest.
const (
	slowRead       = 700 * time.Millisecond
	readFor        = 9 * time.Second
	stalenessBound = 1.5 // seconds
)

const breastCancerCancelled = `prism_explanations_total{method="kernel_shap",model="breast_cancer",status="CANCELLED"}`

// breastCancerRequest explains n synthetic breast_cancer rows with kernel_shap
// at nsamples; 5 rows at 200000 take about 16 s on two cores.
func breastCancerRequest(t *testing.T, n int, nsamples int64) *prismpb.ExplainRequest {
	t.Helper()
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = make([]float32, 30)
		for j := range rows[i] {
			rows[i][j] = float32(1 + (i+j)%5)
		}
	}
	in, err := prism.Float32Rows(rows)
	if err != nil {
		t.Fatal(err)
	}
	return prism.NewRequest("breast_cancer", in, prism.KernelSHAP(&prismpb.KernelShapParams{Nsamples: nsamples}))
}

// recorder keeps a copy of every progress event as the client's reader
// receives it off the wire.
type recorder struct {
	mu       sync.Mutex
	progress []*prismpb.Progress
}

func (r *recorder) intercept(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
	streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	s, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		return nil, err
	}
	return &recordingStream{ClientStream: s, r: r}, nil
}

func (r *recorder) events() []*prismpb.Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.progress)
}

type recordingStream struct {
	grpc.ClientStream
	r *recorder
}

func (s *recordingStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if e, ok := m.(*prismpb.ExplainEvent); ok && err == nil && e.GetProgress() != nil {
		s.r.mu.Lock()
		s.r.progress = append(s.r.progress, proto.Clone(e.GetProgress()).(*prismpb.Progress))
		s.r.mu.Unlock()
	}
	return err
}

// recordingClient is a client of the test server that also records the raw
// progress events.
func recordingClient(t *testing.T) (*prism.Client, *recorder) {
	t.Helper()
	r := &recorder{}
	c, err := prism.Dial(testContext(t), srv.Target, prism.WithInsecure(),
		prism.WithDialOptions(grpc.WithStreamInterceptor(r.intercept)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, r
}

type estimateKey struct {
	instance int32
	output   string
}

// assertMerged checks that each delivered event is the merge of the raw
// events since the previous one: the counters of the newest, and of each
// (instance, output) the newest estimate in between. It returns the index of
// the raw event each delivered one ends with.
func assertMerged(t *testing.T, delivered, raw []*prismpb.Progress) []int {
	t.Helper()
	var ends []int
	previous := -1
	for k, p := range delivered {
		end := previous + 1
		for end < len(raw) && raw[end].GetElapsedSeconds() != p.GetElapsedSeconds() {
			end++
		}
		if end == len(raw) {
			t.Fatalf("delivered event %d (elapsed %v) matches no raw event after %d", k, p.GetElapsedSeconds(), previous)
		}
		if raw[end].GetEvaluationsDone() != p.GetEvaluationsDone() || raw[end].GetEvaluationsTotal() != p.GetEvaluationsTotal() {
			t.Errorf("delivered event %d: %d of %d, raw %d of %d", k, p.GetEvaluationsDone(), p.GetEvaluationsTotal(),
				raw[end].GetEvaluationsDone(), raw[end].GetEvaluationsTotal())
		}
		newest := map[estimateKey]*prismpb.Estimate{}
		for _, event := range raw[previous+1 : end+1] {
			for _, e := range event.GetEstimates() {
				newest[estimateKey{e.GetInstance(), e.GetOutput()}] = e
			}
		}
		if len(p.GetEstimates()) != len(newest) {
			t.Errorf("delivered event %d has %d estimates, the raw events since the previous one %d",
				k, len(p.GetEstimates()), len(newest))
		}
		for _, e := range p.GetEstimates() {
			if want := newest[estimateKey{e.GetInstance(), e.GetOutput()}]; !proto.Equal(e, want) {
				t.Errorf("delivered event %d: estimate of instance %d output %s is not the newest since the previous one",
					k, e.GetInstance(), e.GetOutput())
			}
		}
		ends = append(ends, end)
		previous = end
	}
	return ends
}

func estimateKeys(events []*prismpb.Progress) map[estimateKey]bool {
	keys := map[estimateKey]bool{}
	for _, p := range events {
		for _, e := range p.GetEstimates() {
			keys[estimateKey{e.GetInstance(), e.GetOutput()}] = true
		}
	}
	return keys
}

// progressReaders counts the goroutines reading a StreamExplain stream.
func progressReaders(t *testing.T) int {
	t.Helper()
	var dump bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&dump, 2); err != nil {
		t.Fatal(err)
	}
	return strings.Count(dump.String(), "(*latestProgress).read(")
}

func waitForNoReaders(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); progressReaders(t) != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d stream readers still running", progressReaders(t))
		}
	}
}

func TestSlowReaderGetsTheLatestProgress(t *testing.T) {
	c, rec := recordingClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var delivered []*prismpb.Progress
	var staleness []float64
	readers := 0
	start := time.Now()
	_, err := c.StreamExplain(ctx, breastCancerRequest(t, 5, 200000), func(p prism.Progress) {
		now := time.Since(start)
		delivered = append(delivered, p.Progress)
		staleness = append(staleness, now.Seconds()-p.GetElapsedSeconds())
		if readers == 0 {
			readers = progressReaders(t)
		}
		if now > readFor {
			cancel()
			return
		}
		time.Sleep(slowRead)
	})
	if status.Code(err) != codes.Canceled {
		t.Fatalf("got %v, want the job cancelled after the reading (it outlasts it)", err)
	}
	if readers != 1 {
		t.Errorf("%d stream readers while the call ran, want 1", readers)
	}
	waitForNoReaders(t)

	if worst := slices.Max(staleness); worst >= stalenessBound {
		t.Errorf("progress up to %.2f s stale, want under %v s: %.2f", worst, stalenessBound, staleness)
	}
	for k := 1; k < len(delivered); k++ {
		before, after := delivered[k-1], delivered[k]
		if before.GetElapsedSeconds() >= after.GetElapsedSeconds() ||
			before.GetEvaluationsDone() > after.GetEvaluationsDone() ||
			before.GetEvaluationsTotal() > after.GetEvaluationsTotal() {
			t.Errorf("progress went back from %v to %v", before, after)
		}
	}
	raw := rec.events()
	ends := assertMerged(t, delivered, raw)
	// The stream ran well ahead of the reader, so the events did merge several each.
	if len(raw) < 2*len(delivered) {
		t.Errorf("%d raw events for %d delivered, want the stream well ahead of the reader", len(raw), len(delivered))
	}
	seen := estimateKeys(raw[:ends[len(ends)-1]+1])
	if len(seen) == 0 {
		t.Fatal("no running estimates in the stream")
	}
	if got := estimateKeys(delivered); len(got) != len(seen) {
		t.Errorf("estimates of %d (instance, output) pairs delivered, %d in the stream", len(got), len(seen))
	}
}

func TestSlowReaderGetsTheLastProgressThenTheResult(t *testing.T) {
	c, rec := recordingClient(t)
	var delivered []*prismpb.Progress
	e, err := c.StreamExplain(testContext(t), breastCancerRequest(t, 10, 4000), func(p prism.Progress) {
		delivered = append(delivered, p.Progress)
		time.Sleep(500 * time.Millisecond)
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.Instances() != 10 || len(e.OutputNames) != 2 {
		t.Fatalf("%d instances, outputs %v", e.Instances(), e.OutputNames)
	}
	raw := rec.events()
	ends := assertMerged(t, delivered, raw)
	if len(ends) == 0 || ends[len(ends)-1] != len(raw)-1 {
		t.Errorf("the last of %d raw events was not delivered (delivered up to %v)", len(raw), ends)
	}
	last := delivered[len(delivered)-1]
	if last.GetEvaluationsDone() != last.GetEvaluationsTotal() {
		t.Errorf("last progress %d of %d, want all done", last.GetEvaluationsDone(), last.GetEvaluationsTotal())
	}
	if got := len(estimateKeys(delivered)); got != 20 {
		t.Errorf("estimates of %d (instance, output) pairs delivered, want all 20", got)
	}
	waitForNoReaders(t)
}

func TestPanickingOnProgressCancelsTheCall(t *testing.T) {
	before := metric(t, srv, breastCancerCancelled)
	func() {
		defer func() {
			if r := recover(); r != "stop" {
				t.Fatalf("recovered %v, want the callback's panic", r)
			}
		}()
		_, err := client.StreamExplain(testContext(t), breastCancerRequest(t, 5, 200000), func(prism.Progress) {
			panic("stop")
		})
		t.Fatalf("StreamExplain returned %v", err)
	}()
	for deadline := time.Now().Add(10 * time.Second); metric(t, srv, breastCancerCancelled) != before+1; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s is %v, want %v", breastCancerCancelled, metric(t, srv, breastCancerCancelled), before+1)
		}
	}
	waitForNoReaders(t)
}
