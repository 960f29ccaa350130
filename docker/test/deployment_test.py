"""The deployment files against a live Prism: Prometheus, Grafana's queries, the image and compose.

A real Prometheus scrapes a live Prism with the compose scrape config and answers every query of the
Grafana dashboard and the autoscalers' query of the Kubernetes manifests, and evaluates the example
alert rules on the explanations' evaluation metrics; the image's health check
runs against that Prism; the compose file and the build context are read as Docker reads them.
Started by docker/test/run.sh, which sets PRISM_JAR, PRISM_MODELS, PROMETHEUS_BIN, PROMTOOL_BIN,
BUILDCHECK_BIN and KUBERNETES_RENDERED (deploy/kubernetes/check.sh's rendered overlays). Prism and
Prometheus run on free loopback ports and are stopped however the test ends.
"""

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
COMPOSE = DOCKER / "compose.yaml"
SCRAPE_CONFIG = DOCKER / "prometheus" / "prometheus.yml"
ALERT_RULES = DOCKER / "prometheus" / "alerts.yml"
ALERT_RULES_TEST = DOCKER / "test" / "alerts_test.yml"
DASHBOARD = DOCKER / "grafana" / "dashboards" / "prism.json"
PROVISIONING = DOCKER / "grafana" / "provisioning"
DATASOURCES = PROVISIONING / "datasources"
DASHBOARD_PROVIDERS = PROVISIONING / "dashboards"
COMPOSE_TARGET = "prism:9464"
SCRAPE_INTERVAL_S = 1
# What Grafana's interval variables become here: at least four scrapes, as $__rate_interval does.
GRAFANA_INTERVALS = {"__rate_interval": "1m", "__interval": "1m", "__range": "5m"}
# The pod labels a Kubernetes Prometheus adds to each scraped pod's series (the namespace, from
# __meta_kubernetes_namespace), given here to the one static target: the namespace of the rendered manifests.
KUBERNETES_NAMESPACE = "prism"
PRISM_START_S = 180
IRIS = "5.1,3.5,1.4,0.2"
# Every metric an Explain request's evaluate can ask for, over HTTP/JSON: the prism CLI does not ask.
EVALUATE = {"deletion": {}, "infidelity": {"seed": 3}, "sensitivity": {"topK": 2, "seed": 5}, "complexity": {}}
BREAST_CANCER = ("17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871,1.095,0.9053,8.589,153.4,"
                 "0.006399,0.04904,0.05373,0.01587,0.03003,0.006193,25.38,17.33,184.6,2019,0.1622,0.6656,0.7119,"
                 "0.2654,0.4601,0.1189")


