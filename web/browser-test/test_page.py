"""Prism's page in Debian's chromium against a live Prism: what the page plots must be the server's answer.

The reference answers come from the JSON API (POST /prism/v1/explain), which the server's own tests
prove equal to gRPC's, for the same request the page sends (same input, method, budget and seed).
The page's content security policy stays on: the tests wait on selectors and read values with
page.evaluate, neither of which needs eval in the page.
"""

import csv
import json
import math
import os
import re
import subprocess
import threading
import unittest
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from playwright.sync_api import sync_playwright

JAR = os.environ["PRISM_JAR"]
MODELS = os.environ["PRISM_MODELS"]
CHROMIUM = os.environ["PRISM_CHROMIUM"]
OUT = Path(os.environ["PRISM_BROWSER_TEST_OUT"])
TOLERANCE = 1e-9
STARTED = re.compile(r"^prism: serving .* on port (\d+), HTTP/JSON on port (\d+)")
# Every value the progress bar shows and the output of every running estimate drawn, in order, kept by
# the page's own document (the test reads them back).
RECORD_PROGRESS = """
window.__percents = [];
window.__estimated = [];
new MutationObserver((changes) => {
  for (const c of changes) {
    if (c.target.id === 'progress' && c.attributeName === 'data-percent') window.__percents.push(c.target.dataset.percent);
    if (c.target.id === 'estimates-chart' && c.target.dataset.values) window.__estimated.push(JSON.parse(c.target.dataset.values).output);
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-percent', 'data-values'] });
"""


