package prism

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	"prism.dev/prism/clients/go/prismpb"
)

const (
	// DefaultChunkRows is ExplainChunked's chunk size when ChunkOptions has none.
	DefaultChunkRows = 256
	// DefaultChunkConcurrency is how many chunks ExplainChunked keeps in
	// flight when ChunkOptions has no Concurrency: this many, or one per
	// address given to DialReplicas when there are more.
	DefaultChunkConcurrency = 4
	// ChunkAttempts is how many calls a chunk gets when they fail with
	// UNAVAILABLE (the replica died or drains) before the job fails.
	ChunkAttempts = 3
	// chunkBackoff is the wait before a chunk's second call, twice that
	// before its third, when the status carries no RetryInfo delay: long
	// enough for round_robin to see a dead replica's connection break.
	chunkBackoff = 200 * time.Millisecond
)

// ChunkOptions shapes ExplainChunked; the zero value takes the defaults.
type ChunkOptions struct {
	// ChunkRows is the number of instances per call (the last chunk may have
	// fewer); 0 means DefaultChunkRows.
	ChunkRows int
	// Concurrency is the number of chunks in flight at once; 0 means
	// DefaultChunkConcurrency, or one per address given to DialReplicas when
	// there are more.
	Concurrency int
	// OnChunk, when not nil, is called once for each chunk answered, one call
	// at a time (never concurrently), with Done increasing, from the
	// goroutine that received the answer.
	OnChunk func(Chunk)
}

// Chunk is one answered chunk of an ExplainChunked job.
type Chunk struct {
	// Start and Stop bound the chunk's instances in the request: [Start, Stop).
	Start, Stop int
	// Replica is the address of the server that answered it.
	Replica string
	// Done is the number of instances answered so far, this chunk's
	// included, of the job's Total.
	Done, Total int
}

// ExplainChunked explains the request's instances as chunks of
// opts.ChunkRows instances, opts.Concurrency calls at a time on the client's
// connection, whose round_robin policy spreads them over the replicas (Dial
// of a name that resolves to several addresses, or DialReplicas), and merges
// the answers in instance order into the Explanation one Explain call would
// return: the same attributions, standard errors, base values and model
// outputs, and MeanAbsAttributions over every instance. Its ElapsedSeconds is
// the sum of the chunks' server times, Partial is set when any chunk's time
// budget ran out, and Warnings holds each distinct warning once. Each input
// tensor of the request is cut along its first dimension, whichever field
// carries its values; the rest of the request (background, method, seed, ...)
// goes with every chunk. Exact methods answer a chunked job exactly as one
// request; the sampling methods seed an instance by its place in its request,
// so their estimates differ from one request's (with the same accuracy).
//
// A request with Evaluate goes out in FORMAT_PER_EXPLANATION and its
// evaluations are merged with their explanations, in instance order. The
// server draws instance i's infidelity and sensitivity perturbations with
// seed + i, i its place in the request, so each chunk is sent those seeds
// moved on by its first instance's place in the job: every instance is
// perturbed as in one request, and an exact method's evaluations equal one
// request's.
//
// A call that fails with UNAVAILABLE (its replica died, or drains and
// refuses new work) is made again after a short wait (the status's RetryInfo
// delay when it has one), and round_robin sends it to a replica that is still
// connected; a chunk fails the job after ChunkAttempts such calls. Any other
// error fails the job at once: the other chunks' calls are cancelled and the
// error is returned as Explain returns it. ctx bounds the whole job and
// cancelling it cancels every call; WithTimeout, when ctx has no deadline,
// bounds each chunk's call.
func (c *Client) ExplainChunked(ctx context.Context, req *prismpb.ExplainRequest, opts ChunkOptions) (*Explanation, error) {
	req, err := prepare(req)
	if err != nil {
		return nil, err
	}
	total, err := instanceCount(req.GetInputs())
	if err != nil {
		return nil, err
	}
	chunkRows, concurrency := opts.ChunkRows, opts.Concurrency
	if chunkRows < 0 || concurrency < 0 {
		return nil, fmt.Errorf("prism: ChunkRows %d and Concurrency %d must not be negative", chunkRows, concurrency)
	}
	if chunkRows == 0 {
		chunkRows = DefaultChunkRows
	}
	if concurrency == 0 {
		concurrency = max(DefaultChunkConcurrency, c.replicas)
	}
	var spans [][2]int
	for start := 0; start < total; start += chunkRows {
		spans = append(spans, [2]int{start, min(start+chunkRows, total)})
	}
	// Every chunk's request is this one with its own inputs.
	template := proto.Clone(req).(*prismpb.ExplainRequest)
	template.Inputs = nil

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parts := make([]*prismpb.ExplainResponse, len(spans))
	next := make(chan int, len(spans))
	for i := range spans {
		next <- i
	}
	close(next)
	var (
		failOnce sync.Once
		failure  error
		// report serialises OnChunk and guards done.
		report sync.Mutex
		done   int
	)
	var workers sync.WaitGroup
	for range min(concurrency, len(spans)) {
		workers.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					return
				}
				start, stop := spans[i][0], spans[i][1]
				chunk := proto.Clone(template).(*prismpb.ExplainRequest)
				for _, t := range req.GetInputs() {
					chunk.Inputs = append(chunk.Inputs, rowsOf(t, start, stop))
				}
				shiftEvaluationSeeds(chunk.GetEvaluate(), start)
				resp, replica, err := c.explainChunk(ctx, chunk)
				if err != nil {
					failOnce.Do(func() {
						failure = err
						cancel()
					})
					return
				}
				parts[i] = resp
				if opts.OnChunk != nil {
					report.Lock()
					done += stop - start
					opts.OnChunk(Chunk{Start: start, Stop: stop, Replica: replica, Done: done, Total: total})
					report.Unlock()
				}
			}
		})
	}
	workers.Wait()
	if failure != nil {
		return nil, failure
	}
	for _, p := range parts {
		if p == nil {
			// ctx ended between two chunks: no call failed, but not every chunk was sent.
			return nil, fmt.Errorf("prism: the job stopped before every chunk was answered: %w", ctx.Err())
		}
	}
	sizes := make([]int, len(spans))
	for i, s := range spans {
		sizes[i] = s[1] - s[0]
	}
	merged, err := mergeChunks(parts, sizes)
	if err != nil {
		return nil, err
	}
	return NewExplanation(merged)
}

