"""explain_by_example on a server of its own whose iris and diabetes declare reference sets, and
whose "embedded" network declares an embedding output, every answer checked against a brute-force
scan of the reference set in numpy."""

import asyncio
import json
import shutil

import numpy as np
import onnxruntime
import pytest
from helpers import IRIS_FEATURES, IRIS_OUTPUTS, REPO, start_prism

from prism_client import (AsyncClient, Client, FailedPreconditionError, InvalidArgumentError, NotFoundError, PrismError,
                          _request, examples)
from prism_client._proto.prism.v1 import example_service_pb2

QUERIES = np.array([[5.0, 3.4, 1.5, 0.2], [6.1, 2.8, 4.7, 1.2], [6.9, 3.1, 5.4, 2.1], [5.9, 2.9, 4.9, 1.6]])


class Reference:
    """A model's reference set as the test wrote it."""

    def __init__(self, rows: np.ndarray, labels: np.ndarray | None, categorical: list[bool]):
        self.rows = rows
        self.labels = labels
        self.categorical = np.array(categorical)
        # Population statistics, as the server standardises by.
        self.mean = rows.mean(axis=0)
        self.sd = rows.std(axis=0)

    def distances(self, query: np.ndarray, members: np.ndarray | None = None) -> np.ndarray:
        """Standardised Euclidean distance by the textbook formula, a categorical feature adding 1
        when the values differ, a feature constant in the reference left out."""
        rows = self.rows if members is None else members
        squared = np.zeros(len(rows))
        for j in range(rows.shape[1]):
            if self.categorical[j]:
                squared += rows[:, j] != query[j]
            elif self.sd[j] > 0:
                squared += ((rows[:, j] - self.mean[j]) / self.sd[j] - (query[j] - self.mean[j]) / self.sd[j]) ** 2
        return np.sqrt(squared)


