package prism_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	prism "prism.dev/prism/clients/go"
	"prism.dev/prism/clients/go/prismpb"
)

// fakeReplica is an in-process ExplainService whose answers the test chooses.
type fakeReplica struct {
	prismpb.UnimplementedExplainServiceServer
	addr   string
	server *grpc.Server
	calls  atomic.Int64
	answer func(context.Context, *prismpb.ExplainRequest) (*prismpb.ExplainResponse, error)
}

func startFake(t *testing.T, answer func(context.Context, *prismpb.ExplainRequest) (*prismpb.ExplainResponse, error)) *fakeReplica {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeReplica{addr: listener.Addr().String(), server: grpc.NewServer(), answer: answer}
	prismpb.RegisterExplainServiceServer(f.server, f)
	go f.server.Serve(listener)
	t.Cleanup(f.server.Stop)
	return f
}

func (f *fakeReplica) Explain(ctx context.Context, req *prismpb.ExplainRequest) (*prismpb.ExplainResponse, error) {
	f.calls.Add(1)
	return f.answer(ctx, req)
}

// fakeAnswer explains a request the way a server would shape it: one feature
// per value of an instance (every input's values, in order), one output "y",
// attribution (f + 1) * x_f - 1, base value 0.5, model output base + sum, and
// the mean |attribution| added up in instance order. Each answer takes 0.5 s
// of "server time". It refuses a request that lost its seed or format.
func fakeAnswer(_ context.Context, req *prismpb.ExplainRequest) (*prismpb.ExplainResponse, error) {
	if req.GetSeed() != 7 || req.GetFormat() != prismpb.ResponseFormat_FORMAT_COMPACT || req.GetModel() != "fake" {
		return nil, status.Errorf(codes.InvalidArgument, "the chunk lost a field: %v", req)
	}
	n := int(req.GetInputs()[0].GetShape()[0])
	rows := make([][]float64, n)
	for _, t := range req.GetInputs() {
		values, err := prism.Float64Values(t)
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		width := len(values) / n
		for i := range rows {
			rows[i] = append(rows[i], values[i*width:(i+1)*width]...)
		}
	}
	features := len(rows[0])
	var phi, base, out []float64
	meanAbs := make([]float64, features)
	names := make([]string, features)
	for f := range names {
		names[f] = fmt.Sprintf("x%d", f)
	}
	for _, row := range rows {
		sum := 0.0
		for f, x := range row {
			a := float64(f+1)*x - 1
			phi = append(phi, a)
			meanAbs[f] += math.Abs(a) / float64(n)
			sum += a
		}
		base = append(base, 0.5)
		out = append(out, 0.5+sum)
	}
	double := func(name string, shape []int64, values []float64) *prismpb.Tensor {
		return &prismpb.Tensor{Name: name, Dtype: prismpb.DataType_DATA_TYPE_FLOAT64, Shape: shape, DoubleData: values}
	}
	return &prismpb.ExplainResponse{
		Model: "fake", Method: "exact_shapley", FeatureNames: names, ElapsedSeconds: 0.5,
		Summary: &prismpb.Summary{
			Outputs: []string{"y"}, Instances: int32(n),
			MeanAbsAttributions: double("mean_abs_attributions", []int64{int64(features), 1}, meanAbs),
			Attributions:        double("attributions", []int64{int64(n), int64(features), 1}, phi),
			BaseValues:          double("base_values", []int64{int64(n), 1}, base),
			ModelOutputs:        double("model_outputs", []int64{int64(n), 1}, out),
		},
	}, nil
}

// fakeRequest has n instances in three inputs: float_data [n, 2] whose first
// value is the instance's index, raw FLOAT64 [n, 1, 2], and int64_data [n, 1].
func fakeRequest(n int) *prismpb.ExplainRequest {
	floats := &prismpb.Tensor{Name: "a", Dtype: prismpb.DataType_DATA_TYPE_FLOAT32, Shape: []int64{int64(n), 2}}
	raw := &prismpb.Tensor{Name: "b", Dtype: prismpb.DataType_DATA_TYPE_FLOAT64, Shape: []int64{int64(n), 1, 2}}
	ints := &prismpb.Tensor{Name: "c", Shape: []int64{int64(n), 1}}
	for i := range n {
		floats.FloatData = append(floats.FloatData, float32(i), float32(i%3)/4)
		raw.RawData = binary.LittleEndian.AppendUint64(raw.RawData, math.Float64bits(float64(i)/8))
		raw.RawData = binary.LittleEndian.AppendUint64(raw.RawData, math.Float64bits(-float64(i%5)))
		ints.Int64Data = append(ints.Int64Data, int64(100+i))
	}
	req := prism.NewRequest("fake", floats, prism.ExactShapley(nil))
	req.Inputs = append(req.Inputs, raw, ints)
	req.Seed = 7
	return req
}

