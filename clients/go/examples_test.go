package prism_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	prism "prism.dev/prism/clients/go"
	"prism.dev/prism/clients/go/internal/testserver"
	"prism.dev/prism/clients/go/prismpb"
)

// referenceRepository is a model repository holding iris with a reference
// set: its background rows, a "species" label column put second, label
// (7i) mod 3 for row i. It returns the folder and the rows with their labels.
func referenceRepository(t *testing.T) (string, [][]float64, []float64) {
	t.Helper()
	models, err := testserver.ModelsDir()
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	folder := filepath.Join(repo, "iris")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"model.onnx", "background.csv"} {
		data, err := os.ReadFile(filepath.Join(models, "iris", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(folder, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	config, err := os.ReadFile(filepath.Join(models, "iris", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	json := strings.TrimSuffix(strings.TrimSpace(string(config)), "}") +
		`, "referenceFile": "reference.csv", "referenceLabelColumn": "species"}`
	if err := os.WriteFile(filepath.Join(folder, "config.json"), []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(models, "iris", "background.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]float64
	var labels []float64
	lines := []string{"sepal_length,species,sepal_width,petal_length,petal_width"}
	for i, record := range records[1:] {
		row := make([]float64, len(record))
		for j, cell := range record {
			if row[j], err = strconv.ParseFloat(cell, 64); err != nil {
				t.Fatal(err)
			}
		}
		label := float64(7 * i % 3)
		rows, labels = append(rows, row), append(labels, label)
		lines = append(lines, fmt.Sprintf("%s,%v,%s,%s,%s", record[0], label, record[1], record[2], record[3]))
	}
	if err := os.WriteFile(filepath.Join(folder, "reference.csv"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return repo, rows, labels
}

// standardised is each row standardised as the server's input space does:
// by the reference's mean and population standard deviation per feature,
// added up in row order.
func standardised(reference [][]float64, rows [][]float64) [][]float64 {
	d := len(reference[0])
	mean, sd := make([]float64, d), make([]float64, d)
	for j := range d {
		sum := 0.0
		for _, r := range reference {
			sum += r[j]
		}
		mean[j] = sum / float64(len(reference))
		squares := 0.0
		for _, r := range reference {
			v := r[j] - mean[j]
			squares += float64(v * v)
		}
		sd[j] = math.Sqrt(squares / float64(len(reference)))
	}
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = make([]float64, d)
		for j := range d {
			out[i][j] = (r[j] - mean[j]) / sd[j]
		}
	}
	return out
}

// euclidean is the distance of a and b, its squares added up in feature order.
func euclidean(a, b []float64) float64 {
	sum := 0.0
	for j := range a {
		v := a[j] - b[j]
		sum += float64(v * v)
	}
	return math.Sqrt(sum)
}

// nearest is the k rows of candidates nearest to query by distance, ties in
// row order, among those keep accepts.
func nearest(distance func(row int) float64, rows, k int, keep func(row int) bool) []int {
	var order []int
	for r := range rows {
		if keep == nil || keep(r) {
			order = append(order, r)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		da, db := distance(a), distance(b)
		switch {
		case da < db:
			return -1
		case da > db:
			return 1
		}
		return 0
	})
	return order[:min(k, len(order))]
}

// exampleInstances are the training flowers and three flowers between classes.
var exampleInstances = [][]float32{setosa, versicolor, virginica, {6.0, 2.9, 4.9, 1.7}, {5.5, 3.0, 3.0, 0.9}, {6.6, 3.0, 5.0, 1.6}}

func TestExplainByExample(t *testing.T) {
	repo, reference, labels := referenceRepository(t)
	server, err := testserver.StartRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := prism.Dial(ctx, server.Target, prism.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	in, err := prism.Float32Rows(exampleInstances)
	if err != nil {
		t.Fatal(err)
	}
	queries := make([][]float64, len(exampleInstances))
	for i, row := range exampleInstances {
		for _, v := range row {
			queries[i] = append(queries[i], float64(v))
		}
	}
	// Every reference row, with its scores and class, in input space.
	all, err := c.ExplainByExample(ctx, "iris", in, prism.Neighbours(len(reference)))
	if err != nil {
		t.Fatal(err)
	}
	scores := make([][]float64, len(reference))
	classes := make([]int, len(reference))
	for _, n := range all.Instances[0].Neighbours {
		scores[n.Row], classes[n.Row] = n.Prediction, n.PredictedClass
	}

	t.Run("input space, brute force", func(t *testing.T) {
		const k = 7
		e, err := c.ExplainByExample(ctx, "iris", in, prism.Neighbours(k))
		if err != nil {
			t.Fatal(err)
		}
		if e.Model != "iris" || e.ModelVersion == "" || !slices.Equal(e.FeatureNames, []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}) ||
			!slices.Equal(e.OutputNames, []string{"setosa", "versicolor", "virginica"}) || e.Prototypes != nil || len(e.Instances) != len(queries) {
			t.Fatalf("model %q version %q, features %v, outputs %v, prototypes %v, %d instances",
				e.Model, e.ModelVersion, e.FeatureNames, e.OutputNames, e.Prototypes, len(e.Instances))
		}
		z := standardised(reference, append(slices.Clone(reference), queries...))
		for i := range queries {
			distance := func(r int) float64 { return euclidean(z[len(reference)+i], z[r]) }
			want := nearest(distance, len(reference), k, nil)
			got := e.Instances[i]
			if !slices.Equal(e.Rows(i), want) {
				t.Errorf("instance %d: neighbours %v, brute force %v", i, e.Rows(i), want)
				continue
			}
			if len(got.Prediction) != 3 || got.PredictedClass != argmax(got.Prediction) || got.Unlike != nil || got.Embedding != nil {
				t.Errorf("instance %d: prediction %v, class %d, unlike %v, embedding %v", i, got.Prediction, got.PredictedClass, got.Unlike, got.Embedding)
			}
			for n, x := range got.Neighbours {
				r := want[n]
				if x.Distance != distance(r) || !slices.Equal(x.Values, reference[r]) || !x.HasLabel || x.Label != labels[r] ||
					!slices.Equal(x.Prediction, scores[r]) || x.PredictedClass != argmax(scores[r]) {
					t.Errorf("instance %d, neighbour %d: %+v; want row %d at %v with values %v, label %v, scores %v",
						i, n, x, r, distance(r), reference[r], labels[r], scores[r])
				}
			}
		}
	})

	t.Run("output space, brute force", func(t *testing.T) {
		const k = 5
		e, err := c.ExplainByExample(ctx, "iris", in, prism.Neighbours(k), prism.Space(prismpb.ExampleSpace_EXAMPLE_SPACE_OUTPUT))
		if err != nil {
			t.Fatal(err)
		}
		for i, got := range e.Instances {
			distance := func(r int) float64 { return euclidean(got.Prediction, scores[r]) }
			want := nearest(distance, len(reference), k, nil)
			if !slices.Equal(e.Rows(i), want) {
				t.Errorf("instance %d: neighbours %v, brute force %v", i, e.Rows(i), want)
				continue
			}
			for n, x := range got.Neighbours {
				if x.Distance != distance(want[n]) {
					t.Errorf("instance %d, neighbour %d: distance %v, brute force %v", i, n, x.Distance, distance(want[n]))
				}
			}
		}
	})

	t.Run("nearest unlike neighbour, brute force", func(t *testing.T) {
		e, err := c.ExplainByExample(ctx, "iris", in, prism.UnlikeNeighbour(0))
		if err != nil {
			t.Fatal(err)
		}
		z := standardised(reference, append(slices.Clone(reference), queries...))
		sd := standardised(reference, [][]float64{{1, 1, 1, 1}, {0, 0, 0, 0}})
		for i, got := range e.Instances {
			if len(got.Neighbours) != 0 {
				t.Errorf("instance %d: %d neighbours without asking", i, len(got.Neighbours))
			}
			distance := func(r int) float64 { return euclidean(z[len(reference)+i], z[r]) }
			want := nearest(distance, len(reference), 1, func(r int) bool { return classes[r] != got.PredictedClass })
			u := got.Unlike
			if u == nil || u.Row != want[0] || u.Distance != distance(want[0]) || u.PredictedClass == got.PredictedClass {
				t.Errorf("instance %d (class %d): unlike neighbour %+v, brute force row %d at %v", i, got.PredictedClass, u, want[0], distance(want[0]))
				continue
			}
			// Threshold 0: every feature whose value differs, largest
			// standardised difference first.
			var differing []int
			for j := range queries[i] {
				if reference[u.Row][j] != queries[i][j] {
					differing = append(differing, j)
				}
			}
			slices.SortStableFunc(differing, func(a, b int) int {
				da, db := math.Abs(z[u.Row][a]-z[len(reference)+i][a]), math.Abs(z[u.Row][b]-z[len(reference)+i][b])
				switch {
				case da > db:
					return -1
				case da < db:
					return 1
				}
				return 0
			})
			if len(u.Differing) != len(differing) {
				t.Fatalf("instance %d: differing %+v, want features %v", i, u.Differing, differing)
			}
			for n, j := range differing {
				f := u.Differing[n]
				// (neighbour - instance) / sd, sd being 1 / the standardised 1 - 0.
				scale := 1 / (sd[0][j] - sd[1][j])
				if f.Index != j || f.Name != e.FeatureNames[j] || f.InstanceValue != queries[i][j] || f.NeighbourValue != reference[u.Row][j] ||
					math.Abs(f.StandardisedDifference-(reference[u.Row][j]-queries[i][j])/scale) > 1e-12 {
					t.Errorf("instance %d, differing %d: %+v, want feature %d, %v to %v, scale %v", i, n, f, j, queries[i][j], reference[u.Row][j], scale)
				}
			}
		}
	})

	t.Run("prototypes of the instances", func(t *testing.T) {
		const sigma = 1.5
		e, err := c.ExplainByExample(ctx, "iris", in, prism.Prototypes(&prismpb.PrototypeOptions{
			Set: prismpb.ExampleSet_EXAMPLE_SET_INSTANCES, Prototypes: 2, Criticisms: 1, Bandwidth: proto.Float64(sigma)}))
		if err != nil {
			t.Fatal(err)
		}
		p := e.Prototypes
		if p == nil || p.Set != prismpb.ExampleSet_EXAMPLE_SET_INSTANCES || p.Bandwidth != sigma || len(p.Prototypes) != 2 || len(p.Criticisms) != 1 {
			t.Fatalf("prototypes %+v: want 2 prototypes and 1 criticism of the instances, sigma %v", p, sigma)
		}
		// The first prototype is the member of the largest kernel mean;
		// MMD² = mean k(i, j) - (2 mean_i k(i, p) - k(p, p)), the kernel over
		// the instances standardised by their own statistics.
		z := standardised(queries, queries)
		n := len(queries)
		kernel := func(a, b int) float64 {
			d := euclidean(z[a], z[b])
			return math.Exp(-d * d / (2 * sigma * sigma))
		}
		means := make([]float64, n)
		total := 0.0
		for a := range n {
			for b := range n {
				means[a] += kernel(a, b) / float64(n)
			}
			total += means[a] / float64(n)
		}
		first := argmax(means)
		mmd := total - (2*means[first] - 1)
		if got := p.Prototypes[0]; got.Index != first || math.Abs(got.MMDSquared-mmd) > 1e-12 {
			t.Errorf("first prototype %+v, brute force instance %d with MMD² %v", got, first, mmd)
		}
		if p.Prototypes[1].Index == first || p.Prototypes[1].MMDSquared >= p.Prototypes[0].MMDSquared ||
			slices.ContainsFunc(p.Prototypes, func(q prism.Prototype) bool { return q.Index == p.Criticisms[0].Index }) {
			t.Errorf("prototypes %+v, criticisms %+v: want distinct members and a falling MMD²", p.Prototypes, p.Criticisms)
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := c.ExplainByExample(ctx, "iris", in, prism.Neighbours(-1))
		perr, ok := prism.AsError(err)
		if !ok || perr.Code != codes.InvalidArgument || len(perr.FieldViolations) != 1 || perr.FieldViolations[0].Field != "k" {
			t.Errorf("k = -1: %v, want INVALID_ARGUMENT on k", err)
		}
		// The shared server's iris has no reference set.
		_, err = client.ExplainByExample(ctx, "iris", in, prism.Neighbours(1))
		if perr, ok := prism.AsError(err); !ok || perr.Code != codes.FailedPrecondition || !strings.Contains(perr.Message, "reference_file") {
			t.Errorf("no reference set: %v, want FAILED_PRECONDITION naming reference_file", err)
		}
	})
}