def env_path(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set; run docker/test/run.sh")
    path = Path(value)
    if not path.exists():
        raise RuntimeError(f"{name}={value} does not exist")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def log_tail(path, lines=40):
    text = Path(path).read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


def wait_until(what, condition, timeout_s, explain=lambda: ""):
    """Polls condition() until it returns something truthy; fails with what and explain() after the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}. {explain()}")
        time.sleep(0.25)


class Stack:
    """Prism, Prometheus and their temporary files; stop() ends whatever was started."""

    def __init__(self):
        self.jar = env_path("PRISM_JAR")
        self.models = env_path("PRISM_MODELS")
        self.prometheus_bin = env_path("PROMETHEUS_BIN")
        self.promtool_bin = env_path("PROMTOOL_BIN")
        self.buildcheck_bin = env_path("BUILDCHECK_BIN")
        self.kubernetes_rendered = env_path("KUBERNETES_RENDERED")
        self.dir = tempfile.TemporaryDirectory(prefix="prism-deployment-test-")
        self.work = Path(self.dir.name)
        self.processes = []

    def start_prism(self):
        self.prism_log = self.work / "prism.log"
        with open(self.prism_log, "w") as log:
            self.processes.append(subprocess.Popen(
                # Every Explain request is also evaluated by sampling, so that its metrics have series.
                ["java", "-jar", str(self.jar), "serve", "--port", "0", "--metrics-port", "0", "--http-port", "0",
                 "--evaluate-sample-rate", "1", "--model-repository", str(self.models)],
                stdout=log, stderr=subprocess.STDOUT))
        prism = self.processes[-1]
        ready = re.compile(r"^prism: serving .* on port (\d+), HTTP/JSON on port (\d+), metrics on port (\d+) at "
                           r"/metrics$", re.MULTILINE)

        def started():
            if prism.poll() is not None:
                raise AssertionError(f"Prism exited with {prism.returncode}:\n{log_tail(self.prism_log)}")
            return ready.search(self.prism_log.read_text(errors="replace"))

        match = wait_until("Prism to start", started, PRISM_START_S, lambda: log_tail(self.prism_log))
        self.grpc_port, self.http_port, self.metrics_port = (int(g) for g in match.groups())
        self.prism_target = f"127.0.0.1:{self.grpc_port}"
        self.metrics_target = f"127.0.0.1:{self.metrics_port}"

    def write_scrape_config(self):
        """The compose scrape config with only Prism's address, its pod labels and the scrape interval changed."""
        text = SCRAPE_CONFIG.read_text()
        target = re.search(rf'(?m)^(\s*)- targets: \["{re.escape(COMPOSE_TARGET)}"\]$', text)
        if text.count(COMPOSE_TARGET) != 1 or not target:
            raise AssertionError(f'{SCRAPE_CONFIG} should name the target {COMPOSE_TARGET} once, as - targets: ["..."]')
        indent = target.group(1) + "  "
        text = text.replace(target.group(0), f'{target.group(1)}- targets: ["{self.metrics_target}"]\n'
                                             f"{indent}labels:\n{indent}  namespace: {KUBERNETES_NAMESPACE}")
        text, intervals = re.subn(r"(?m)^(\s*scrape_interval:\s*)\S+", rf"\g<1>{SCRAPE_INTERVAL_S}s", text)
        if intervals != 1:
            raise AssertionError(f"{SCRAPE_CONFIG} should set scrape_interval once, found {intervals}")
        self.config = self.work / "prometheus.yml"
        self.config.write_text(text)
        # rule_files names the alert rules relative to the config, as in compose: copied beside it.
        (self.work / ALERT_RULES.name).write_text(ALERT_RULES.read_text())

    def start_prometheus(self):
        port = free_port()
        self.prometheus_url = f"http://127.0.0.1:{port}"
        self.prometheus_log = self.work / "prometheus.log"
        with open(self.prometheus_log, "w") as log:
            self.processes.append(subprocess.Popen(
                [str(self.prometheus_bin), f"--config.file={self.config}",
                 f"--storage.tsdb.path={self.work / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"],
                stdout=log, stderr=subprocess.STDOUT))
        prometheus = self.processes[-1]

        def ready():
            if prometheus.poll() is not None:
                raise AssertionError(f"Prometheus exited with {prometheus.returncode}:\n"
                                     f"{log_tail(self.prometheus_log)}")
            try:
                return http_get(f"{self.prometheus_url}/-/ready", timeout=2) is not None
            except OSError:
                return False

        wait_until("Prometheus to be ready", ready, 60, lambda: log_tail(self.prometheus_log))

    def prism_cli(self, *args):
        return subprocess.run(["java", "-jar", str(self.jar), *args], capture_output=True, text=True, timeout=300)

    def explain(self, *args, expect_exit=0):
        run = self.prism_cli("explain", "--target", self.prism_target, *args)
        if run.returncode != expect_exit:
            raise AssertionError(f"prism explain {' '.join(args)} exited {run.returncode}, expected {expect_exit}:\n"
                                 f"{run.stdout}{run.stderr}")
        return run

    def explain_json(self, request):
        """An Explain request over HTTP/JSON; its response."""
        post = urllib.request.Request(f"http://127.0.0.1:{self.http_port}/prism/v1/explain",
                                      data=json.dumps(request).encode(), headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(post, timeout=120) as response:
                return json.loads(response.read().decode())
        except urllib.error.HTTPError as e:
            raise AssertionError(f"Explain {request} answered {e.code}: {e.read().decode()}")

    def api(self, path, **params):
        """A Prometheus HTTP API call; its data, or an AssertionError with Prometheus' own error."""
        url = f"{self.prometheus_url}/api/v1/{path}?{urllib.parse.urlencode(params, doseq=True)}"
        try:
            body = json.loads(http_get(url))
        except urllib.error.HTTPError as e:
            body = json.loads(e.read().decode())
        if body.get("status") != "success":
            raise AssertionError(f"Prometheus refused {path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr):
        data = self.api("query", query=expr)
        if data["resultType"] != "vector":
            raise AssertionError(f"{expr} gave a {data['resultType']}, not a vector")
        return data["result"]

    def value(self, expr):
        """The single value of an expression, or None while it has no series."""
        result = self.query(expr)
        if len(result) > 1:
            raise AssertionError(f"{expr} has {len(result)} series, expected one: {result}")
        return float(result[0]["value"][1]) if result else None

    def total_served(self, metric):
        """The sum of a metric's series in Prism's own /metrics text right now."""
        values = [float(line.split()[-1]) for line in http_get(f"http://{self.metrics_target}/metrics").splitlines()
                  if re.match(rf"{metric}[{{ ]", line)]
        if not values:
            raise AssertionError(f"Prism's /metrics has no {metric}")
        return sum(values)

    def scraped_directly(self, series):
        """A series' value in Prism's own /metrics text right now."""
        for line in http_get(f"http://{self.metrics_target}/metrics").splitlines():
            if line.startswith(series + " "):
                return float(line.split()[-1])
        raise AssertionError(f"Prism's /metrics has no series {series}")

    def print_logs(self):
        for name in ["prism.log", "prometheus.log"]:
            if (self.work / name).exists():
                print(f"--- last lines of {name} ---\n{log_tail(self.work / name)}", file=sys.stderr)

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=45)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.dir.cleanup()


def dockerfile_instructions():
    """docker/Dockerfile as a list of (INSTRUCTION, arguments), comments left out, continuations joined."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    instructions = []
    for line in "\n".join(lines).replace("\\\n", " ").splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            instructions.append((instruction.upper(), arguments.strip()))
    return instructions


def dockerfile_stages():
    """Each build stage of docker/Dockerfile as a list of (INSTRUCTION, arguments)."""
    stages = []
    for instruction, arguments in dockerfile_instructions():
        if instruction == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instruction, arguments))
    return stages


def dockerfile_global_args():
    """The ARGs before the first FROM, which FROM lines may use, with their defaults."""
    args = {}
    for instruction, arguments in dockerfile_instructions():
        if instruction == "FROM":
            break
        if instruction == "ARG":
            name, _, default = arguments.partition("=")
            args[name] = default
    return args


def stage_image(stage):
    """The image a stage starts from, its global ARGs replaced by their defaults."""
    image = stage[0][1].split()[0]
    return re.sub(r"\$\{(\w+)\}", lambda m: dockerfile_global_args()[m.group(1)], image)


def instruction_arguments(stage, instruction):
    return [arguments for name, arguments in stage if name == instruction]


def pinned(image):
    """A tag with a version number in it: not floating with every release of the base image."""
    name, _, tag = image.partition(":")
    return bool(name) and tag != "latest" and re.search(r"\d+\.\d+", tag) is not None


def dashboard_queries(dashboard):
    """(where, PromQL) for every panel target, nested rows included."""
    queries = []

    def walk(panels):
        for panel in panels:
            for target in panel.get("targets", []):
                if "expr" not in target:
                    raise AssertionError(f"panel '{panel.get('title')}' target {target.get('refId')} has no expr")
                queries.append((f"panel '{panel.get('title')}' {target.get('refId')}", target["expr"]))
            walk(panel.get("panels", []))

    walk(dashboard["panels"])
    return queries


def grafana_variables(dashboard):
    """Each template variable's value when All is selected: its allValue."""
    values = dict(GRAFANA_INTERVALS)
    for variable in dashboard.get("templating", {}).get("list", []):
        if not variable.get("includeAll") or "allValue" not in variable:
            raise AssertionError(f"variable ${variable['name']} needs includeAll and an allValue for this test")
        values[variable["name"]] = variable["allValue"]
    return values


def substitute(expr, variables):
    """Replaces $name and ${name}; an unknown variable fails, rather than reaching Prometheus as text."""
    def value(match):
        name = match.group(1) or match.group(2)
        if name not in variables:
            raise AssertionError(f"unknown Grafana variable ${name} in: {expr}")
        return variables[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, expr)


STACK = None


def setUpModule():
    global STACK
    STACK = Stack()
    STACK.start_prism()
    STACK.write_scrape_config()
    STACK.start_prometheus()
    send_requests(STACK)


def send_requests(s):
    """Two rounds of explanations, each scraped before the next, so every rate() sees an increase."""
    for _ in range(2):
        s.explain("--model", "iris", "--method", "exact_shapley", "--instance", IRIS)
        # The same explanation evaluated with every metric: the sampled one above computes only some.
        s.evaluated = s.explain_json({"model": "iris", "exactShapley": {}, "evaluate": EVALUATE,
                                      "inputs": [{"shape": [1, 4], "doubleData": [float(v) for v in IRIS.split(",")]}]})
        # iris is a forest: tree_shap reads its trees, tabulating its default background once.
        s.explain("--model", "iris", "--method", "tree_shap", "--instance", IRIS)
        s.explain("--model", "breast_cancer", "--method", "kernel_shap", "--nsamples", "256",
                  "--instance", BREAST_CANCER)
        # Failures too: an explanation with a bad shape and a model that does not exist.
        s.explain("--model", "iris", "--instance", "1,2,3", expect_exit=1)
        s.explain("--model", "no_such_model", "--instance", "1,2,3,4", expect_exit=1)
        for metric in ["prism_explanations_total", "prism_model_rows_total"]:
            served = s.total_served(metric)
            wait_until(f"Prometheus to scrape {metric} = {served}",
                       lambda: s.value(f"sum({metric})") == served, 30,
                       lambda: f"Prometheus has {s.value(f'sum({metric})')}")
    # rate() needs two samples of a series in its range; a series born in the last scrape has one.
    wait_until("two samples of every explanation series",
               lambda: (s.value("min(count_over_time(prism_explanations_total[1m]))") or 0) >= 2, 30)


class PrometheusScrapesPrism(unittest.TestCase):
    def test_promtool_accepts_the_compose_scrape_config(self):
        check = subprocess.run([str(STACK.promtool_bin), "check", "config", str(SCRAPE_CONFIG)],
                               capture_output=True, text=True)
        self.assertEqual(0, check.returncode, check.stdout + check.stderr)

    def test_the_prism_target_is_up(self):
        targets = STACK.api("targets", state="active")["activeTargets"]
        self.assertEqual(1, len(targets), targets)
        target = targets[0]
        self.assertEqual("up", target["health"], target.get("lastError"))
        self.assertEqual(f"http://{STACK.metrics_target}/metrics", target["scrapeUrl"])
        self.assertEqual("prism", target["labels"]["job"])
        self.assertEqual(1.0, STACK.value(f'up{{job="prism", instance="{STACK.metrics_target}"}}'))

    def test_scheduler_metrics_are_scraped(self):
        for metric in ["prism_scheduler_queue_rows", "prism_scheduler_jobs", "prism_scheduler_batch_rows_bucket",
                       "prism_scheduler_queue_wait_seconds_bucket", "prism_model_run_seconds_bucket",
                       "prism_model_rows_total", "prism_model_run_failures_total"]:
            with self.subTest(metric=metric):
                self.assertTrue(STACK.query(f'{metric}{{model="iris"}}'), f"no {metric} for iris")
        self.assertEqual(0.0, STACK.value('prism_scheduler_queue_rows{model="iris"}'), "the queue drained")
        self.assertGreater(STACK.value('prism_scheduler_batch_rows_count{model="iris"}'), 0)
        # Every evaluated row went through exactly one batch.
        self.assertEqual(STACK.value('prism_model_rows_total{model="iris"}'),
                         STACK.value('prism_scheduler_batch_rows_sum{model="iris"}'))

    def test_prometheus_holds_what_prism_serves(self):
        # graph="" is the model's own scheduler: Prometheus stores an empty label as no label.
        for series in ['prism_model_rows_total{graph="",model="breast_cancer"}',
                       'prism_explanations_total{method="exact_shapley",model="iris",status="OK"}',
                       'prism_explanations_total{method="auto",model="iris",status="INVALID_ARGUMENT"}']:
            with self.subTest(series=series):
                self.assertEqual(STACK.scraped_directly(series), STACK.value(series))
        self.assertEqual(2.0, STACK.value(
            'prism_explanations_total{method="kernel_shap",model="breast_cancer",status="OK"}'))

    def test_tree_shap_table_cache_metrics_are_scraped(self):
        # Two tree_shap requests on iris's default background: the first tabulated it, the second found it.
        self.assertEqual(1.0, STACK.value("prism_tree_shap_table_cache_entries"))
        self.assertGreater(STACK.value("prism_tree_shap_table_cache_bytes"), 0)
        self.assertEqual(1.0, STACK.value("prism_tree_shap_table_cache_hits_total"))
        self.assertEqual(1.0, STACK.value("prism_tree_shap_table_cache_misses_total"))
        self.assertEqual(0.0, STACK.value("prism_tree_shap_table_cache_evictions_total"))

    def test_rates_and_quantiles_have_values(self):
        rows_per_second = STACK.value('sum(rate(prism_model_rows_total{model="iris"}[1m]))')
        self.assertGreater(rows_per_second, 0)
        p50 = STACK.value('histogram_quantile(0.5, sum by (le) '
                          '(rate(prism_explanation_duration_seconds_bucket{model="iris"}[1m])))')
        self.assertTrue(math.isfinite(p50) and 0 < p50 < 300, f"median iris explanation took {p50} s")

    def test_every_dashboard_query_is_accepted_and_has_data(self):
        dashboard = json.loads(DASHBOARD.read_text())
        variables = grafana_variables(dashboard)
        queries = dashboard_queries(dashboard)
        self.assertGreaterEqual(len(queries), 20, "the dashboard lost its panels")
        for where, expr in queries:
            with self.subTest(query=where):
                promql = substitute(expr, variables)
                self.assertTrue(STACK.query(promql), f"{where} has no data: {promql}")

    def test_the_quality_quantile_panels_read_the_histograms_buckets(self):
        dashboard = json.loads(DASHBOARD.read_text())
        # Over the whole run, so that the check does not depend on when the last request was.
        variables = dict(grafana_variables(dashboard), model="breast_cancer", __rate_interval="1h")
        selector = '{model="breast_cancer", method="kernel_shap"}'
        for histogram in ["prism_explanation_efficiency_gap", "prism_explanation_standard_error"]:
            with self.subTest(histogram=histogram):
                quantiles = {re.match(r"histogram_quantile\(([\d.]+),", expr).group(1): expr
                             for _, expr in dashboard_queries(dashboard)
                             if expr.startswith("histogram_quantile(") and f"{histogram}_bucket" in expr}
                self.assertEqual({"0.5", "0.95"}, set(quantiles))
                # The smallest bucket bound that holds every value: each quantile lies between 0 and it.
                count = STACK.value(f"{histogram}_count{selector}")
                self.assertGreater(count or 0, 0, f"no {histogram} of breast_cancer's kernel_shap")
                bound = min(float(b["metric"]["le"]) for b in STACK.query(f"{histogram}_bucket{selector}")
                            if float(b["value"][1]) == count)
                for q, expr in quantiles.items():
                    [sample] = [r for r in STACK.query(substitute(expr, variables))
                                if r["metric"].get("method") == "kernel_shap"]
                    self.assertEqual("breast_cancer", sample["metric"]["model"])
                    value = float(sample["value"][1])
                    self.assertTrue(0 <= value <= bound, f"p{q} of {histogram} is {value}, its values <= {bound}")

    def test_the_model_variable_lists_the_served_models(self):
        dashboard = json.loads(DASHBOARD.read_text())
        for variable in dashboard["templating"]["list"]:
            definition = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            match = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", definition)
            self.assertIsNotNone(match, f"${variable['name']}: only label_values(metric, label) is checked here")
            metric, label = match.groups()
            values = STACK.api(f"label/{label}/values", **{"match[]": metric})
            self.assertTrue({"iris", "breast_cancer", "diabetes", "digits"} <= set(values), values)
            self.assertEqual([], [v for v in values if "/" in v], "attribution graphs have a label of their own")

    def test_the_series_keep_to_prometheus_conventions(self):
        # Base units, and no Micrometer _max gauge beside the histograms and summaries.
        self.assertGreater(STACK.value('process_cpu_seconds_total{job="prism"}'), 0)
        self.assertEqual([], STACK.query('{job="prism", __name__=~".+_max"}'))
        # A graph nobody asked for has its counters at zero and no histogram.
        self.assertEqual(0.0, STACK.value('prism_model_rows_total{model="digits_cnn", graph="deep_lift_logits"}'))
        self.assertEqual([], STACK.query('prism_model_run_seconds_bucket{model="digits_cnn", graph="deep_lift_logits"}'))
        # Errors are counted by reason from zero: the unknown model asked for twice above, and no refusal.
        not_found = 'prism_errors_total{reason="MODEL_NOT_FOUND"}'
        self.assertEqual(2.0, STACK.scraped_directly(not_found))
        wait_until(f"Prometheus to scrape {not_found} = 2", lambda: STACK.value(not_found) == 2.0, 30,
                   lambda: f"Prometheus has {STACK.value(not_found)}")
        self.assertEqual(0.0, STACK.value('prism_errors_total{reason="QUEUE_FULL"}'))

    def test_every_panel_uses_the_provisioned_data_source(self):
        uids = set()
        for provisioning in DATASOURCES.glob("*.yaml"):
            uids |= set(re.findall(r"(?m)^\s*uid:\s*(\S+)\s*$", provisioning.read_text()))
        self.assertEqual({"prometheus"}, uids)
        dashboard = json.loads(DASHBOARD.read_text())

        def walk(panels):
            for panel in panels:
                for item in [panel, *panel.get("targets", [])]:
                    if "datasource" in item:
                        self.assertIn(item["datasource"]["uid"], uids, panel.get("title"))
                walk(panel.get("panels", []))

        walk(dashboard["panels"])



def alert_rules():
    """{alert name: expression} of docker/prometheus/alerts.yml."""
    return {rule["alert"]: rule["expr"] for group in yaml.safe_load(ALERT_RULES.read_text())["groups"]
            for rule in group["rules"] if "alert" in rule}


def mean_areas(response, field):
    """The mean of a curve's normalised area over the response's explanations, each in [0, 1]."""
    areas = [e["evaluation"][field]["normalizedArea"] for e in response["explanations"]]
    if not all(0 <= a <= 1 for a in areas):
        raise AssertionError(f"a normalised {field} area outside [0, 1]: {areas}")
    return sum(areas) / len(areas)


class PrometheusAlertRules(unittest.TestCase):
    def test_promtool_accepts_the_alert_rules_and_their_unit_tests_pass(self):
        for command in [["check", "rules", str(ALERT_RULES)], ["test", "rules", str(ALERT_RULES_TEST)]]:
            with self.subTest(command=command[:2]):
                check = subprocess.run([str(STACK.promtool_bin), *command], capture_output=True, text=True)
                self.assertEqual(0, check.returncode, check.stdout + check.stderr)

    def test_prometheus_loads_and_evaluates_every_rule(self):
        defined = {rule.get("alert") or rule.get("record")
                   for group in yaml.safe_load(ALERT_RULES.read_text())["groups"] for rule in group["rules"]}

        def evaluated():
            rules = {rule["name"]: rule for group in STACK.api("rules")["groups"] for rule in group["rules"]}
            return rules if all(r["health"] == "ok" and r.get("evaluationTime") is not None
                                and not r["lastEvaluation"].startswith("0001") for r in rules.values()) else None

        rules = wait_until("Prometheus to evaluate every rule", evaluated, 30, lambda: STACK.api("rules"))
        self.assertEqual(defined, set(rules))
        [group] = STACK.api("rules")["groups"]
        self.assertEqual(Path(STACK.config.parent, ALERT_RULES.name), Path(group["file"]))
        self.assertEqual({"PrismExplanationFidelityLow", "PrismExplanationRankUnstable"},
                         {name for name, rule in rules.items() if rule["type"] == "alerting"})

    def test_the_alerts_are_quiet_for_exact_shapley_on_iris_whose_means_are_recorded(self):
        # Every iris exact_shapley evaluation had these values (the sampled one has the same full-length
        # deletion curve: iris has 4 features, the sampled curve 4 steps), so each 15-minute mean is theirs.
        response = STACK.evaluated
        deletion, insertion = mean_areas(response, "deletion"), mean_areas(response, "insertion")
        stabilities = [e["evaluation"]["sensitivity"]["rankStability"] for e in response["explanations"]]
        stability = sum(stabilities) / len(stabilities)
        self.assertLess(deletion, insertion, "exact Shapley values of iris are faithful")
        self.assertGreaterEqual(stability, 0.8)
        selector = '{model="iris", method="exact_shapley"}'
        for record, expected in [("model_method:prism_explanation_deletion_area_normalized:mean15m", deletion),
                                 ("model_method:prism_explanation_insertion_area_normalized:mean15m", insertion),
                                 ("model_method:prism_explanation_rank_stability:mean15m", stability)]:
            with self.subTest(record=record):
                wait_until(f"{record} = {expected}",
                           lambda: math.isclose(STACK.value(record + selector) or math.nan, expected, rel_tol=1e-9),
                           30, lambda: f"Prometheus has {STACK.query(record)}")
        for alert, expr in alert_rules().items():
            with self.subTest(alert=alert):
                self.assertEqual([], STACK.query(expr))
                self.assertEqual([], STACK.query(f'ALERTS{{alertname="{alert}"}}'))


def rendered_overlays():
    """{overlay: [resource, ...]} of every overlay deploy/kubernetes/check.sh rendered."""
    overlays = {path.stem: [r for r in yaml.safe_load_all(path.read_text()) if r]
                for path in sorted(STACK.kubernetes_rendered.glob("*.yaml"))}
    if not overlays:
        raise AssertionError(f"no rendered overlays in {STACK.kubernetes_rendered}")
    return overlays


def of_kind(resources, kind):
    return [r for r in resources if r["kind"] == kind]


class KubernetesManifests(unittest.TestCase):
    def test_the_keda_query_returns_prisms_queue(self):
        queries = {overlay: trigger["metadata"]["query"]
                   for overlay, resources in rendered_overlays().items()
                   for scaledobject in of_kind(resources, "ScaledObject")
                   for trigger in scaledobject["spec"]["triggers"] if trigger["type"] == "prometheus"}
        self.assertTrue({"cpu", "gpu"} <= set(queries), queries)
        for overlay, query in queries.items():
            with self.subTest(overlay=overlay):
                [sample] = STACK.query(query)
                self.assertEqual(STACK.total_served("prism_scheduler_queue_rows"), float(sample["value"][1]))
                # The namespace selects: another namespace's pods are not Prism's.
                other = query.replace(f'namespace="{KUBERNETES_NAMESPACE}"', 'namespace="elsewhere"')
                self.assertNotEqual(query, other)
                self.assertEqual([], STACK.query(other))

    def test_the_hpa_scales_on_the_keda_query(self):
        overlays = rendered_overlays()
        [hpa] = of_kind(overlays["cpu-hpa"], "HorizontalPodAutoscaler")
        [scaledobject] = of_kind(overlays["cpu"], "ScaledObject")
        [trigger] = scaledobject["spec"]["triggers"]
        [metric] = hpa["spec"]["metrics"]
        external = metric["external"]
        # What an external metrics adapter asks Prometheus for the metric and its selector.
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(external["metric"]["selector"]["matchLabels"].items()))
        query = f'sum({external["metric"]["name"]}{{{labels}}})'
        self.assertEqual(trigger["metadata"]["query"], query)
        self.assertEqual(("AverageValue", trigger["metadata"]["threshold"]),
                         (external["target"]["type"], external["target"]["averageValue"]))
        self.assertEqual(1, len(STACK.query(query)))

    def test_the_deployments_pass_serve_only_options_it_knows(self):
        known = set(re.findall(r"--[\w-]+", STACK.prism_cli("serve", "--help").stdout))
        for overlay, resources in rendered_overlays().items():
            [deployment] = of_kind(resources, "Deployment")
            [container] = deployment["spec"]["template"]["spec"]["containers"]
            self.assertEqual("serve", container["args"][0])
            options = {a.split("=", 1)[0] for a in container["args"][1:]}
            with self.subTest(overlay=overlay):
                self.assertEqual(set(), options - known)

    def test_the_grpc_probes_find_a_serving_prism(self):
        probes = 0
        for overlay, resources in rendered_overlays().items():
            [deployment] = of_kind(resources, "Deployment")
            [container] = deployment["spec"]["template"]["spec"]["containers"]
            for kind in ["startupProbe", "readinessProbe", "livenessProbe"]:
                grpc = container[kind].get("grpc")
                if grpc is None:
                    continue
                probes += 1
                with self.subTest(overlay=overlay, probe=kind):
                    # The kubelet's probe: grpc.health.v1 Check of the probe's service ("" is the server).
                    service = ["--service", grpc["service"]] if grpc.get("service") else []
                    run = STACK.prism_cli("health", "--target", STACK.prism_target, *service)
                    self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertGreaterEqual(probes, 9, "the cpu, cpu-hpa and gpu overlays probe with gRPC")


class ImageAndCompose(unittest.TestCase):
    def test_the_image_health_check_passes_against_a_serving_prism_and_fails_without_one(self):
        runtime = dockerfile_stages()[-1]
        [healthcheck] = instruction_arguments(runtime, "HEALTHCHECK")
        command = json.loads(healthcheck[healthcheck.index("CMD ") + 4:])
        self.assertEqual(["sh", "-c"], command[:2], "the check's shell turns the probe's exit 2 into 1")
        probe = re.search(r"-jar (\S+) health --target (\S+)", command[2])
        self.assertIsNotNone(probe, command[2])
        jar, target = probe.groups()
        self.assertEqual(f"127.0.0.1:{self.image_ports()['grpc']}", target)
        for address, status in [(STACK.prism_target, 0), (f"127.0.0.1:{free_port()}", 1)]:
            with self.subTest(address=address):
                here = command[2].replace(jar, str(STACK.jar)).replace(target, address)
                run = subprocess.run(command[:2] + [here], capture_output=True, text=True, timeout=60)
                self.assertEqual(status, run.returncode, run.stdout + run.stderr)

    def image_ports(self):
        """The gRPC and metrics ports the image serves on (its CMD), checked against what it EXPOSEs."""
        runtime = dockerfile_stages()[-1]
        [cmd] = instruction_arguments(runtime, "CMD")
        arguments = json.loads(cmd)
        ports = {"grpc": int(arguments[arguments.index("--port") + 1]),
                 "metrics": int(arguments[arguments.index("--metrics-port") + 1])}
        exposed = {int(port) for line in instruction_arguments(runtime, "EXPOSE") for port in line.split()}
        self.assertEqual(set(ports.values()), exposed)
        return ports

    def test_the_image_runs_prism_as_a_non_root_user_on_pinned_bases(self):
        stages = dockerfile_stages()
        self.assertEqual(3, len(stages), "a build stage, the JRE's and the runtime stage")
        for stage in stages:
            image = stage_image(stage)
            self.assertTrue(pinned(image), f"FROM {image} is not pinned to a version")
        build_run = instruction_arguments(stages[0], "RUN")[-1]
        self.assertTrue(build_run.endswith("mvn -B ${MAVEN_PROFILES:+-P$MAVEN_PROFILES} -DskipTests package"),
                        build_run)
        users = instruction_arguments(stages[-1], "USER")
        self.assertTrue(users and users[-1] not in ("root", "0"), f"the runtime stage runs as {users}")
        self.assertEqual(["/models"], instruction_arguments(stages[-1], "VOLUME"))
        [entrypoint] = instruction_arguments(stages[-1], "ENTRYPOINT")
        [cmd] = instruction_arguments(stages[-1], "CMD")
        serve = json.loads(entrypoint) + json.loads(cmd)
        self.assertEqual("/models", serve[serve.index("--model-repository") + 1])
        # Every option the image passes to serve is one the jar knows.
        known = STACK.prism_cli("serve", "--help").stdout
        for option in [a for a in json.loads(cmd) if a.startswith("--")]:
            self.assertIn(option, known)

    def test_the_gpu_build_the_dockerfile_documents_is_the_one_the_gpu_overlay_runs(self):
        text = DOCKERFILE.read_text()
        build = re.search(r"--build-arg MAVEN_PROFILES=(\w+) \\\n#\s+--build-arg RUNTIME_IMAGE=(\S+) -t prism:(\S+) \.",
                          text)
        self.assertIsNotNone(build, "the Dockerfile's comment shows the CUDA build")
        profile, image, tag = build.groups()
        self.assertTrue(pinned(image) and image.startswith("nvidia/cuda:12.") and "cudnn-runtime-ubuntu" in image,
                        image)
        pom = (ROOT / "pom.xml").read_text()
        gpu = re.search(r"<profile>\s*(?:<!--.*?-->\s*)?<id>" + profile + r"</id>(.*?)</profile>", pom, re.S)
        self.assertIsNotNone(gpu, f"pom.xml has no profile {profile}")
        self.assertIn("<onnxruntime.artifact>onnxruntime_gpu</onnxruntime.artifact>", gpu.group(1))
        version = re.search(r"<artifactId>prism</artifactId>\s*<version>([^<]+)</version>", pom).group(1)
        overlay = yaml.safe_load((ROOT / "deploy/kubernetes/overlays/gpu/kustomization.yaml").read_text())
        [deployed] = [i["newTag"] for i in overlay["images"] if i["name"] == "prism"]
        self.assertEqual(f"{version.removesuffix('-SNAPSHOT')}-gpu", tag)
        self.assertEqual(tag, deployed)

    def test_the_build_context_keeps_everything_the_dockerfile_copies(self):
        sources = []
        for stage in dockerfile_stages():
            for arguments in instruction_arguments(stage, "COPY"):
                if not arguments.startswith("--from"):
                    sources += arguments.split()[:-1]
        self.assertTrue({"pom.xml", "src", "models"} <= set(sources), sources)
        for source in sources:
            self.assertTrue((ROOT / source).exists(), f"COPY {source}: no such path in the repository")
        check = subprocess.run([str(STACK.buildcheck_bin), "ignored", str(ROOT), *sources],
                               capture_output=True, text=True)
        self.assertEqual(0, check.returncode, check.stderr)
        # web/node_modules is npm's install, made again by the build inside the image.
        left_out = [f for f in check.stdout.split() if not f.startswith("web/node_modules/")]
        self.assertEqual([], left_out, ".dockerignore leaves out files the Dockerfile copies")
        left_out = subprocess.run([str(STACK.buildcheck_bin), "ignored", str(ROOT), "target"],
                                  capture_output=True, text=True)
        self.assertIn("target/prism.jar", left_out.stdout.split(), "build outputs stay out of the context")

    def test_compose_wires_prism_prometheus_and_grafana(self):
        check = subprocess.run([str(STACK.buildcheck_bin), "compose", str(COMPOSE)],
                               capture_output=True, text=True)
        self.assertEqual(0, check.returncode, f"compose-go refuses {COMPOSE}: {check.stderr}")
        services = json.loads(check.stdout)["services"]
        self.assertEqual({"prism", "prometheus", "grafana"}, set(services))
        for name in ["prometheus", "grafana"]:
            self.assertTrue(pinned(services[name]["image"]), f"{name}: {services[name]['image']} is not pinned")

        prism = services["prism"]
        self.assertEqual(str(ROOT), prism["build"]["context"])
        self.assertEqual(DOCKERFILE, ROOT / prism["build"]["dockerfile"])
        ports = self.image_ports()
        self.assertEqual(set(ports.values()), {p["target"] for p in prism["ports"]})
        scrape_host, scrape_port = COMPOSE_TARGET.split(":")
        self.assertEqual(("prism", ports["metrics"]), (scrape_host, int(scrape_port)))

        def binds(service):
            volumes = services[service].get("volumes", [])
            return {Path(v["source"]): v["target"] for v in volumes if v["type"] == "bind"}

        prometheus = services["prometheus"]
        self.assertIn(f"--config.file={binds('prometheus')[SCRAPE_CONFIG]}", prometheus["command"])
        # The alert rules lie where the config's rule_files (relative to the config) names them.
        config_dir = Path(binds("prometheus")[SCRAPE_CONFIG]).parent
        rule_files = yaml.safe_load(SCRAPE_CONFIG.read_text())["rule_files"]
        self.assertEqual([Path(binds("prometheus")[ALERT_RULES])], [config_dir / f for f in rule_files])
        grafana = binds("grafana")
        self.assertEqual("/etc/grafana/provisioning", grafana[PROVISIONING])
        provider_paths = [re.search(r"(?m)^\s*path:\s*(\S+)", f.read_text()).group(1)
                          for f in DASHBOARD_PROVIDERS.glob("*.yaml")]
        self.assertEqual([grafana[DASHBOARD.parent]], provider_paths, "Grafana reads the dashboards where they are")
        scrape_interval = re.search(r"scrape_interval:\s*(\S+)", SCRAPE_CONFIG.read_text()).group(1)
        for datasource in DATASOURCES.glob("*.yaml"):
            text = datasource.read_text()
            host, port = re.search(r"url:\s*http://([\w-]+):(\d+)", text).groups()
            self.assertEqual("prometheus", host)
            self.assertIn(int(port), {p["target"] for p in prometheus["ports"]})
            # Grafana's $__rate_interval is only right when it knows the scrape interval.
            self.assertEqual(scrape_interval, re.search(r"timeInterval:\s*(\S+)", text).group(1))


def interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    # SIGTERM (a build tool giving up) unwinds like Ctrl-C, through the finally that stops both servers.
    signal.signal(signal.SIGTERM, interrupt)
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    try:
        result = unittest.TextTestRunner(verbosity=2).run(suite)
        if not result.wasSuccessful() and STACK is not None:
            STACK.print_logs()
        return 0 if result.wasSuccessful() and result.testsRun > 0 else 1
    finally:
        if STACK is not None:
            STACK.stop()


if __name__ == "__main__":
    sys.exit(main())
