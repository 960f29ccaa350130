package prism_test

import (
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protowire"
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

// No bundled model has an embedding output, so the tests write one: x [N,4]
// → MatMul embeddingW1 → Relu → "embedding" [N,3] → MatMul embeddingW2 →
// Softmax → "probabilities" [N,2], the embedding a second graph output.
var (
	embeddingW1 = [][]float32{{0.5, -1, 0.25}, {1.5, 0.5, -0.75}, {-0.5, 2, 1}, {0.25, -0.25, 1.25}}
	embeddingW2 = [][]float32{{1, -1}, {-0.5, 0.75}, {2, -1.5}}
)

// onnxMessage is a protobuf message of fields, each a string, a nested
// message ([]byte) or an integer, numbered as in onnx.proto.
func onnxMessage(fields ...any) []byte {
	var b []byte
	for i := 0; i < len(fields); i += 2 {
		num := protowire.Number(fields[i].(int))
		switch v := fields[i+1].(type) {
		case int:
			b = protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), uint64(v))
		case string:
			b = protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), v)
		case []byte:
			b = protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
		}
	}
	return b
}

// embeddingNetwork is the ModelProto of the network above (ir_version 8,
// opset 17 of the default domain).
func embeddingNetwork() []byte {
	node := func(op string, inputs, outputs []string) []byte {
		var fields []any
		for _, in := range inputs {
			fields = append(fields, 1, in)
		}
		for _, out := range outputs {
			fields = append(fields, 2, out)
		}
		return onnxMessage(append(fields, 4, op)...)
	}
	// TensorProto: dims, data_type FLOAT (1), name, raw_data (little-endian float32).
	tensor := func(name string, w [][]float32) []byte {
		var raw []byte
		for _, row := range w {
			for _, v := range row {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
			}
		}
		return onnxMessage(1, len(w), 1, len(w[0]), 2, 1, 8, name, 9, raw)
	}
	// ValueInfoProto of a FLOAT tensor [N, width].
	value := func(name string, width int) []byte {
		shape := onnxMessage(1, onnxMessage(2, "N"), 1, onnxMessage(1, width))
		return onnxMessage(1, name, 2, onnxMessage(1, onnxMessage(1, 1, 2, shape)))
	}
	graph := onnxMessage(
		1, node("MatMul", []string{"x", "w1"}, []string{"pre"}),
		1, node("Relu", []string{"pre"}, []string{"embedding"}),
		1, node("MatMul", []string{"embedding", "w2"}, []string{"logits"}),
		1, node("Softmax", []string{"logits"}, []string{"probabilities"}),
		2, "embedded",
		5, tensor("w1", embeddingW1), 5, tensor("w2", embeddingW2),
		11, value("x", 4), 12, value("probabilities", 2), 12, value("embedding", 3))
	return onnxMessage(1, 8, 7, graph, 8, onnxMessage(2, 17))
}

// embed is relu(x W1), computed here from the weights.
func embed(x []float64) []float64 {
	h := make([]float64, len(embeddingW1[0]))
	for k := range h {
		for j, v := range x {
			h[k] += v * float64(embeddingW1[j][k])
		}
		h[k] = max(0, h[k])
	}
	return h
}

