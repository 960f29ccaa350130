package prism_test

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/stats"
	"google.golang.org/protobuf/proto"

	prism "prism.dev/prism/clients/go"
	"prism.dev/prism/clients/go/internal/testserver"
	"prism.dev/prism/clients/go/prismpb"
)

// fleetRows is n flowers: the three training flowers in turn, each value
// moved by up to ±0.3, the same every run.
func fleetRows(t *testing.T, n int) *prismpb.Tensor {
	t.Helper()
	rng := rand.New(rand.NewPCG(15, 3000))
	flowers := [][]float32{setosa, versicolor, virginica}
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = slices.Clone(flowers[i%3])
		for j := range rows[i] {
			rows[i][j] += float32(rng.Float64()*0.6 - 0.3)
		}
	}
	in, err := prism.RawFloat32Rows(rows)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// startFleet starts n Prism processes at once, stopped when the test ends.
func startFleet(t *testing.T, n int) []*testserver.Server {
	t.Helper()
	fleet := make([]*testserver.Server, n)
	errs := make([]error, n)
	var started sync.WaitGroup
	for i := range fleet {
		started.Go(func() { fleet[i], errs[i] = testserver.Start() })
	}
	started.Wait()
	for i, s := range fleet {
		if s != nil {
			t.Cleanup(s.Stop)
		}
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	return fleet
}

func explainRequests(t *testing.T, s *testserver.Server) int {
	t.Helper()
	n, err := s.ExplainRequests()
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// sameAnswer fails the test unless got is want but for the elapsed time: a
// chunked job's is the sum of its chunks'.
func sameAnswer(t *testing.T, got, want *prism.Explanation) {
	t.Helper()
	g := proto.Clone(got.Response).(*prismpb.ExplainResponse)
	g.ElapsedSeconds = want.ElapsedSeconds
	if !proto.Equal(g, want.Response) {
		t.Errorf("the chunked job's answer differs from one server's: %d and %d instances, partial %v and %v, warnings %v and %v",
			got.Instances(), want.Instances(), got.Partial, want.Partial, got.Warnings, want.Warnings)
	}
	if got.ElapsedSeconds <= 0 {
		t.Errorf("elapsed %v", got.ElapsedSeconds)
	}
}

// killAsACallStarts counts the calls started on each replica and, once
// armed, kills the victim as a call starts on it, so that call certainly
// meets a dead server.
type killAsACallStarts struct {
	victim *testserver.Server
	armed  atomic.Bool
	kill   sync.Once
	mu     sync.Mutex
	// started counts calls by the replica's address.
	started map[string]int
}

func (k *killAsACallStarts) HandleRPC(_ context.Context, s stats.RPCStats) {
	h, ok := s.(*stats.OutHeader)
	if !ok || !h.Client {
		return
	}
	replica := h.RemoteAddr.String()
	k.mu.Lock()
	k.started[replica]++
	k.mu.Unlock()
	if replica == k.victim.Target && k.armed.Load() {
		k.kill.Do(k.victim.Kill)
	}
}

func (k *killAsACallStarts) counts() map[string]int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return maps.Clone(k.started)
}

func (*killAsACallStarts) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return ctx
}

func (*killAsACallStarts) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

func (*killAsACallStarts) HandleConn(context.Context, stats.ConnStats) {}

