"""Write the golden files for KernelSHAP's l1_reg feature selection under
src/test/resources/golden/ from scikit-learn and shap.

Files written:
  l1_problems.json        the regression problems the next three files refer to by name
  l1_lars.json            lars_path(X, y, max_iter=r), method "lar"
  l1_lasso_lars_ic.json   LassoLarsIC(criterion), with and without StandardScaler(with_mean=False)
  l1_lasso.json           Lasso(alpha)
  l1_kernel_shap.json     the selection shap's KernelExplainer made in real runs

Problems come in two shapes:
  "augmented"  shap's augmented KernelSHAP system, stored as its pieces (masks,
               kernel_weights, ey_adj, delta) so the Java side rebuilds X and y
               with the same floating-point operations as shap: rows
               sqrt(k(M-|z|))·(z, y) stacked on rows sqrt(k|z|)·(z-1, y-delta).
  "dense"      x [row][feature] and y given directly.

Schema:
  l1_problems.json:      {versions, problems: {name: problem}}
  l1_lars.json:          {versions, cases: [{name, problem, max_iter, alphas, active, coefs}]}
                         coefs is [step][feature] (sklearn returns [feature][step])
  l1_lasso_lars_ic.json: {versions, cases: [{name, problem, criterion, scaled, alpha, coef,
                          intercept, noise_variance, criterion_values, selected}]}
  l1_lasso.json:         {versions, cases: [{name, problem, alpha, coef, intercept, n_iter, selected}]}
  l1_kernel_shap.json:   {versions, cases: [{name, l1_reg, nsamples, masks, kernel_weights,
                          ey_adj, delta, augmented_gram, augmented_xty, augmented_yy, selected,
                          shap_values}]}
                         augmented_*: XᵀX, Xᵀy and yᵀy of the augmented system shap built
  a case's problem:      the name of a problem in l1_problems.json
  problem:               {shape: "augmented", masks, kernel_weights, ey_adj, delta}
                       | {shape: "dense", x, y}
  l1_reg:                {rule: "num_features", k} | {rule: "aic"} | {rule: "bic"} | {rule: "alpha", alpha}
  selected:              sorted feature indices with a non-zero coefficient

Everything is seeded: running the script again gives byte-identical files.
"""

import json
import re
import sys
from math import comb
from pathlib import Path

import numpy as np
import shap
import shap.explainers._kernel as shap_kernel
import sklearn
from sklearn.linear_model import Lasso, LassoLarsIC, lars_path
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "src" / "test" / "resources" / "golden"
PROBLEM_NAMES = {}  # id(problem) -> its name in l1_problems.json
VERSIONS = {"scikit_learn": sklearn.__version__, "shap": shap.__version__, "numpy": np.__version__}


def random_game(rng, m):
    """A game with main effects, pairwise interactions and a saturating term, so selection has work to do."""
    main = rng.normal(size=m) * (rng.random(m) < 0.5)
    pairs = np.triu(rng.normal(scale=0.3, size=(m, m)) * (rng.random((m, m)) < 0.1), 1)
    bend = rng.normal(size=m)

    def value(z):
        z = np.asarray(z, dtype=np.float64)
        return z @ main + np.einsum("ri,ij,rj->r", z, pairs, z) + np.tanh(z @ bend)

    return value


def augmented_problem(rng, m, rows):
    """Random coalitions with Shapley-kernel weights and a random game, as shap hands them to l1_reg."""
    sizes = rng.integers(1, m, size=rows)
    masks = np.zeros((rows, m), dtype=bool)
    for r, s in enumerate(sizes):
        masks[r, rng.choice(m, s, replace=False)] = True
    kernel = np.array([(m - 1) / (comb(m, int(s)) * s * (m - s)) for s in sizes])
    game = random_game(rng, m)
    v0 = game(np.zeros((1, m)))[0]
    return {
        "shape": "augmented",
        "masks": masks.astype(int).tolist(),
        "kernel_weights": (kernel / kernel.sum()).tolist(),
        "ey_adj": (game(masks) - v0).tolist(),
        "delta": float(game(np.ones((1, m)))[0] - v0),
    }


def dense_problem(rng, rows, m, correlation):
    """Weighted regression with correlated columns and a sparse truth (rows scaled by sqrt(weight))."""
    cov = correlation ** np.abs(np.subtract.outer(np.arange(m), np.arange(m)))
    x = rng.multivariate_normal(np.zeros(m), cov, size=rows) + 0.5
    truth = rng.normal(size=m) * (rng.random(m) < 0.4)
    y = x @ truth + rng.normal(scale=0.5, size=rows) + 1.0
    root = np.sqrt(rng.uniform(0.2, 2.0, size=rows))
    return {"shape": "dense", "x": (x * root[:, None]).tolist(), "y": (y * root).tolist()}