class Prism:
    """The server, started as an operator would; its log goes to OUT/server.log."""

    def __init__(self, *extra, log_name="server.log"):
        with zipfile.ZipFile(JAR) as jar:
            if "web/index.html" not in jar.namelist():
                raise RuntimeError(f"{JAR} was built without the page (-Dweb.skip); build it with mvn package")
        self.process = subprocess.Popen(
            ["java", "-jar", JAR, "serve", "--port", "0", "--http-port", "0", "--metrics-port", "-1",
             "--model-repository", MODELS, *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.ports = None
        started = threading.Event()

        def log():
            with open(OUT / log_name, "w") as out:
                for line in self.process.stderr:
                    out.write(line)
                    out.flush()
                    match = STARTED.match(line)
                    if match:
                        self.ports = int(match.group(1)), int(match.group(2))
                        started.set()
            started.set()

        threading.Thread(target=log, daemon=True).start()
        if not started.wait(120) or self.ports is None:
            self.close()
            raise RuntimeError(f"Prism did not start; see {OUT / log_name}")
        self.url = f"http://127.0.0.1:{self.ports[1]}/"

    def api(self, path, body=None):
        """(HTTP status, JSON body) of one call to the JSON API."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=60)


def setUpModule():
    global PRISM, PLAYWRIGHT, BROWSER
    PRISM = Prism()
    PLAYWRIGHT = sync_playwright().start()
    BROWSER = PLAYWRIGHT.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


def tearDownModule():
    BROWSER.close()
    PLAYWRIGHT.stop()
    PRISM.close()


def background(model, rows):
    status, info = PRISM.api(f"prism/v1/models/{model}?background_rows={rows}")
    assert status == 200, info
    sample = info["backgroundSample"]
    width = len(sample["doubleData"]) // rows
    return info, [sample["doubleData"][r * width:(r + 1) * width] for r in range(rows)]


def highest_scored(explanations, instance=0):
    """The explanation the page plots by default: the instance's output with the highest model output."""
    own = [e for e in explanations if e.get("instance", 0) == instance]
    return max(own, key=lambda e: e.get("modelOutput", 0))


def reason(status):
    return next(d["reason"] for d in status["details"] if d["@type"].endswith("google.rpc.ErrorInfo"))


class PageTest(unittest.TestCase):

    def setUp(self):
        self.context = BROWSER.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.problems = []
        self.page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))

    def tearDown(self):
        self.page.screenshot(path=str(OUT / f"{self._testMethodName}.png"), full_page=True)
        self.context.close()
        self.assertEqual(self.problems, [], "the page logged errors")

    def open(self, model):
        self.page.goto(f"{PRISM.url}?model={model}")
        self.page.wait_for_selector(f'[data-testid="model-{model}"][aria-current="true"]')

    def choose(self, method, budget, seed):
        self.page.select_option('[data-testid="method"]', method)
        self.page.fill('[data-testid="budget"]', str(budget))
        self.page.fill('[data-testid="seed"]', str(seed))

    def wait_for(self, chart):
        """Waits until `chart` has its values or the error box shows; fails with the error's text."""
        self.page.wait_for_selector(f'[data-testid="{chart}"][data-values], [data-testid="error"]:not([hidden])',
                                    timeout=60_000)
        error = self.page.locator('[data-testid="error"]')
        if error.is_visible():
            self.fail(f"the page shows an error: {error.inner_text()}")
        return self.page.evaluate("() => window.prismLastPlot")

    def assertClose(self, actual, expected, what):
        self.assertEqual(len(actual), len(expected), what)
        for i, (a, e) in enumerate(zip(actual, expected)):
            self.assertTrue(math.isclose(a, e, rel_tol=0, abs_tol=TOLERANCE), f"{what}[{i}]: {a} != {e}")

    def test_a_server_with_tokens_is_used_once_the_token_is_given(self):
        tokens = OUT / "tokens"
        tokens.write_text("page-test-token *\n")
        guarded = Prism("--tokens-file", str(tokens), log_name="server-tokens.log")
        try:
            self.page.goto(f"{guarded.url}?model=iris")
            error = self.page.locator('[data-testid="error"]')
            error.wait_for(state="visible")
            self.assertIn("UNAUTHENTICATED", error.inner_text())
            self.page.fill('[data-testid="token"]', "page-test-token")
            self.page.dispatch_event('[data-testid="token"]', "change")
            self.page.wait_for_selector('[data-testid="model-iris"][aria-current="true"]')
            self.assertTrue(error.is_hidden())
            # The browser reports the refused calls before the token as failed loads; nothing else.
            self.problems = [p for p in self.problems if "401" not in p]
        finally:
            guarded.close()

    def test_page_lists_the_models_and_their_features(self):
        status, listed = PRISM.api("prism/v1/models")
        self.assertEqual(status, 200)
        self.open("iris")
        buttons = self.page.locator("#models button").all_inner_texts()
        self.assertEqual(buttons, [m["name"] for m in listed["models"]])
        self.assertEqual(self.page.locator('[data-testid="features"] tbody td:nth-child(2)').all_inner_texts(),
                         ["sepal_length", "sepal_width", "petal_length", "petal_width"])
        self.assertTrue(self.page.locator('[data-testid="error"]').is_hidden())

    def test_iris_plots_the_answer(self):
        info, [row] = background("iris", 1)
        self.open("iris")
        form = [float(self.page.input_value(f'[data-testid="feature-{i}"]')) for i in range(4)]
        self.assertEqual(form, row, "the form is prefilled with the first background row")
        self.choose("METHOD_PERMUTATION_SHAP", 300, 7)
        self.page.click('[data-testid="explain"]')
        plot = self.wait_for("waterfall-chart")
        status, answer = PRISM.api("prism/v1/explain", {
            "model": "iris", "inputs": [{"name": "input", "shape": [1, 4], "doubleData": row}],
            "permutationShap": {"maxEvals": "300"}, "seed": "7"})
        self.assertEqual(status, 200, answer)
        expected = highest_scored(answer["explanations"])
        waterfall = plot["waterfall"]
        self.assertEqual(waterfall["output"], expected["output"])
        self.assertClose(waterfall["attributions"], expected["attributions"], "waterfall attributions")
        self.assertClose([waterfall["baseValue"], waterfall["modelOutput"]],
                         [expected["baseValue"], expected.get("modelOutput", 0)], "base value, model output")
        by_name = dict(zip(info["featureNames"], expected["attributions"]))
        self.assertEqual(sorted(s["name"] for s in waterfall["steps"]), sorted(by_name))
        at = expected["baseValue"]
        for step in waterfall["steps"]:
            self.assertClose([step["start"], step["value"]], [at, by_name[step["name"]]], f"step {step['name']}")
            at += by_name[step["name"]]
        self.assertClose([b["value"] for b in plot["bars"]], [by_name[b["name"]] for b in plot["bars"]], "bars")
        self.page.locator("main").screenshot(path=str(OUT / "page.png"), scale="css")

    def test_the_servers_evaluation_is_plotted_as_it_answered(self):
        _, [row] = background("iris", 1)
        self.open("iris")
        self.choose("METHOD_EXACT_SHAPLEY", "", 1)
        self.page.check('[data-testid="evaluate"]')
        self.page.click('[data-testid="explain"]')
        plot = self.wait_for("deletion-chart")
        status, answer = PRISM.api("prism/v1/explain", {
            "model": "iris", "inputs": [{"name": "input", "shape": [1, 4], "doubleData": row}],
            "exactShapley": {}, "seed": "1", "evaluate": {"deletion": {}, "complexity": {}}})
        self.assertEqual(status, 200, answer)
        evaluation = highest_scored(answer["explanations"])["evaluation"]
        drawn = plot["evaluation"]
        for name in ("deletion", "insertion"):
            self.assertClose([p[1] for p in drawn["curves"][name]["points"]],
                             [float(v) for v in evaluation[name]["values"]], f"{name} curve")
            self.assertClose([drawn["curves"][name]["area"]], [evaluation[name]["area"]], f"{name} area")
        self.assertClose([drawn["complexity"]["entropy"]], [evaluation["complexity"]["entropy"]], "entropy")
        self.assertEqual(drawn["complexity"]["effectiveFeatures"], evaluation["complexity"]["effectiveFeatures"])
        self.assertIn("deletion area", self.page.inner_text('[data-testid="evaluation-summary"]'))

    def test_digits_image_heatmap_is_the_answer(self):
        info, [row] = background("digits_cnn", 1)
        self.open("digits_cnn")
        form = [float(v) for v in self.page.input_value('[data-testid="instance-values"]').split(",")]
        self.assertEqual(form, row)
        self.choose("METHOD_KERNEL_SHAP", 600, 3)
        self.page.click('[data-testid="explain"]')
        plot = self.wait_for("heatmap-chart")
        status, answer = PRISM.api("prism/v1/explain", {
            "model": "digits_cnn", "inputs": [{"name": "image", "shape": [1, 1, 8, 8], "doubleData": row}],
            "kernelShap": {"nsamples": "600"}, "seed": "3"})
        self.assertEqual(status, 200, answer)
        expected = highest_scored(answer["explanations"])
        heatmap = plot["heatmap"]
        self.assertEqual((heatmap["width"], heatmap["height"]), (8, 8))
        self.assertEqual([(c[0], c[1]) for c in heatmap["cells"]], [(x, y) for y in range(8) for x in range(8)])
        self.assertEqual([c[2] for c in heatmap["cells"]], row, "the pixels under the heatmap")
        self.assertClose([c[3] for c in heatmap["cells"]], expected["attributions"], "heatmap attributions")
        self.assertEqual(plot["waterfall"]["output"], expected["output"])

    def test_long_job_shows_progress_then_the_result(self):
        self.page.add_init_script(RECORD_PROGRESS)
        self.open("breast_cancer")
        self.choose("METHOD_KERNEL_SHAP", 100000, 1)
        self.page.click('[data-testid="explain"]')
        plot = self.wait_for("waterfall-chart")
        percents = [float(p) for p in self.page.evaluate("() => window.__percents")]
        self.assertEqual(percents[-1], 100)
        self.assertTrue(any(0 < p < 100 for p in percents), f"no progress between 0 and 100: {percents}")
        self.assertEqual(percents, sorted(percents), "progress only goes forward")
        self.assertEqual(self.page.inner_text('[data-testid="progress-percent"]'), "100%")
        estimated = self.page.evaluate("() => window.__estimated")
        self.assertGreater(len(estimated), 0, "running estimates were drawn")
        self.assertEqual(set(estimated), {plot["waterfall"]["output"]},
                         "the running estimates are of the output the result plots (the model's highest score)")
        estimates = plot["estimates"]["features"]
        self.assertEqual(len(estimates), 30)
        self.assertTrue(any(e["error"] and e["error"] > 0 for e in estimates), "running estimates carry standard errors")

    def test_refused_budget_shows_the_servers_message(self):
        _, [row] = background("iris", 1)
        self.open("iris")
        self.choose("METHOD_KERNEL_SHAP", 2_000_000, 1)
        self.page.click('[data-testid="explain"]')
        self.page.wait_for_selector('[data-testid="error"]:not([hidden])')
        status, refusal = PRISM.api("prism/v1/explain", {
            "model": "iris", "inputs": [{"name": "input", "shape": [1, 4], "doubleData": row}],
            "kernelShap": {"nsamples": "2000000"}, "seed": "1"})
        self.assertEqual(status, 400, refusal)
        shown = self.page.inner_text('[data-testid="error"]')
        self.assertIn(refusal["message"], shown)
        self.assertIn(f"({reason(refusal)})", shown)
        self.assertTrue(self.page.locator('[data-testid="waterfall-chart"][data-values]').count() == 0)
        # The server's refusal is the page's error, not a console error of its own.
        self.problems = [p for p in self.problems if "400" not in p]

    def test_csv_of_rows_draws_beeswarm_and_mean_abs_of_the_summary(self):
        info, rows = background("iris", 6)
        names = info["featureNames"]
        upload = OUT / "iris-rows.csv"
        with open(upload, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(list(reversed(names)))
            out.writerows([list(reversed([repr(v) for v in r])) for r in rows])
        self.open("iris")
        self.choose("METHOD_KERNEL_SHAP", 2048, 5)
        self.page.set_input_files('[data-testid="csv"]', str(upload))
        self.page.click('[data-testid="explain-csv"]:not([disabled])')
        plot = self.wait_for("mean-abs-chart")
        status, answer = PRISM.api("prism/v1/explain", {
            "model": "iris", "inputs": [{"name": "input", "shape": [6, 4], "doubleData": [v for r in rows for v in r]}],
            "kernelShap": {"nsamples": "2048"}, "seed": "5"})
        self.assertEqual(status, 200, answer)
        output = highest_scored(answer["explanations"])["output"]
        summary = answer["summary"]
        column = summary["outputs"].index(output)
        outputs = len(summary["outputs"])
        mean_abs = {n: summary["meanAbsAttributions"]["doubleData"][f * outputs + column] for f, n in enumerate(names)}
        self.assertEqual(plot["meanAbs"]["output"], output)
        self.assertEqual(sorted(i["name"] for i in plot["meanAbs"]["features"]), sorted(names))
        self.assertClose([i["value"] for i in plot["meanAbs"]["features"]],
                         [mean_abs[i["name"]] for i in plot["meanAbs"]["features"]], "mean |attribution|")
        attributions = {e["instance"] if "instance" in e else 0: e["attributions"]
                        for e in answer["explanations"] if e["output"] == output}
        swarm = plot["beeswarm"]
        self.assertEqual(swarm["output"], output)
        self.assertEqual([r["feature"] for r in swarm["rows"]], sorted(names, key=lambda n: mean_abs[n]))
        for r in swarm["rows"]:
            f = names.index(r["feature"])
            self.assertClose([r["meanAbs"]], [mean_abs[r["feature"]]], f"beeswarm row {r['feature']}")
            self.assertEqual(sorted(p["instance"] for p in r["points"]), list(range(6)))
            self.assertClose([p["attribution"] for p in r["points"]],
                             [attributions[p["instance"]][f] for p in r["points"]], f"beeswarm {r['feature']}")
            self.assertEqual([p["value"] for p in r["points"]], [rows[p["instance"]][f] for p in r["points"]])


if __name__ == "__main__":
    unittest.main()