// A job over three Prism processes: chunks spread over them, merged into
// the answer one server gives, even when one dies mid-job.
func TestAChunkedJobOverAFleet(t *testing.T) {
	fleet := startFleet(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	t.Run("one target resolving to every replica", func(t *testing.T) {
		r := manual.NewBuilderWithScheme("prism-fleet-test")
		var state resolver.State
		for _, s := range fleet {
			state.Addresses = append(state.Addresses, resolver.Address{Addr: s.Target})
		}
		r.InitialState(state)
		c, err := prism.Dial(ctx, "prism-fleet-test:///fleet", prism.WithInsecure(), prism.WithDialOptions(grpc.WithResolvers(r)))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		req := prism.NewRequest("iris", fleetRows(t, 600), prism.ExactShapley(nil))
		want, err := client.Explain(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		before := make([]int, len(fleet))
		for i, s := range fleet {
			before[i] = explainRequests(t, s)
		}
		answered := map[string]int{}
		got, err := c.ExplainChunked(ctx, req, prism.ChunkOptions{ChunkRows: 50,
			OnChunk: func(ch prism.Chunk) { answered[ch.Replica]++ }})
		if err != nil {
			t.Fatal(err)
		}
		sameAnswer(t, got, want)
		for i, s := range fleet {
			if n := explainRequests(t, s) - before[i]; n == 0 || n != answered[s.Target] {
				t.Errorf("replica %s received %d requests and answered %d chunks, want the same share, at least one", s.Target, n, answered[s.Target])
			}
		}
	})

	t.Run("a replica killed mid-job", func(t *testing.T) {
		const rows, chunkRows = 3000, 100
		victim, live := fleet[2], fleet[:2]
		killer := &killAsACallStarts{victim: victim, started: map[string]int{}}
		targets := make([]string, len(fleet))
		for i, s := range fleet {
			targets[i] = s.Target
		}
		c, err := prism.DialReplicas(ctx, targets, prism.WithInsecure(), prism.WithDialOptions(grpc.WithStatsHandler(killer)))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		req := prism.NewRequest("iris", fleetRows(t, rows), prism.ExactShapley(nil))
		want, err := client.Explain(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		before := []int{explainRequests(t, live[0]), explainRequests(t, live[1])}
		answered := map[string]int{}
		seen := make([]int, rows)
		got, err := c.ExplainChunked(ctx, req, prism.ChunkOptions{ChunkRows: chunkRows,
			OnChunk: func(ch prism.Chunk) {
				answered[ch.Replica]++
				for i := ch.Start; i < ch.Stop; i++ {
					seen[i]++
				}
				if ch.Replica == victim.Target {
					killer.armed.Store(true)
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		started := killer.counts()
		t.Logf("calls started per replica: %v; chunks answered: %v", started, answered)
		failed := started[victim.Target] - answered[victim.Target]
		if answered[victim.Target] == 0 || failed < 1 {
			t.Fatalf("the victim answered %d chunks and failed %d calls: it did not die mid-job", answered[victim.Target], failed)
		}
		if slices.ContainsFunc(seen, func(n int) bool { return n != 1 }) {
			t.Errorf("instances answered other than once: %v", seen)
		}
		// Each call the victim's death failed was made again, once, on a live replica.
		if total := started[victim.Target] + started[live[0].Target] + started[live[1].Target]; total != rows/chunkRows+failed {
			t.Errorf("%d calls for %d chunks and %d failures", total, rows/chunkRows, failed)
		}
		for i, s := range live {
			if n := explainRequests(t, s) - before[i]; n == 0 || n != answered[s.Target] || n != started[s.Target] {
				t.Errorf("replica %s received %d requests, started %d and answered %d chunks: want the same share, at least one",
					s.Target, n, started[s.Target], answered[s.Target])
			}
		}
		sameAnswer(t, got, want)
		if got.Instances() != rows || got.Method != "exact_shapley" || got.StandardErrors != nil {
			t.Errorf("%d instances by %s, standard errors %v", got.Instances(), got.Method, got.StandardErrors != nil)
		}
	})

	t.Run("an invalid request fails the job at its first chunks", func(t *testing.T) {
		live := fleet[:2]
		c, err := prism.DialReplicas(ctx, []string{live[0].Target, live[1].Target}, prism.WithInsecure())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		before := explainRequests(t, live[0]) + explainRequests(t, live[1])
		req := prism.NewRequest("iris", fleetRows(t, 3000), prism.KernelSHAP(&prismpb.KernelShapParams{Nsamples: -1}))
		_, err = c.ExplainChunked(ctx, req, prism.ChunkOptions{ChunkRows: 100, Concurrency: 2})
		if perr, ok := prism.AsError(err); !ok || perr.Code != codes.InvalidArgument {
			t.Fatalf("error %v, want INVALID_ARGUMENT", err)
		}
		// Each of the 2 workers makes one call, which fails; none starts another.
		if n := explainRequests(t, live[0]) + explainRequests(t, live[1]) - before; n < 1 || n > 2 {
			t.Errorf("the fleet received %d requests of the 30 chunks, want 1 or 2", n)
		}
	})
}
