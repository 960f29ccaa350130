package prism

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/protobuf/proto"

	"prism.dev/prism/clients/go/prismpb"
)

// Client talks to one Prism server. It is safe for concurrent use.
type Client struct {
	conn     *grpc.ClientConn
	models   prismpb.ModelServiceClient
	explain  prismpb.ExplainServiceClient
	examples prismpb.ExampleServiceClient
	timeout  time.Duration
	// replicas is the number of addresses DialReplicas was given; 0 for Dial,
	// whose target may resolve to any number.
	replicas int
}

type options struct {
	creds   credentials.TransportCredentials
	timeout time.Duration
	dial    []grpc.DialOption
}

// Option configures Dial.
type Option func(*options)

// WithInsecure connects in plaintext, as to a local Prism server.
func WithInsecure() Option {
	return func(o *options) { o.creds = insecure.NewCredentials() }
}

// WithTLS connects over TLS with the given configuration (nil: the system roots).
func WithTLS(config *tls.Config) Option {
	return func(o *options) { o.creds = credentials.NewTLS(config) }
}

// WithTransportCredentials connects with any gRPC transport credentials.
func WithTransportCredentials(creds credentials.TransportCredentials) Option {
	return func(o *options) { o.creds = creds }
}

// DefaultConnectTimeout bounds Dial's wait for the connection when neither its
// context nor WithTimeout sets a deadline, so that dialling a server that is
// down ends in an error rather than waiting for ever. Give Dial a context with
// a later deadline to wait longer (e.g. for a server that is still starting).
const DefaultConnectTimeout = 10 * time.Second

// WithTimeout bounds every call whose context has no deadline of its own, and
// Dial's wait for the connection (instead of DefaultConnectTimeout).
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithDialOptions passes extra options to grpc.NewClient (interceptors,
// keepalive, message size limits, ...).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dial = append(o.dial, opts...) }
}

// Dial connects to the Prism server at target (e.g. "localhost:50051") and
// waits until the connection is ready, for as long as ctx's deadline allows,
// else WithTimeout's, else DefaultConnectTimeout; when the wait ends first the
// error says it cannot connect and satisfies errors.Is with ctx's error
// (context.DeadlineExceeded for a timeout). Transport security must be chosen:
// WithInsecure, WithTLS, WithTransportCredentials or credentials in
// WithDialOptions.
//
// Calls are spread round robin over every address target resolves to, so
// "dns:///prism-headless.ns.svc.cluster.local:50051" balances over the
// replicas behind a Kubernetes headless Service (they are found again when a
// server ages a connection out); DialReplicas takes a list of addresses.
func Dial(ctx context.Context, target string, opts ...Option) (*Client, error) {
	return dial(ctx, target, target, nil, 0, opts)
}

// DialReplicas connects to several Prism servers serving the same models and
// spreads calls over them round robin, skipping one that cannot be reached;
// it returns once one of them is ready. Otherwise it is Dial.
func DialReplicas(ctx context.Context, addresses []string, opts ...Option) (*Client, error) {
	if len(addresses) == 0 {
		return nil, errors.New("prism: DialReplicas needs at least one address")
	}
	r := manual.NewBuilderWithScheme(fmt.Sprintf("prism-replicas-%d", replicaSets.Add(1)))
	state := resolver.State{}
	for _, a := range addresses {
		state.Addresses = append(state.Addresses, resolver.Address{Addr: a})
	}
	r.InitialState(state)
	return dial(ctx, r.Scheme()+":///replicas", strings.Join(addresses, ","), grpc.WithResolvers(r), len(addresses), opts)
}

// replicaSets numbers DialReplicas' resolvers, each its own scheme.
var replicaSets atomic.Int64

func dial(ctx context.Context, target, name string, resolve grpc.DialOption, replicas int, opts []Option) (*Client, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	dial := append([]grpc.DialOption{grpc.WithDefaultServiceConfig(`{"loadBalancingPolicy":"round_robin"}`)}, o.dial...)
	if o.creds != nil {
		dial = append([]grpc.DialOption{grpc.WithTransportCredentials(o.creds)}, dial...)
	}
	if resolve != nil {
		dial = append(dial, resolve)
	}
	conn, err := grpc.NewClient(target, dial...)
	if err != nil {
		return nil, fmt.Errorf("prism: dial %s: %w", name, err)
	}
	c := &Client{
		conn:     conn,
		models:   prismpb.NewModelServiceClient(conn),
		explain:  prismpb.NewExplainServiceClient(conn),
		examples: prismpb.NewExampleServiceClient(conn),
		timeout:  o.timeout,
		replicas: replicas,
	}
	ctx, cancel := connectContext(ctx, o.timeout)
	defer cancel()
	conn.Connect()
	for state := conn.GetState(); state != connectivity.Ready; state = conn.GetState() {
		if !conn.WaitForStateChange(ctx, state) {
			conn.Close()
			return nil, fmt.Errorf("prism: cannot connect to %s (connection %s): %w", name, state, ctx.Err())
		}
	}
	return c, nil
}