// firstInstance reads the instance index fakeRequest put first in a chunk's row.
func firstInstance(req *prismpb.ExplainRequest) int {
	return int(req.GetInputs()[0].GetFloatData()[0])
}

func dialFakes(t *testing.T, fakes ...*fakeReplica) *prism.Client {
	t.Helper()
	var addrs []string
	for _, f := range fakes {
		addrs = append(addrs, f.addr)
	}
	c, err := prism.DialReplicas(testContext(t), addrs, prism.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// connectEvery makes plain calls until every fake has answered one, so that
// round_robin has every replica ready before a job starts; then resets the
// counts.
func connectEvery(t *testing.T, c *prism.Client, fakes ...*fakeReplica) {
	t.Helper()
	ctx := testContext(t)
	for calls := 0; slices.ContainsFunc(fakes, func(f *fakeReplica) bool { return f.calls.Load() == 0 }); calls++ {
		if calls == 100 {
			t.Fatal("round_robin did not reach every replica in 100 calls")
		}
		if _, err := c.ExplainService().Explain(ctx, fakeRequest(1)); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range fakes {
		f.calls.Store(0)
	}
}

func TestAChunkedJobEqualsOneAnswer(t *testing.T) {
	a, b := startFake(t, fakeAnswer), startFake(t, fakeAnswer)
	c := dialFakes(t, a, b)
	connectEvery(t, c, a, b)
	req := fakeRequest(23)
	whole, err := fakeAnswer(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var chunks []prism.Chunk
	e, err := c.ExplainChunked(testContext(t), req, prism.ChunkOptions{ChunkRows: 5, Concurrency: 2,
		OnChunk: func(ch prism.Chunk) { chunks = append(chunks, ch) }})
	if err != nil {
		t.Fatal(err)
	}
	if e.ElapsedSeconds != 2.5 {
		t.Errorf("elapsed %v, want the sum of 5 chunks' 0.5 s", e.ElapsedSeconds)
	}
	got := proto.Clone(e.Response).(*prismpb.ExplainResponse)
	got.ElapsedSeconds = whole.GetElapsedSeconds()
	if !proto.Equal(got, whole) {
		t.Errorf("merged answer\n%v\nwant\n%v", got, whole)
	}
	// Instance 22's values are 22, 0.25 | 2.75, -2 | 122: attributions (f + 1) x_f - 1.
	if want := []float64{21, -0.5, 7.25, -9, 609}; e.Instances() != 23 || !slices.Equal(column(e.Attributions[22]), want) {
		t.Errorf("instance 22's attributions %v, want %v", e.Attributions[22], want)
	}
	seen := make([]int, 23)
	done := 0
	for _, ch := range chunks {
		for i := ch.Start; i < ch.Stop; i++ {
			seen[i]++
		}
		done += ch.Stop - ch.Start
		if ch.Done != done || ch.Total != 23 || (ch.Replica != a.addr && ch.Replica != b.addr) {
			t.Errorf("chunk %+v: want done %d of 23 from %s or %s", ch, done, a.addr, b.addr)
		}
	}
	if len(chunks) != 5 || slices.ContainsFunc(seen, func(n int) bool { return n != 1 }) {
		t.Errorf("%d chunks answered instances %v times, want 5 chunks answering each once", len(chunks), seen)
	}
	if a.calls.Load()+b.calls.Load() != 5 || a.calls.Load() == 0 || b.calls.Load() == 0 {
		t.Errorf("calls: %d and %d, want 5 shared by both", a.calls.Load(), b.calls.Load())
	}
}

// column is the first output's attributions of one instance.
func column(features [][]float64) []float64 {
	var out []float64
	for _, f := range features {
		out = append(out, f[0])
	}
	return out
}

// unavailable is a refusal with a RetryInfo delay.
func unavailable(delay time.Duration) error {
	st, err := status.New(codes.Unavailable, "shutting down").WithDetails(
		&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)})
	if err != nil {
		panic(err)
	}
	return st.Err()
}

func TestAChunkRefusedAsUnavailableGoesToAnotherReplicaAfterTheRetryDelay(t *testing.T) {
	const retryDelay = 700 * time.Millisecond
	a := startFake(t, fakeAnswer)
	var (
		draining atomic.Bool
		drain    sync.Once
		b        *fakeReplica
	)
	b = startFake(t, func(ctx context.Context, req *prismpb.ExplainRequest) (*prismpb.ExplainResponse, error) {
		if !draining.Load() {
			return fakeAnswer(ctx, req)
		}
		// A replica that drains refuses new work and closes its connections once its calls are answered.
		drain.Do(func() { go b.server.GracefulStop() })
		return nil, unavailable(retryDelay)
	})
	c := dialFakes(t, a, b)
	connectEvery(t, c, a, b)
	draining.Store(true)

	req := fakeRequest(12)
	var replicas []string
	started := time.Now()
	e, err := c.ExplainChunked(testContext(t), req, prism.ChunkOptions{ChunkRows: 3, Concurrency: 2,
		OnChunk: func(ch prism.Chunk) { replicas = append(replicas, ch.Replica) }})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(started); took < retryDelay {
		t.Errorf("the job took %v: the refused chunk did not wait the RetryInfo delay %v", took, retryDelay)
	}
	if b.calls.Load() == 0 {
		t.Fatal("the draining replica got no call: the test tests nothing")
	}
	if want := slices.Repeat([]string{a.addr}, 4); !slices.Equal(replicas, want) {
		t.Errorf("chunks answered by %v, want all 4 by %s", replicas, a.addr)
	}
	whole, _ := fakeAnswer(context.Background(), req)
	if !slices.Equal(e.Response.GetSummary().GetAttributions().GetDoubleData(), whole.GetSummary().GetAttributions().GetDoubleData()) {
		t.Errorf("attributions %v, want %v", e.Response.GetSummary().GetAttributions(), whole.GetSummary().GetAttributions())
	}
}

func TestAChunkFailsTheJobAfterChunkAttemptsRefusals(t *testing.T) {
	down := startFake(t, func(context.Context, *prismpb.ExplainRequest) (*prismpb.ExplainResponse, error) {
		return nil, unavailable(10 * time.Millisecond)
	})
	c := dialFakes(t, down)
	_, err := c.ExplainChunked(testContext(t), fakeRequest(4), prism.ChunkOptions{ChunkRows: 4})
	if perr, ok := prism.AsError(err); !ok || perr.Code != codes.Unavailable || perr.RetryDelay != 10*time.Millisecond {
		t.Fatalf("error %v, want the replica's UNAVAILABLE", err)
	}
	if n := down.calls.Load(); n != prism.ChunkAttempts {
		t.Errorf("%d calls, want %d", n, prism.ChunkAttempts)
	}
}

// blockingFake answers the chunk starting at instance 0 with answer0 once
// the other chunks' calls are in flight; those block until their context
// ends, then send their first instance on cancelled when that was before
// their deadline: the client cancelled them.
func blockingFake(t *testing.T, others int, answer0 func(context.Context, *prismpb.ExplainRequest) (*prismpb.ExplainResponse, error)) (*fakeReplica, chan int) {
	inFlight := make(chan struct{}, others)
	cancelled := make(chan int, others)
	f := startFake(t, func(ctx context.Context, req *prismpb.ExplainRequest) (*prismpb.ExplainResponse, error) {
		if first := firstInstance(req); first != 0 {
			inFlight <- struct{}{}
			<-ctx.Done()
			if deadline, ok := ctx.Deadline(); !ok || time.Now().Before(deadline) {
				cancelled <- first
			}
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		for range others {
			select {
			case <-inFlight:
			case <-ctx.Done():
				return nil, status.FromContextError(ctx.Err()).Err()
			}
		}
		return answer0(ctx, req)
	})
	return f, cancelled
}

// cancelledCalls is the first instances of the calls that the client
// cancelled, waiting up to 30 s for n of them.
func cancelledCalls(t *testing.T, cancelled chan int, n int) []int {
	t.Helper()
	var firsts []int
	for range n {
		select {
		case first := <-cancelled:
			firsts = append(firsts, first)
		case <-time.After(30 * time.Second):
			t.Fatalf("only the calls of instances %v were cancelled, want %d", firsts, n)
		}
	}
	slices.Sort(firsts)
	return firsts
}

func TestAnotherErrorFailsTheJobAndCancelsTheOtherChunks(t *testing.T) {
	f, cancelled := blockingFake(t, 3, func(context.Context, *prismpb.ExplainRequest) (*prismpb.ExplainResponse, error) {
		return nil, status.Error(codes.InvalidArgument, "nsamples must be positive")
	})
	c := dialFakes(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.ExplainChunked(ctx, fakeRequest(6), prism.ChunkOptions{ChunkRows: 1, Concurrency: 4})
	if perr, ok := prism.AsError(err); !ok || perr.Code != codes.InvalidArgument || perr.Message != "nsamples must be positive" {
		t.Fatalf("error %v, want the INVALID_ARGUMENT", err)
	}
	if got := cancelledCalls(t, cancelled, 3); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("cancelled calls of instances %v, want 1, 2 and 3", got)
	}
	if n := f.calls.Load(); n != 4 {
		t.Errorf("%d calls, want 4: none after the error", n)
	}
}

func TestCancellingAChunkedJobCancelsItsCalls(t *testing.T) {
	f, cancelled := blockingFake(t, 1, fakeAnswer)
	c := dialFakes(t, f)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	_, err := c.ExplainChunked(ctx, fakeRequest(8), prism.ChunkOptions{ChunkRows: 2, Concurrency: 2,
		OnChunk: func(prism.Chunk) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want one that is context.Canceled", err)
	}
	if got := cancelledCalls(t, cancelled, 1); !slices.Equal(got, []int{2}) {
		t.Errorf("cancelled calls of instances %v, want 2", got)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("%d calls, want 2: none after the cancellation", n)
	}
}

func TestAChunkedJobRefusesWhatItCannotCutBeforeSending(t *testing.T) {
	f := startFake(t, fakeAnswer)
	c := dialFakes(t, f)
	ctx := testContext(t)
	shortB := fakeRequest(3)
	shortB.Inputs[1].Shape[0] = 2
	shortB.Inputs[1].RawData = shortB.Inputs[1].RawData[:32]
	noDtype := fakeRequest(3)
	noDtype.Inputs[1].Dtype = prismpb.DataType_DATA_TYPE_UNSPECIFIED
	ragged := fakeRequest(3)
	ragged.Inputs[0].FloatData = ragged.Inputs[0].FloatData[:5]
	zeroDim := fakeRequest(3)
	zeroDim.Inputs[1].Shape[1] = 0
	noInputs := fakeRequest(3)
	noInputs.Inputs = nil
	for _, c2 := range []struct {
		name string
		req  *prismpb.ExplainRequest
		opts prism.ChunkOptions
		want string
	}{
		{"inputs of different instance counts", shortB, prism.ChunkOptions{}, `input "b" has 2 instances, the first input has 3`},
		{"raw_data without a dtype", noDtype, prism.ChunkOptions{}, `input "b" has raw_data without a dtype`},
		{"values that are not whole rows", ragged, prism.ChunkOptions{}, `input "a" has 5 values for shape [3 2]`},
		{"a dimension of 0", zeroDim, prism.ChunkOptions{}, "every dimension must be at least 1"},
		{"no inputs", noInputs, prism.ChunkOptions{}, "the request has no inputs"},
		{"a negative chunk size", fakeRequest(3), prism.ChunkOptions{ChunkRows: -1}, "must not be negative"},
		{"a negative concurrency", fakeRequest(3), prism.ChunkOptions{Concurrency: -2}, "must not be negative"},
		{"no request", nil, prism.ChunkOptions{}, "nil ExplainRequest"},
	} {
		if _, err := c.ExplainChunked(ctx, c2.req, c2.opts); err == nil || !strings.Contains(err.Error(), c2.want) {
			t.Errorf("%s: error %v, want one saying %q", c2.name, err, c2.want)
		}
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("%d calls were sent", n)
	}
}