def system(problem):
    """X and y of a problem, for augmented ones with the operations shap's KernelExplainer.solve uses."""
    if problem["shape"] == "dense":
        return np.array(problem["x"]), np.array(problem["y"])
    masks = np.array(problem["masks"], dtype=np.float64)
    k = np.array(problem["kernel_weights"])
    ey_adj = np.array(problem["ey_adj"])
    m = masks.shape[1]
    s = np.sum(masks, 1)
    root = np.sqrt(np.hstack((k * (m - s), k * s)))
    y = np.hstack((ey_adj, ey_adj - problem["delta"])) * root
    x = np.transpose(root * np.transpose(np.vstack((masks, masks - 1))))
    return x, y


def selected(coef):
    return [int(i) for i in np.flatnonzero(coef)]


def lars_case(name, problem, max_iter):
    x, y = system(problem)
    alphas, active, coefs = lars_path(x, y, max_iter=max_iter)
    return {"name": name, "problem": PROBLEM_NAMES[id(problem)], "max_iter": max_iter, "alphas": alphas.tolist(),
            "active": [int(i) for i in active], "coefs": coefs.T.tolist()}


def ic_case(name, problem, criterion, scaled):
    x, y = system(problem)
    if scaled:
        x = StandardScaler(with_mean=False).fit_transform(x)
    model = LassoLarsIC(criterion=criterion).fit(x, y)
    return {"name": name, "problem": PROBLEM_NAMES[id(problem)], "criterion": criterion, "scaled": scaled,
            "alpha": float(model.alpha_), "coef": model.coef_.tolist(), "intercept": float(model.intercept_),
            "noise_variance": float(model.noise_variance_), "criterion_values": model.criterion_.tolist(),
            "selected": selected(model.coef_)}


def lasso_case(name, problem, alpha):
    x, y = system(problem)
    model = Lasso(alpha=alpha).fit(x, y)
    return {"name": name, "problem": PROBLEM_NAMES[id(problem)], "alpha": alpha, "coef": model.coef_.tolist(),
            "intercept": float(model.intercept_), "n_iter": int(model.n_iter_), "selected": selected(model.coef_)}


def largest_useful_alpha(problem):
    """The smallest alpha at which Lasso keeps no feature."""
    x, y = system(problem)
    xc, yc = x - x.mean(axis=0), y - y.mean()
    return float(np.max(np.abs(xc.T @ yc)) / len(y))


def lasso_path_drops(problem):
    """Whether the lasso LARS path of the scaled, centred problem drops a variable somewhere."""
    x, y = system(problem)
    x = StandardScaler(with_mean=False).fit_transform(x)
    _, _, coefs = lars_path(x - x.mean(axis=0), y - y.mean(), method="lasso")
    nonzero = coefs != 0
    return bool(np.any(nonzero[:, :-1] & ~nonzero[:, 1:]))


class Recorder:
    """Wraps the selection calls in shap's KernelExplainer module to record the system it built and
    what it selected."""

    def __init__(self):
        self.selected = None
        self.system = None

    def lars_path(self, x, y, **kwargs):
        self.system = (x, y)
        result = lars_path(x, y, **kwargs)
        self.selected = sorted(int(i) for i in result[1])
        return result

    def make_pipeline(self, *steps):
        pipeline = make_pipeline(*steps)
        recorder = self

        class Recording(type(pipeline)):
            def fit(self, x, y):
                recorder.system = (x, y)
                fitted = super().fit(x, y)
                recorder.selected = selected(fitted[-1].coef_)
                return fitted

        pipeline.__class__ = Recording
        return pipeline

    def lasso(self, **kwargs):
        recorder = self

        class Recording(Lasso):
            def fit(self, x, y):
                recorder.system = (x, y)
                fitted = super().fit(x, y)
                recorder.selected = selected(fitted.coef_)
                return fitted

        return Recording(**kwargs)


def l1_reg_spec(l1_reg):
    if isinstance(l1_reg, float):
        return {"rule": "alpha", "alpha": l1_reg}
    if l1_reg.startswith("num_features("):
        return {"rule": "num_features", "k": int(l1_reg[len("num_features("):-1])}
    return {"rule": l1_reg}