// connectContext bounds Dial's wait: by ctx's deadline, else timeout, else
// DefaultConnectTimeout.
func connectContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	return context.WithTimeout(ctx, timeout)
}

// Close closes the connection; calls in flight fail with codes.Canceled.
func (c *Client) Close() error {
	return c.conn.Close()
}

// Conn is the underlying connection, e.g. for the health service.
func (c *Client) Conn() *grpc.ClientConn {
	return c.conn
}

// ModelService is the generated stub, for what the wrapper does not cover.
func (c *Client) ModelService() prismpb.ModelServiceClient {
	return c.models
}

// ExplainService is the generated stub, e.g. for FORMAT_PER_EXPLANATION
// responses with their per-instance diagnostics.
func (c *Client) ExplainService() prismpb.ExplainServiceClient {
	return c.explain
}

// ExampleService is the generated stub of explanations by example.
func (c *Client) ExampleService() prismpb.ExampleServiceClient {
	return c.examples
}

func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || c.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.timeout)
}

// Models lists the served models, sorted by name.
func (c *Client) Models(ctx context.Context) ([]*prismpb.ModelInfo, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	resp, err := c.models.ListModels(ctx, &prismpb.ListModelsRequest{})
	if err != nil {
		return nil, callError(ctx, err)
	}
	return resp.GetModels(), nil
}

// Model describes one model; an unknown name fails with codes.NotFound.
func (c *Client) Model(ctx context.Context, name string) (*prismpb.ModelInfo, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	info, err := c.models.GetModel(ctx, &prismpb.GetModelRequest{Name: name})
	if err != nil {
		return nil, callError(ctx, err)
	}
	return info, nil
}

// Predict runs model on the instances (e.g. from Float32Rows).
func (c *Client) Predict(ctx context.Context, model string, instances *prismpb.Tensor) (*Prediction, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	resp, err := c.models.Predict(ctx, &prismpb.PredictRequest{Model: model, Inputs: []*prismpb.Tensor{instances}})
	if err != nil {
		return nil, callError(ctx, err)
	}
	return newPrediction(resp)
}

// Explain explains the request's instances in one call. The request is sent
// with FORMAT_COMPACT, which the Explanation is read from, or with
// FORMAT_PER_EXPLANATION when it asks for an evaluation, which the compact
// format cannot carry (on a copy when req asks for another format; req itself
// is not changed). A time budget that is not positive is refused before
// sending.
func (c *Client) Explain(ctx context.Context, req *prismpb.ExplainRequest) (*Explanation, error) {
	req, err := prepare(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	resp, err := c.explain.Explain(ctx, req)
	if err != nil {
		return nil, callError(ctx, err)
	}
	return NewExplanation(resp)
}

// StreamExplain is Explain streamed: onProgress (when not nil) gets progress
// on the calling goroutine until the result arrives. A goroutine reads the
// stream as fast as the server sends it, so each call of onProgress gets the
// newest state: when onProgress is slower than the server (which sends about
// every 200 ms), the events in between are merged, not queued. The merged
// event has the newest counters, and its Estimates are every estimate that
// changed since the previous call, the newest of each instance and output.
// Cancelling ctx cancels the server's work and ends the goroutine; after that
// onProgress is not called again. StreamExplain returns once the goroutine
// has stopped reading (when onProgress panics, the goroutine stops as the
// call is cancelled).
func (c *Client) StreamExplain(ctx context.Context, req *prismpb.ExplainRequest, onProgress func(Progress)) (*Explanation, error) {
	req, err := prepare(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	stream, err := c.explain.StreamExplain(ctx, req)
	if err != nil {
		return nil, callError(ctx, err)
	}
	latest := newLatestProgress()
	go latest.read(stream)
	for {
		progress, end := latest.next()
		if end == nil {
			if onProgress != nil && ctx.Err() == nil {
				onProgress(Progress{progress})
			}
			continue
		}
		if errors.Is(end.err, io.EOF) {
			return nil, fmt.Errorf("prism: the stream ended without a result")
		}
		if end.err != nil {
			return nil, callError(ctx, end.err)
		}
		return NewExplanation(end.result)
	}
}

// prepare refuses what can be checked before sending, and returns req in
// FORMAT_COMPACT, or FORMAT_PER_EXPLANATION when it asks for an evaluation (a
// copy when it asks for another format).
func prepare(req *prismpb.ExplainRequest) (*prismpb.ExplainRequest, error) {
	if req == nil {
		return nil, errors.New("prism: nil ExplainRequest")
	}
	if err := checkTimeBudget(req); err != nil {
		return nil, err
	}
	format := prismpb.ResponseFormat_FORMAT_COMPACT
	if req.GetEvaluate() != nil {
		format = prismpb.ResponseFormat_FORMAT_PER_EXPLANATION
	}
	if req.GetFormat() == format {
		return req, nil
	}
	c := proto.Clone(req).(*prismpb.ExplainRequest)
	c.Format = format
	return c, nil
}
