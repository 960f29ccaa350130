"""Data and helpers the tests share."""

import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Classic iris flowers (Fisher's data set): one of each species, in the model's feature order.
SETOSA = [5.1, 3.5, 1.4, 0.2]
VERSICOLOR = [7.0, 3.2, 4.7, 1.4]
VIRGINICA = [6.3, 3.3, 6.0, 2.5]
IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
IRIS_OUTPUTS = ["setosa", "versicolor", "virginica"]


@dataclass
class Server:
    target: str
    metrics_url: str
    models: Path

    def explain_requests(self) -> float:
        """Explain and StreamExplain requests the server has received, from its gRPC metrics."""
        text = urllib.request.urlopen(self.metrics_url, timeout=10).read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith("grpc_server_requests_received_messages_total{") and (
                    'method="Explain"' in line or 'method="StreamExplain"' in line):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def background(self, model: str) -> np.ndarray:
        """The model's bundled background rows (header line skipped)."""
        return np.loadtxt(self.models / model / "background.csv", delimiter=",", skiprows=1, ndmin=2)