def kernel_shap_case(name, m, background_rows, nsamples, l1_reg, seed):
    """One KernelExplainer run of a random tanh network with l1_reg set, and what its selection chose."""
    rng = np.random.default_rng(seed)
    hidden = rng.normal(size=(m, 16)) * (rng.random((m, 16)) < 0.3)
    out = rng.normal(size=16)
    scale = rng.uniform(0.2, 2.0, size=m)

    def model(x):
        return np.tanh((x * scale) @ hidden) @ out

    background = rng.normal(size=(background_rows, m))
    x = rng.normal(size=(1, m))
    recorder = Recorder()
    shap_kernel.lars_path = recorder.lars_path
    shap_kernel.make_pipeline = recorder.make_pipeline
    shap_kernel.Lasso = recorder.lasso
    try:
        explainer = shap.KernelExplainer(model, background)
        np.random.seed(seed)
        phi = explainer.shap_values(x, nsamples=nsamples, l1_reg=l1_reg, silent=True)[0]
    finally:
        shap_kernel.lars_path = lars_path
        shap_kernel.make_pipeline = make_pipeline
        shap_kernel.Lasso = Lasso
    assert explainer.M == m and recorder.selected is not None
    rows = explainer.nsamplesAdded
    ey_adj = explainer.linkfv(explainer.ey[:rows, 0]) - explainer.link.f(explainer.fnull[0])
    delta = explainer.link.f(explainer.fx[0]) - explainer.link.f(explainer.fnull[0])
    # shap zeroes the unselected features, so the values must agree with what was recorded.
    assert set(np.flatnonzero(phi)) <= set(recorder.selected)
    x_aug, y_aug = recorder.system
    return {"name": name, "l1_reg": l1_reg_spec(l1_reg), "nsamples": nsamples,
            "masks": explainer.maskMatrix[:rows].astype(int).tolist(),
            "kernel_weights": explainer.kernelWeights[:rows].tolist(),
            "ey_adj": ey_adj.tolist(), "delta": float(delta),
            "augmented_gram": (x_aug.T @ x_aug).tolist(), "augmented_xty": (x_aug.T @ y_aug).tolist(),
            "augmented_yy": float(y_aug @ y_aug), "selected": recorder.selected, "shap_values": phi.tolist()}


def write(filename, golden):
    text = json.dumps({"versions": VERSIONS, **golden}, indent=1, allow_nan=False)
    # One line per innermost list of numbers keeps the files readable.
    text = re.sub(r"\[([^\[\]{}\"]*)\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text)
    json.loads(text)
    (GOLDEN / filename).write_text(text + "\n")
    print(f"{(GOLDEN / filename).relative_to(ROOT)}  {len(text) + 1} bytes")


def main():
    GOLDEN.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20250601)
    aug12 = augmented_problem(rng, 12, 200)
    aug30 = augmented_problem(rng, 30, 300)
    aug20 = augmented_problem(rng, 20, 250)
    dense20 = dense_problem(rng, 300, 20, 0.7)
    dense8 = dense_problem(rng, 200, 8, 0.9)
    # A problem whose lasso path drops a variable, to exercise that branch.
    drop_seed = next(seed for seed in range(1000)
                     if lasso_path_drops(dense_problem(np.random.default_rng(seed), 120, 12, 0.95)))
    dropping = dense_problem(np.random.default_rng(drop_seed), 120, 12, 0.95)
    problems = {"aug12": aug12, "aug30": aug30, "aug20": aug20, "dense20": dense20, "dense8": dense8,
                "dropping": dropping}
    PROBLEM_NAMES.update({id(problem): name for name, problem in problems.items()})
    write("l1_problems.json", {"problems": problems})

    write("l1_lars.json", {"cases": [
        lars_case("aug12_r5", aug12, 5),
        lars_case("aug12_full", aug12, 500),
        lars_case("aug30_r10", aug30, 10),
        lars_case("aug20_full", aug20, 500),
        lars_case("dense20_full", dense20, 500),
        lars_case("dense8_r3", dense8, 3),
    ]})
    write("l1_lasso_lars_ic.json", {"cases": [
        ic_case(f"{name}_{criterion}_{'scaled' if scaled else 'plain'}", problem, criterion, scaled)
        for name, problem in [("aug12", aug12), ("aug30", aug30), ("aug20", aug20), ("dense20", dense20),
                              ("dense8", dense8), ("dropping", dropping)]
        for criterion in ["aic", "bic"]
        for scaled in [True, False]
    ]})
    write("l1_lasso.json", {"cases": [
        lasso_case(f"{name}_{fraction}", problem, fraction * largest_useful_alpha(problem))
        for name, problem in [("aug12", aug12), ("aug30", aug30), ("dense20", dense20), ("dropping", dropping)]
        for fraction in [0.3, 0.05, 0.005]
    ]})
    write("l1_kernel_shap.json", {"cases": [
        kernel_shap_case("m14_num_features_5", 14, 5, 400, "num_features(5)", 1),
        kernel_shap_case("m14_aic", 14, 5, 400, "aic", 2),
        kernel_shap_case("m14_bic", 14, 5, 400, "bic", 3),
        kernel_shap_case("m14_alpha", 14, 5, 400, 0.0005, 4),
        kernel_shap_case("m25_num_features_10", 25, 4, 600, "num_features(10)", 5),
        kernel_shap_case("m25_aic", 25, 4, 600, "aic", 6),
        kernel_shap_case("m10_complete_bic", 10, 3, 2000, "bic", 7),
    ]})


if __name__ == "__main__":
    main()