// shiftEvaluationSeeds moves a chunk's infidelity and sensitivity seeds on by
// its first instance's place in the job: the server draws instance i's
// perturbations with seed + i, so each instance draws what it would in one
// request (wrapping as the server's unsigned seed does).
func shiftEvaluationSeeds(p *prismpb.EvaluationParams, start int) {
	if p.GetInfidelity() != nil {
		p.Infidelity.Seed += uint64(start)
	}
	if p.GetSensitivity() != nil {
		p.Sensitivity.Seed += uint64(start)
	}
}

// explainChunk is one chunk's Explain call, made again while it fails with
// UNAVAILABLE, at most ChunkAttempts times; it returns the answer and the
// address of the server that gave it.
func (c *Client) explainChunk(ctx context.Context, chunk *prismpb.ExplainRequest) (*prismpb.ExplainResponse, string, error) {
	for attempt := 1; ; attempt++ {
		resp, replica, err := c.explainOnce(ctx, chunk)
		if err == nil {
			return resp, replica, nil
		}
		perr, ok := AsError(err)
		if !ok || perr.Code != codes.Unavailable || attempt == ChunkAttempts {
			return nil, "", err
		}
		wait := perr.RetryDelay
		if wait <= 0 {
			wait = time.Duration(attempt) * chunkBackoff
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, "", errors.Join(err, ctx.Err())
		case <-timer.C:
		}
	}
}

func (c *Client) explainOnce(ctx context.Context, chunk *prismpb.ExplainRequest) (*prismpb.ExplainResponse, string, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	var server peer.Peer
	resp, err := c.explain.Explain(ctx, chunk, grpc.Peer(&server))
	if err != nil {
		return nil, "", callError(ctx, err)
	}
	replica := ""
	if server.Addr != nil {
		replica = server.Addr.String()
	}
	return resp, replica, nil
}
