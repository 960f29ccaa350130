// Command explain-iris explains one iris flower with exact Shapley values and
// prints, for each class, the features' attributions largest |value| first.
//
//	go run ./cmd/explain-iris -target localhost:50051 -instance 5.1,3.5,1.4,0.2
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	prism "prism.dev/prism/clients/go"
)

func main() {
	target := flag.String("target", "localhost:50051", "Prism server address (plaintext)")
	instance := flag.String("instance", "5.1,3.5,1.4,0.2", "sepal length, sepal width, petal length, petal width (cm)")
	timeout := flag.Duration("timeout", 30*time.Second, "deadline of the connection and of each call")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *target, *instance, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "explain-iris:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, target, instance string, timeout time.Duration) error {
	row, err := parseRow(instance)
	if err != nil {
		return err
	}
	in, err := prism.Float32Rows([][]float32{row})
	if err != nil {
		return err
	}
	client, err := prism.Dial(ctx, target, prism.WithInsecure(), prism.WithTimeout(timeout))
	if err != nil {
		return err
	}
	defer client.Close()
	e, err := client.Explain(ctx, prism.NewRequest("iris", in, prism.ExactShapley(nil)))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "iris [%s], %s\n", instance, e.Method)
	for o, class := range e.OutputNames {
		fmt.Fprintf(w, "\n%s: p = %.4f, base %.4f\n", class, e.ModelOutputs[0][o], e.BaseValues[0][o])
		for _, a := range e.Ranked(0, o) {
			fmt.Fprintf(w, "  %-14s %+.4f\n", a.Feature, a.Value)
		}
	}
	return nil
}

func parseRow(instance string) ([]float32, error) {
	fields := strings.Split(instance, ",")
	if len(fields) != 4 {
		return nil, fmt.Errorf("-instance needs 4 comma-separated values, got %d", len(fields))
	}
	row := make([]float32, len(fields))
	for i, f := range fields {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		if err != nil {
			return nil, fmt.Errorf("-instance value %d: %w", i+1, err)
		}
		row[i] = float32(v)
	}
	return row, nil
}
