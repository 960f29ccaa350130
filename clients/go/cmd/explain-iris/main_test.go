package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"prism.dev/prism/clients/go/internal/testserver"
)

var srv *testserver.Server

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
	return m.Run()
}

// Each class lists the four features by decreasing |attribution|, and they
// add up to p - base (up to the four printed decimals).
func TestPrintsRankedAttributionsPerClass(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, srv.Target, "6.3,3.3,6.0,2.5", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	sections := strings.Split(strings.TrimSpace(out.String()), "\n\n")
	if len(sections) != 4 || sections[0] != "iris [6.3,3.3,6.0,2.5], exact_shapley" {
		t.Fatalf("unexpected output:\n%s", out.String())
	}
	for k, class := range []string{"setosa", "versicolor", "virginica"} {
		lines := strings.Split(sections[k+1], "\n")
		var p, base float64
		if _, err := fmt.Sscanf(lines[0], class+": p = %f, base %f", &p, &base); err != nil || len(lines) != 5 {
			t.Fatalf("section %d:\n%s\n(%v)", k, sections[k+1], err)
		}
		sum, previous := 0.0, math.Inf(1)
		for _, line := range lines[1:] {
			fields := strings.Fields(line)
			v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
			if err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			if math.Abs(v) > previous {
				t.Errorf("%s: %q is out of |value| order", class, line)
			}
			previous = math.Abs(v)
			sum += v
		}
		if math.Abs(sum-(p-base)) > 5e-4 {
			t.Errorf("%s: attributions sum to %.4f, p - base = %.4f", class, sum, p-base)
		}
	}
}

func TestRefusesABadInstance(t *testing.T) {
	for instance, want := range map[string]string{
		"1,2,3":   "needs 4 comma-separated values, got 3",
		"1,2,x,4": "-instance value 3",
	} {
		err := run(context.Background(), &bytes.Buffer{}, srv.Target, instance, time.Second)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", instance, err, want)
		}
	}
}