def as_sent(x: np.ndarray) -> np.ndarray:
    """The instances as the server sees them: float32 on the wire."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def nearest(distances: np.ndarray, k: int) -> np.ndarray:
    """The k nearest rows, ties in row order."""
    return np.lexsort((np.arange(len(distances)), distances))[:k]


@pytest.fixture(scope="module")
def reference_server(tmp_path_factory):
    repo = tmp_path_factory.mktemp("examples")
    for model in ("iris", "diabetes", "breast_cancer"):
        shutil.copytree(REPO / "models" / model, repo / model)
    iris = np.loadtxt(repo / "iris" / "background.csv", delimiter=",", skiprows=1)
    labels = np.arange(len(iris)) * 7 % 3
    # The label column sits between features, and must not be read as one.
    lines = ["sepal_length,species,sepal_width,petal_length,petal_width"]
    lines += [",".join(repr(float(v)) for v in (r[0], label, *r[1:])) for r, label in zip(iris, labels)]
    (repo / "iris" / "reference.csv").write_text("\n".join(lines) + "\n")
    configure(repo / "iris", referenceFile="reference.csv", referenceLabelColumn="species")
    configure(repo / "diabetes", referenceFile="background.csv", categoricalFeatures=["sex"])
    diabetes = np.loadtxt(repo / "diabetes" / "background.csv", delimiter=",", skiprows=1)
    embedded = embedded_model(repo / "embedded")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRISM_MODELS", str(repo))
        with start_prism() as server, Client(server.target, timeout=120) as client:
            yield client, server, {"iris": Reference(iris, labels.astype(float), [False] * 4),
                                   "diabetes": Reference(diabetes, None, [name == "sex" for name in DIABETES]),
                                   "embedded": Reference(embedded, None, [False] * 4)}


DIABETES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def configure(folder, **fields) -> None:
    config = json.loads((folder / "config.json").read_text())
    config.update(fields)
    (folder / "config.json").write_text(json.dumps(config))


# No bundled model has an embedding output, so the test writes one: x [N,4] -> MatMul W1 -> Relu ->
# "embedding" [N,3] -> MatMul W2 -> Softmax -> "probabilities" [N,2], with the embedding a second
# graph output. The onnx package is not a test dependency: the protobuf is written field by field.
W1 = np.array([[0.5, -1, 0.25], [1.5, 0.5, -0.75], [-0.5, 2, 1], [0.25, -0.25, 1.25]], dtype=np.float32)
W2 = np.array([[1, -1], [-0.5, 0.75], [2, -1.5]], dtype=np.float32)
EMBEDDED_QUERIES = np.array([[1, 0.5, -0.25, 2], [-1.5, 0.75, 1, 0], [0.25, -2, 0.5, -1], [0.5, 1.25, -1, 0.75]])


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, value: int | str | bytes) -> bytes:
    """One protobuf field: an int as a varint, a string or bytes (a nested message) length-delimited."""
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _onnx_tensor(name: str, array: np.ndarray) -> bytes:
    """TensorProto: dims, data_type FLOAT, name, raw_data (little-endian float32)."""
    return b"".join([*(_field(1, d) for d in array.shape), _field(2, 1), _field(8, name),
                     _field(9, array.astype("<f4").tobytes())])


def _onnx_value(name: str, width: int) -> bytes:
    """ValueInfoProto of a float tensor [N, width]: type.tensor_type {elem_type FLOAT, shape}."""
    shape = _field(1, _field(2, "N")) + _field(1, _field(1, width))
    return _field(1, name) + _field(2, _field(1, _field(1, 1) + _field(2, shape)))


def _onnx_node(op: str, inputs: list[str], outputs: list[str]) -> bytes:
    """NodeProto: inputs, outputs, op_type (default domain)."""
    return b"".join([*(_field(1, i) for i in inputs), *(_field(2, o) for o in outputs), _field(4, op)])


def embedded_model(folder) -> np.ndarray:
    """Writes the embedding network with a reference set of 80 rows (multiples of 1/32, exact in
    float32) into `folder`, the embedding output named by its config; returns the rows."""
    folder.mkdir()
    graph = b"".join([
        _field(1, _onnx_node("MatMul", ["x", "w1"], ["pre"])),
        _field(1, _onnx_node("Relu", ["pre"], ["embedding"])),
        _field(1, _onnx_node("MatMul", ["embedding", "w2"], ["logits"])),
        _field(1, _onnx_node("Softmax", ["logits"], ["probabilities"])),
        _field(2, "embedded"), _field(5, _onnx_tensor("w1", W1)), _field(5, _onnx_tensor("w2", W2)),
        _field(11, _onnx_value("x", 4)), _field(12, _onnx_value("probabilities", 2)),
        _field(12, _onnx_value("embedding", 3))])
    # ModelProto: ir_version 8, graph, opset_import {version 17} of the default domain.
    (folder / "model.onnx").write_bytes(_field(1, 8) + _field(7, graph) + _field(8, _field(2, 17)))
    rows = np.round(np.random.default_rng(17).normal(size=(80, 4)) * 64) / 32
    lines = ["f0,f1,f2,f3"] + [",".join(repr(float(v)) for v in r) for r in rows]
    (folder / "reference.csv").write_text("\n".join(lines) + "\n")
    # No score_outputs: the embedding output is left out of the scores.
    (folder / "config.json").write_text(json.dumps({
        "referenceFile": "reference.csv", "embeddingOutput": "embedding", "outputKind": "OUTPUT_KIND_PROBABILITY"}))
    return rows


def test_input_space_neighbours_are_the_brute_force_ones(reference_server):
    client, _, references = reference_server
    iris = references["iris"]
    predictions = client.predict("iris", iris.rows)
    result = client.explain_by_example("iris", QUERIES, k=7)
    assert result.model == "iris" and len(result) == 4
    assert result.feature_names == IRIS_FEATURES and result.output_names == IRIS_OUTPUTS
    instance_predictions = client.predict("iris", QUERIES)
    for q, query in enumerate(as_sent(QUERIES)):
        distances = iris.distances(query)
        found = result[q]
        np.testing.assert_array_equal(found.rows, nearest(distances, 7))
        np.testing.assert_allclose(found.distances, distances[found.rows], rtol=0, atol=1e-12)
        np.testing.assert_allclose(found.prediction, instance_predictions[q], rtol=0, atol=1e-6)
        assert found.predicted_class == np.argmax(instance_predictions[q])
        assert found.unlike_neighbour is None and found.embedding is None
        for n in found.neighbours:
            np.testing.assert_array_equal(n.values, iris.rows[n.row])
            np.testing.assert_allclose(n.prediction, predictions[n.row], rtol=0, atol=1e-6)
            assert n.predicted_class == np.argmax(predictions[n.row])
            assert n.label == iris.labels[n.row]
    assert result.prototypes is None


def test_a_categorical_feature_adds_one_when_it_differs(reference_server):
    client, _, references = reference_server
    diabetes = references["diabetes"]
    # Reference rows themselves, one with its sex flipped to the other category.
    queries = diabetes.rows[[3, 40, 77]].copy()
    queries[1, 1] = diabetes.rows[0, 1] if queries[1, 1] != diabetes.rows[0, 1] else -diabetes.rows[0, 1]
    result = client.explain_by_example("diabetes", queries, k=10)
    for q, query in enumerate(as_sent(queries)):
        distances = diabetes.distances(query)
        np.testing.assert_array_equal(result[q].rows, nearest(distances, 10))
        np.testing.assert_allclose(result[q].distances, distances[result[q].rows], rtol=0, atol=1e-12)
        assert result[q].predicted_class == -1
        assert all(n.label is None and n.predicted_class == -1 for n in result[q].neighbours)
    # The category sent as float32 equals no reference value: every distance carries its 1.
    assert result[0].distances[0] >= 1.0


def test_output_space_neighbours_are_nearest_in_the_scores(reference_server):
    client, _, references = reference_server
    iris = references["iris"]
    scores = client.predict("iris", iris.rows)
    result = client.explain_by_example("iris", QUERIES, k=5, space="output")
    for q in range(len(QUERIES)):
        distances = np.sqrt(((scores - result[q].prediction) ** 2).sum(axis=1))
        np.testing.assert_array_equal(result[q].rows, nearest(distances, 5))
        np.testing.assert_allclose(result[q].distances, distances[result[q].rows], rtol=0, atol=1e-6)


def test_embedding_space_neighbours_are_nearest_in_the_models_embedding(reference_server):
    client, server, references = reference_server
    embedded = references["embedded"]
    # The model's outputs computed here by onnxruntime: a second source for the server's.
    session = onnxruntime.InferenceSession(str(server.models / "embedded" / "model.onnx"),
                                           providers=["CPUExecutionProvider"])
    probabilities, embeddings = session.run(["probabilities", "embedding"],
                                            {"x": EMBEDDED_QUERIES.astype(np.float32)})
    (reference_embeddings,) = session.run(["embedding"], {"x": embedded.rows.astype(np.float32)})
    # The network written is the one meant: relu(x W1).
    np.testing.assert_allclose(embeddings, np.maximum(EMBEDDED_QUERIES @ W1, 0), rtol=0, atol=1e-6)
    k = 7
    result = client.explain_by_example("embedded", EMBEDDED_QUERIES, k=k, space="embedding")
    assert result.model == "embedded" and len(result) == len(EMBEDDED_QUERIES)
    # The config names no features: the defaults.
    assert result.feature_names == ["f0", "f1", "f2", "f3"]
    assert result.output_names == ["probabilities[0]", "probabilities[1]"]
    in_input_space = client.explain_by_example("embedded", EMBEDDED_QUERIES, k=k)
    for q, found in enumerate(result.instances):
        np.testing.assert_allclose(found.embedding, embeddings[q], rtol=0, atol=1e-6)
        np.testing.assert_allclose(found.prediction, probabilities[q], rtol=0, atol=1e-6)
        assert found.predicted_class == np.argmax(probabilities[q])
        squared = ((reference_embeddings.astype(np.float64) - embeddings[q].astype(np.float64)) ** 2).sum(axis=1)
        np.testing.assert_array_equal(found.rows, nearest(squared, k))
        np.testing.assert_allclose(found.distances, np.sqrt(squared[found.rows]), rtol=0, atol=1e-6)
        for n in found.neighbours:
            np.testing.assert_array_equal(n.values, embedded.rows[n.row])
        assert in_input_space[q].embedding is None
    # The space matters: some instance's neighbours differ from its input-space ones.
    assert any(not np.array_equal(a.rows, b.rows) for a, b in zip(result.instances, in_input_space.instances))


def test_the_unlike_neighbour_is_the_nearest_row_of_another_class(reference_server):
    client, _, references = reference_server
    iris = references["iris"]
    classes = np.argmax(client.predict("iris", iris.rows), axis=1)
    threshold = 0.5
    result = client.explain_by_example("iris", QUERIES, k=0, unlike_neighbour=threshold)
    for q, query in enumerate(as_sent(QUERIES)):
        assert result[q].neighbours == ()
        distances = iris.distances(query)
        unlike = np.flatnonzero(classes != result[q].predicted_class)
        expected = unlike[nearest(distances[unlike], 1)[0]]
        found = result[q].unlike_neighbour
        assert found.example.row == expected
        assert found.example.predicted_class == classes[expected] != result[q].predicted_class
        assert found.example.distance == pytest.approx(distances[expected], abs=1e-12)
        differences = (iris.rows[expected] - query) / iris.sd
        beyond = [j for j in np.argsort(-np.abs(differences), kind="stable") if abs(differences[j]) > threshold]
        assert [f.index for f in found.differing_features] == beyond
        for f in found.differing_features:
            assert f.name == IRIS_FEATURES[f.index]
            assert f.instance_value == pytest.approx(query[f.index], abs=1e-12)
            assert f.neighbour_value == iris.rows[expected, f.index]
            assert f.standardised_difference == pytest.approx(differences[f.index], abs=1e-12)


def test_prototypes_of_the_reference_set_are_the_greedy_mmd_choice(reference_server):
    client, _, references = reference_server
    iris = references["iris"]
    sigma = 1.5
    result = client.explain_by_example("iris", QUERIES[:1], k=0,
                                       prototypes={"set": "reference", "prototypes": 4, "criticisms": 3,
                                                   "bandwidth": sigma})
    p = result.prototypes
    assert p.set == "reference" and p.bandwidth == sigma
    kernel = np.exp(-np.array([iris.distances(r) for r in iris.rows]) ** 2 / (2 * sigma**2))
    n = len(kernel)
    chosen: list[int] = []
    mmd = []
    for _ in range(4):
        def objective(s):
            return 2 / (n * len(s)) * kernel[:, s].sum() - kernel[np.ix_(s, s)].sum() / len(s) ** 2
        best = max((c for c in range(n) if c not in chosen), key=lambda c: (objective(chosen + [c]), -c))
        chosen.append(best)
        mmd.append(kernel.mean() - objective(chosen))
    np.testing.assert_array_equal(p.prototypes, chosen)
    np.testing.assert_allclose(p.mmd_squared, mmd, rtol=0, atol=1e-12)
    assert len(p.criticisms) == 3 and not set(p.criticisms) & set(chosen)
    witness = kernel.mean(axis=1) - kernel[:, chosen].mean(axis=1)
    np.testing.assert_allclose(p.witness, witness[p.criticisms], rtol=0, atol=1e-12)


def test_prototypes_of_the_instances_by_default(reference_server):
    client, _, _ = reference_server
    p = client.explain_by_example("iris", QUERIES, k=1, prototypes={"prototypes": 2}).prototypes
    assert p.set == "instances" and len(p.prototypes) == 2 and len(p.criticisms) == 0
    assert set(p.prototypes) <= set(range(len(QUERIES))) and p.bandwidth > 0


def test_the_async_client_answers_alike(reference_server):
    client, server, _ = reference_server
    expected = client.explain_by_example("iris", QUERIES, k=3, unlike_neighbour=True)

    async def ask():
        async with AsyncClient(server.target) as c:
            return await c.explain_by_example("iris", QUERIES, k=3, unlike_neighbour=True)

    awaited = asyncio.run(ask())
    for a, b in zip(awaited.instances, expected.instances):
        np.testing.assert_array_equal(a.rows, b.rows)
        np.testing.assert_array_equal(a.distances, b.distances)
        assert a.unlike_neighbour.example.row == b.unlike_neighbour.example.row
        assert a.unlike_neighbour.differing_features == b.unlike_neighbour.differing_features


def test_refusals_surface_as_the_clients_errors(reference_server):
    examples, server, _ = reference_server
    with pytest.raises(FailedPreconditionError, match="reference_file"):
        examples.explain_by_example("breast_cancer", server.background("breast_cancer")[:2], k=3)
    with pytest.raises(FailedPreconditionError):
        examples.explain_by_example("diabetes", np.zeros((1, 10)), k=1, unlike_neighbour=0.0)
    with pytest.raises(InvalidArgumentError) as refused:
        examples.explain_by_example("iris", QUERIES, k=1001)
    assert any(field == "k" for field, _ in refused.value.field_violations), refused.value
    with pytest.raises(NotFoundError):
        examples.explain_by_example("no_such_model", QUERIES, k=1)


@pytest.mark.parametrize("arguments, error, message", [
    ({"space": "latent"}, ValueError, "space must be one of \\['input', 'output', 'embedding'\\]"),
    ({"unlike_neighbour": "near"}, TypeError, "unlike_neighbour takes a threshold"),
    ({"prototypes": 3}, TypeError, "prototypes takes a mapping"),
    ({"prototypes": {"count": 3}}, ValueError, "prototypes has no parameter 'count'"),
    ({"k": 2.5}, TypeError, "k must be an integer"),
])
def test_bad_arguments_are_refused_before_any_call(reference_server, arguments, error, message):
    client, _, _ = reference_server
    with pytest.raises(error, match=message):
        client.explain_by_example("iris", QUERIES, **arguments)


@pytest.mark.parametrize("space, sent", [
    ("input", example_service_pb2.EXAMPLE_SPACE_INPUT),
    ("output", example_service_pb2.EXAMPLE_SPACE_OUTPUT),
    ("embedding", example_service_pb2.EXAMPLE_SPACE_EMBEDDING),
    ("EXAMPLE_SPACE_OUTPUT", example_service_pb2.EXAMPLE_SPACE_OUTPUT),
])
def test_each_space_is_sent_by_name(reference_server, space, sent):
    client, _, _ = reference_server
    request = _request.example_request(client.model("iris"), QUERIES, 2, space, None, None)
    assert request.space == sent and request.k == 2 and not request.HasField("unlike_neighbour")


@pytest.mark.parametrize("answered", [0, 2, 4])
def test_an_answer_without_one_entry_per_instance_is_an_error(answered):
    request = example_service_pb2.ExplainByExampleRequest(model="m")
    request.instances.shape.extend([3, 2])
    response = example_service_pb2.ExplainByExampleResponse(
        model="m", instances=[example_service_pb2.InstanceExamples() for _ in range(answered)])
    with pytest.raises(PrismError, match=f"answered {answered} instances, the request has 3"):
        examples.example_result(response, request)
    del response.instances[3:]
    response.instances.extend(example_service_pb2.InstanceExamples() for _ in range(3 - len(response.instances)))
    assert len(examples.example_result(response, request)) == 3
