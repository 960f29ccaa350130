package prism

import (
	"sync"

	"google.golang.org/grpc"

	"prism.dev/prism/clients/go/prismpb"
)

// Progress is a StreamExplain progress event (the generated message, whose
// fields and getters it has) as StreamExplain hands it to onProgress: the
// newest counters, and every running estimate that changed since the previous
// call.
type Progress struct {
	*prismpb.Progress
}

// Fraction is EvaluationsDone / EvaluationsTotal, the share of the model
// evaluations done; 0 while the total is not known. The total may grow for
// methods that adapt their budget, so the fraction can step back.
func (p Progress) Fraction() float64 {
	total := p.GetEvaluationsTotal()
	if total <= 0 {
		return 0
	}
	return float64(p.GetEvaluationsDone()) / float64(total)
}

// latestProgress is one StreamExplain call's events between the goroutine
// that reads the stream as fast as it comes and the caller, who may be
// slower: progress is merged, never queued. The server sends progress every
// 200 ms or so, and the transport's flow-control window lets it send
// thousands of events ahead of a slow reader; handed over one by one, each
// would be older than the one before. Instead the caller gets the newest
// event not yet delivered, with every estimate that changed since its previous
// one (the newest of each instance and output). What waits is at most one
// event and one estimate per (instance, output), however slowly the caller
// reads.
//
// Locking: mu guards progress, positions and end; changed (capacity 1) wakes
// the caller after each change.
type latestProgress struct {
	mu sync.Mutex
	// progress is the merged progress not yet taken, nil when there is none.
	progress *prismpb.Progress
	// positions holds the index of each (instance, output) in progress.Estimates.
	positions map[estimateKey]int
	end       *streamEnd
	changed   chan struct{}
}

type estimateKey struct {
	instance int32
	output   string
}

// streamEnd is how the stream ended: a result, or an error (io.EOF when it
// closed without a result).
type streamEnd struct {
	result *prismpb.ExplainResponse
	err    error
}

func newLatestProgress() *latestProgress {
	return &latestProgress{changed: make(chan struct{}, 1)}
}

// read receives the stream's events until the result or an error; it ends
// when the call's context is cancelled.
func (l *latestProgress) read(stream grpc.ServerStreamingClient[prismpb.ExplainEvent]) {
	for {
		event, err := stream.Recv()
		if err != nil {
			l.finish(&streamEnd{err: err})
			return
		}
		switch e := event.GetEvent().(type) {
		case *prismpb.ExplainEvent_Progress:
			l.put(e.Progress)
		case *prismpb.ExplainEvent_Result:
			l.finish(&streamEnd{result: e.Result})
			return
		}
		// Event kinds newer than this client are skipped, as protobuf readers do.
	}
}

// put merges p into the progress not yet taken: p's counters, and its
// estimates over the older ones of the same instance and output. p becomes
// the merged event (it was received here and nobody else holds it).
func (l *latestProgress) put(p *prismpb.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var merged []*prismpb.Estimate
	if l.progress == nil {
		l.positions = make(map[estimateKey]int, len(p.GetEstimates()))
	} else {
		merged = l.progress.Estimates
	}
	for _, e := range p.GetEstimates() {
		key := estimateKey{e.GetInstance(), e.GetOutput()}
		if i, ok := l.positions[key]; ok {
			merged[i] = e
		} else {
			l.positions[key] = len(merged)
			merged = append(merged, e)
		}
	}
	p.Estimates = merged
	l.progress = p
	l.wake()
}

func (l *latestProgress) finish(end *streamEnd) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.end = end
	l.wake()
}

func (l *latestProgress) wake() {
	select {
	case l.changed <- struct{}{}:
	default: // the caller has a wake-up pending already
	}
}

// next waits for the merged progress not yet taken, and once there is none
// left, returns how the stream ended.
func (l *latestProgress) next() (*prismpb.Progress, *streamEnd) {
	for {
		l.mu.Lock()
		p, end := l.progress, l.end
		l.progress, l.positions = nil, nil
		l.mu.Unlock()
		if p != nil {
			return p, nil
		}
		if end != nil {
			return nil, end
		}
		<-l.changed
	}
}