// embeddingModel writes the network into folder with a reference set of 80
// rows (multiples of 1/32, exact in float32), its config naming the embedding
// output, and returns the rows.
func embeddingModel(t *testing.T, folder string) [][]float64 {
	t.Helper()
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	random := rand.New(rand.NewPCG(17, 17))
	rows := make([][]float64, 80)
	lines := []string{"f0,f1,f2,f3"}
	for i := range rows {
		var cells []string
		for range 4 {
			v := math.Round(random.NormFloat64()*64) / 32
			rows[i] = append(rows[i], v)
			cells = append(cells, strconv.FormatFloat(v, 'g', -1, 64))
		}
		lines = append(lines, strings.Join(cells, ","))
	}
	// No scoreOutputs: the embedding output is left out of the scores.
	config, err := json.Marshal(map[string]string{
		"referenceFile": "reference.csv", "embeddingOutput": "embedding", "outputKind": "OUTPUT_KIND_PROBABILITY"})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"model.onnx":    embeddingNetwork(),
		"reference.csv": []byte(strings.Join(lines, "\n") + "\n"),
		"config.json":   config,
	} {
		if err := os.WriteFile(filepath.Join(folder, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

// exampleInstances are the training flowers and three flowers between classes.
var exampleInstances = [][]float32{setosa, versicolor, virginica, {6.0, 2.9, 4.9, 1.7}, {5.5, 3.0, 3.0, 0.9}, {6.6, 3.0, 5.0, 1.6}}

func TestExplainByExample(t *testing.T) {
	repo, reference, labels := referenceRepository(t)
	embedded := embeddingModel(t, filepath.Join(repo, "embedded"))
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

	t.Run("embedding space, brute force", func(t *testing.T) {
		const k = 7
		points := [][]float32{{1, 0.5, -0.25, 2}, {-1.5, 0.75, 1, 0}, {0.25, -2, 0.5, -1}, {0.5, 1.25, -1, 0.75}}
		rows, err := prism.Float32Rows(points)
		if err != nil {
			t.Fatal(err)
		}
		e, err := c.ExplainByExample(ctx, "embedded", rows, prism.Neighbours(k), prism.Space(prismpb.ExampleSpace_EXAMPLE_SPACE_EMBEDDING))
		if err != nil {
			t.Fatal(err)
		}
		if e.Model != "embedded" || !slices.Equal(e.OutputNames, []string{"probabilities[0]", "probabilities[1]"}) || len(e.Instances) != len(points) {
			t.Fatalf("model %q, outputs %v, %d instances: want embedded's probabilities, not its embedding, for %d instances",
				e.Model, e.OutputNames, len(e.Instances), len(points))
		}
		inputSpace, err := c.ExplainByExample(ctx, "embedded", rows, prism.Neighbours(k))
		if err != nil {
			t.Fatal(err)
		}
		references := make([][]float64, len(embedded))
		for r, row := range embedded {
			references[r] = embed(row)
		}
		differ := false
		for i, got := range e.Instances {
			query := make([]float64, len(points[i]))
			for j, v := range points[i] {
				query[j] = float64(v)
			}
			mine := embed(query)
			if len(got.Embedding) != len(mine) || euclidean(got.Embedding, mine) > 1e-6 {
				t.Errorf("instance %d: embedding %v, relu(x W1) %v", i, got.Embedding, mine)
				continue
			}
			squared := func(r int) float64 { d := euclidean(references[r], mine); return d * d }
			want := nearest(squared, len(references), k, nil)
			if !slices.Equal(e.Rows(i), want) {
				t.Errorf("instance %d: neighbours %v, brute force %v", i, e.Rows(i), want)
				continue
			}
			for n, x := range got.Neighbours {
				if math.Abs(x.Distance-math.Sqrt(squared(want[n]))) > 1e-9 || !slices.Equal(x.Values, embedded[want[n]]) {
					t.Errorf("instance %d, neighbour %d: %+v; want row %d at %v with values %v",
						i, n, x, want[n], math.Sqrt(squared(want[n])), embedded[want[n]])
				}
			}
			if inputSpace.Instances[i].Embedding != nil {
				t.Errorf("instance %d: an embedding %v in input space", i, inputSpace.Instances[i].Embedding)
			}
			differ = differ || !slices.Equal(e.Rows(i), inputSpace.Rows(i))
		}
		if !differ {
			t.Error("the neighbours in embedding space are the input space's: the space was not used")
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

// miscountingExamples is an in-process ExampleService whose answers have
// extra more entries than the request has instances (fewer when negative).
type miscountingExamples struct {
	prismpb.UnimplementedExampleServiceServer
	extra int
}

func (m miscountingExamples) ExplainByExample(_ context.Context, req *prismpb.ExplainByExampleRequest) (*prismpb.ExplainByExampleResponse, error) {
	resp := &prismpb.ExplainByExampleResponse{Model: req.GetModel(), FeatureNames: []string{"x"}, OutputNames: []string{"y"}}
	for range int(req.GetInstances().GetShape()[0]) + m.extra {
		resp.Instances = append(resp.Instances, &prismpb.InstanceExamples{Prediction: []float64{0.5}, PredictedClass: -1})
	}
	return resp, nil
}

// An answer is read only when it has one entry per requested instance.
func TestExplainByExampleChecksTheInstanceCount(t *testing.T) {
	in, err := prism.Float32Rows([][]float32{{1}, {2}, {3}})
	if err != nil {
		t.Fatal(err)
	}
	for _, extra := range []int{0, -1, 1, -3} {
		t.Run(fmt.Sprintf("%+d", extra), func(t *testing.T) {
			listener, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			server := grpc.NewServer()
			prismpb.RegisterExampleServiceServer(server, miscountingExamples{extra: extra})
			go server.Serve(listener)
			t.Cleanup(server.Stop)
			ctx := testContext(t)
			c, err := prism.Dial(ctx, listener.Addr().String(), prism.WithInsecure())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			e, err := c.ExplainByExample(ctx, "fake", in, prism.Neighbours(1))
			if extra == 0 {
				if err != nil || len(e.Instances) != 3 {
					t.Fatalf("a well-counted answer: %v, %v", e, err)
				}
				return
			}
			want := fmt.Sprintf("the server answered %d instances, the request has 3", 3+extra)
			if err == nil || !strings.Contains(err.Error(), want) || e != nil {
				t.Fatalf("%d entries for 3 instances: %v, %v; want an error %q", 3+extra, e, err, want)
			}
		})
	}
}
