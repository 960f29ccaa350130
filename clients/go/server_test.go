package prism_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	prism "prism.dev/prism/clients/go"
	"prism.dev/prism/clients/go/internal/testserver"
)

var (
	// srv serves the bundled models for every test; client is connected to it.
	srv    *testserver.Server
	client *prism.Client
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var err error
	srv, err = testserver.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err = prism.Dial(ctx, srv.Target, prism.WithInsecure())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer client.Close()
	return m.Run()
}

// metric reads one series of s's metrics.
func metric(t *testing.T, s *testserver.Server, series string) float64 {
	t.Helper()
	v, err := s.Metric(series)
	if err != nil {
		t.Fatalf("metric %s: %v", series, err)
	}
	return v
}
