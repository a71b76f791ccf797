"""Time skperceptron against scikit-learn's MLP estimators, side by side.

Run from the repository root::

    python benchmarks/bench.py [--quick] [--workloads W1,W2,...] [--runs N]
                               [--dtypes float64,float32] [--output results.json]

Both estimators of a workload get the same architecture, solver settings, number of
epochs, random_state and standardized data. Their ``fit`` calls alternate in one
process, so that both see the same machine state. Progress goes to stderr; the
machine description and a Markdown table go to stdout. ``benchmarks/README.md``
explains every column.
"""

import argparse
import gc
import importlib
import json
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.datasets import load_breast_cancer, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

RANDOM_STATE = 0
TEST_SIZE = 0.2
STEP_SIZE = 1e-3
ALPHA = 1e-4
# L-BFGS may take several function evaluations per iteration in its line search;
# this budget is far above what it uses, so only max_iter stops it.
MAX_FUN_PER_ITER = 100
DTYPES = {"float64": np.float64, "float32": np.float32}
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")
MIB = 2**20
# Timed fits of one estimator further apart than this factor get a note.
NOISY_SPREAD = 1.5


def breast_cancer(n_samples):
    return load_breast_cancer(return_X_y=True)


def classification_50(n_samples):
    return make_classification(
        n_samples=n_samples, n_features=50, n_informative=30, random_state=0
    )


def regression_50(n_samples):
    return make_regression(
        n_samples=n_samples, n_features=50, n_informative=30, noise=10, random_state=0
    )


def classification_100(n_samples):
    return make_classification(n_samples=n_samples, n_features=100, random_state=0)


@dataclass(frozen=True)
class Workload:
    """One training problem; ``quick_*`` fields are the sizes used by ``--quick``."""

    name: str
    task: str
    make_data: Callable
    n_samples: int | None
    quick_samples: int | None
    hidden: tuple[int, ...]
    solver: str
    batch_size: int | str
    epochs: int
    quick_epochs: int

    def size(self, quick):
        return self.quick_samples if quick else self.n_samples

    def n_epochs(self, quick):
        return self.quick_epochs if quick else self.epochs


WORKLOADS = {
    w.name: w
    for w in (
        Workload("W1", "classification", breast_cancer, None, None, (100,),
                 "adam", "auto", 200, 50),
        Workload("W2", "classification", classification_50, 20_000, 4_000,
                 (128, 64), "adam", 200, 20, 5),
        Workload("W2r", "regression", regression_50, 20_000, 4_000,
                 (128, 64), "adam", 200, 20, 5),
        Workload("W3", "classification", classification_100, 200_000, 20_000,
                 (256, 256), "adam", 512, 3, 1),
        Workload("W4", "classification", classification_50, 20_000, 4_000,
                 (128, 64), "lbfgs", 200, 200, 25),
        Workload("W5", "classification", classification_50, 20_000, 4_000,
                 (128, 64), "adam", 32, 20, 2),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Split:
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray

    def astype(self, dtype):
        X_train = np.ascontiguousarray(self.X_train, dtype=dtype)
        X_test = np.ascontiguousarray(self.X_test, dtype=dtype)
        return Split(X_train, X_test, self.y_train, self.y_test)


def standardize(train, test):
    """Scale both parts with the mean and deviation of the training part."""
    scaler = StandardScaler().fit(train)
    return scaler.transform(train), scaler.transform(test)


def prepare_split(workload, quick):
    """Generate the data, hold out 20 %, and standardize X (and y for regression).

    Standardizing y keeps the squared-error loss near 1 whatever the target's scale;
    R² is unchanged by it.
    """
    X, y = workload.make_data(workload.size(quick))
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, random_state=RANDOM_STATE
    )
    X_train, X_test = standardize(X_train, X_test)
    if workload.task == "regression":
        y_train, y_test = standardize(y_train[:, None], y_test[:, None])
        y_train, y_test = y_train.ravel(), y_test.ravel()
    return Split(X_train, X_test, y_train, y_test)


def shared_params(workload, epochs):
    """Parameters spelled the same way by both libraries; nothing stops early."""
    return {
        "hidden_layer_sizes": workload.hidden,
        "activation": "relu",
        "solver": workload.solver,
        "alpha": ALPHA,
        "batch_size": workload.batch_size,
        "max_iter": epochs,
        "shuffle": True,
        "random_state": RANDOM_STATE,
        "tol": 0.0,
        "n_iter_no_change": epochs,
        "early_stopping": False,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-8,
        "momentum": 0.9,
        "max_fun": MAX_FUN_PER_ITER * epochs,
    }


@dataclass(frozen=True)
class Contender:
    """An estimator family and the name it gives the step size."""

    label: str
    classifier: type
    regressor: type
    step_size_param: str

    def make(self, workload, epochs):
        params = shared_params(workload, epochs)
        params[self.step_size_param] = STEP_SIZE
        if workload.task == "classification":
            return self.classifier(**params)
        return self.regressor(**params)


MLP = Contender("MLP", MLPClassifier, MLPRegressor, "learning_rate_init")


def load_contenders(mlp_vs_mlp):
    """Return the baseline and the estimator under test."""
    if mlp_vs_mlp:
        return MLP, Contender("MLP-B", MLPClassifier, MLPRegressor, MLP.step_size_param)
    try:
        skp = importlib.import_module("skperceptron")
    except ImportError as exc:
        sys.exit(
            f"Cannot import skperceptron ({exc}). Install it from the repository "
            "root with `pip install -e .`, or pass --mlp-vs-mlp to time "
            "scikit-learn's MLP against itself."
        )
    tested = Contender(
        "skp", skp.StudentNetClassifier, skp.StudentNetRegressor, "learning_rate"
    )
    return MLP, tested


@contextmanager
def quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def lbfgsb_modules():
    """The scipy modules that hold a reference to the L-BFGS-B driver."""
    modules = []
    for name in ("scipy.optimize._lbfgsb_py", "scipy.optimize._minimize"):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            continue
    return [module for module in modules if hasattr(module, "_minimize_lbfgsb")]


@contextmanager
def count_lbfgs_evaluations():
    """Collect ``nfev`` of every L-BFGS-B run made through ``scipy.optimize``.

    ``minimize(method="L-BFGS-B")`` and ``fmin_l_bfgs_b`` both end in one private
    scipy function; wrapping it counts evaluations without touching either
    estimator. If scipy renames it, nothing is counted.
    """
    counts = []
    modules = lbfgsb_modules()
    originals = [module._minimize_lbfgsb for module in modules]

    def counting_in(original):
        def counting(*args, **kwargs):
            result = original(*args, **kwargs)
            counts.append(int(result.nfev))
            return result

        return counting

    for module, original in zip(modules, originals, strict=True):
        module._minimize_lbfgsb = counting_in(original)
    try:
        yield counts
    finally:
        for module, original in zip(modules, originals, strict=True):
            module._minimize_lbfgsb = original


def fit_timed(contender, workload, epochs, split):
    estimator = contender.make(workload, epochs)
    gc.collect()
    with quiet_convergence():
        start = time.perf_counter()
        estimator.fit(split.X_train, split.y_train)
        seconds = time.perf_counter() - start
    return seconds, estimator


def fit_traced(contender, workload, epochs, split):
    """Return the tracemalloc peak of one fit and its L-BFGS evaluation count."""
    estimator = contender.make(workload, epochs)
    gc.collect()
    with quiet_convergence(), count_lbfgs_evaluations() as counts:
        tracemalloc.start()
        try:
            estimator.fit(split.X_train, split.y_train)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return peak, (sum(counts) if counts else None)


def held_out_score(estimator, workload, split):
    """Accuracy or R² on the held-out 20 %, in percentage points."""
    predicted = estimator.predict(split.X_test)
    if workload.task == "classification":
        return 100 * accuracy_score(split.y_test, predicted)
    return 100 * r2_score(split.y_test, predicted)


@dataclass
class Outcome:
    """Everything measured for one estimator on one workload and dtype."""

    label: str
    times: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    peak_bytes: int = 0
    evaluations: int | None = None
    fitted: object = None

    def add_run(self, seconds, estimator):
        self.times.append(seconds)
        self.losses.append(float(estimator.loss_))
        self.fitted = estimator


def run_series(contenders, workload, epochs, split, runs):
    """Traced fit, warm-up, then ``runs`` timed fits of each, alternating."""
    outcomes = [Outcome(c.label) for c in contenders]
    for contender, outcome in zip(contenders, outcomes, strict=True):
        outcome.peak_bytes, outcome.evaluations = fit_traced(
            contender, workload, epochs, split
        )
    for contender in contenders:
        fit_timed(contender, workload, epochs, split)
    for _ in range(runs):
        for contender, outcome in zip(contenders, outcomes, strict=True):
            outcome.add_run(*fit_timed(contender, workload, epochs, split))
    return outcomes


def layer_units(workload, split):
    """Widths of all layers, input to output, as both estimators build them."""
    n_outputs = 1
    if workload.task == "classification":
        n_classes = len(np.unique(split.y_train))
        n_outputs = 1 if n_classes == 2 else n_classes
    return [split.X_train.shape[1], *workload.hidden, n_outputs]


def minibatch_counts(workload, n_train):
    """Map each minibatch size of one pass over the training set to its count."""
    if workload.solver == "lbfgs":
        return {n_train: 1}
    size = workload.batch_size
    size = min(200 if size == "auto" else size, n_train)
    n_full, rest = divmod(n_train, size)
    return {size: n_full, rest: 1} if rest else {size: n_full}


def pass_flops(batch, units):
    """Multiply-add count (times 2) of one minibatch's forward and backward pass.

    Forward ``A @ W`` and the gradient ``A.T @ delta`` run for every layer; the
    propagated delta ``delta @ W.T`` is skipped for the input layer, which has none.
    """
    pairs = list(pairwise(units))
    per_layer = [2 * batch * fan_in * fan_out for fan_in, fan_out in pairs]
    return 2 * sum(per_layer) + sum(per_layer[1:])


def matmul_program(batch, units, dtype, rng):
    """Allocate one minibatch's operands; return a function running its matmuls."""
    pairs = list(pairwise(units))
    acts = [rng.standard_normal((batch, u)).astype(dtype) for u in units]
    deltas = [rng.standard_normal((batch, u)).astype(dtype) for u in units]
    coefs = [
        (rng.standard_normal(pair) / math.sqrt(pair[0])).astype(dtype) for pair in pairs
    ]
    coef_grads = [np.empty_like(coef) for coef in coefs]

    def run():
        for i, coef in enumerate(coefs):
            np.matmul(acts[i], coef, out=acts[i + 1])  # (batch, fan_out)
        for i in reversed(range(len(coefs))):
            np.matmul(acts[i].T, deltas[i + 1], out=coef_grads[i])  # (fan_in, fan_out)
            if i > 0:
                np.matmul(deltas[i + 1], coefs[i].T, out=deltas[i])  # (batch, fan_in)

    return run


def best_time(run, target_seconds, repeats):
    """Fastest mean time of ``run`` over ``repeats`` loops of ``target_seconds``."""
    run()
    start = time.perf_counter()
    run()
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, round(target_seconds / once))
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            run()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


@dataclass
class Floor:
    """The matrix products of one pass over the training set, and their timing.

    ``time`` may run more than once, before and after the fits; each minibatch
    shape keeps its fastest time, so that a moment of contention for the CPU does
    not inflate the floor.
    """

    units: list
    counts: dict
    programs: dict
    best: dict = field(default_factory=dict)

    @classmethod
    def build(cls, workload, split):
        rng = np.random.default_rng(RANDOM_STATE)
        units = layer_units(workload, split)
        counts = minibatch_counts(workload, split.X_train.shape[0])
        dtype = split.X_train.dtype
        programs = {b: matmul_program(b, units, dtype, rng) for b in counts}
        return cls(units, counts, programs)

    def time(self, quick):
        target = 0.02 if quick else 0.1
        for batch, run in self.programs.items():
            seconds = best_time(run, target, repeats=5)
            self.best[batch] = min(seconds, self.best.get(batch, math.inf))

    def summary(self):
        shapes = {
            batch: {"count": count, "seconds": self.best[batch]}
            for batch, count in self.counts.items()
        }
        seconds = sum(shape["count"] * shape["seconds"] for shape in shapes.values())
        flops = sum(
            count * pass_flops(batch, self.units)
            for batch, count in self.counts.items()
        )
        return {
            "units": self.units,
            "seconds": seconds,
            "flops": flops,
            "minibatches": shapes,
        }


def passes_done(workload, estimator, evaluations):
    """Forward+backward passes over the training set that a fit made.

    For SGD and Adam a pass is an epoch (``n_iter_``). For L-BFGS it is a function
    evaluation, counted in the traced fit; ``n_iter_`` stands in when none was
    counted (an L-BFGS outside scipy).
    """
    if workload.solver == "lbfgs" and evaluations is not None:
        return evaluations, "evaluations"
    return estimator.n_iter_, "epochs"


def summarize(outcome, workload, split, floor):
    """Reduce one Outcome to the JSON-ready numbers shown in the table."""
    estimator = outcome.fitted
    median = statistics.median(outcome.times)
    passes, unit = passes_done(workload, estimator, outcome.evaluations)
    floor_seconds = passes * floor["seconds"]
    curve = getattr(estimator, "loss_curve_", None)
    t = getattr(estimator, "t_", None)
    return {
        "label": outcome.label,
        "times": outcome.times,
        "median": median,
        "min": min(outcome.times),
        "max": max(outcome.times),
        "peak_mib": outcome.peak_bytes / MIB,
        "loss": outcome.losses[-1],
        "loss_spread": max(outcome.losses) - min(outcome.losses),
        "score": held_out_score(estimator, workload, split),
        "n_iter": int(estimator.n_iter_),
        "loss_curve_len": None if curve is None else len(curve),
        "t": None if t is None else int(t),
        "evaluations": outcome.evaluations,
        "passes": int(passes),
        "pass_unit": unit,
        "coef_dtype": str(estimator.coefs_[0].dtype),
        "floor_seconds": floor_seconds,
        "gflops": passes * floor["flops"] / median / 1e9,
        "floor_share": floor_seconds / median,
    }


def bench_one(workload, dtype_name, split, contenders, args):
    """Measure one workload in one dtype; return its JSON-ready record."""
    epochs = workload.n_epochs(args.quick)
    floor = Floor.build(workload, split)
    floor.time(args.quick)
    outcomes = run_series(contenders, workload, epochs, split, args.runs)
    floor.time(args.quick)
    floor = floor.summary()
    sides = [summarize(o, workload, split, floor) for o in outcomes]
    ratio = sides[0]["median"] / sides[1]["median"]
    print(
        f"{workload.name} {dtype_name}: {sides[0]['label']} {sides[0]['median']:.3f}"
        f" s, {sides[1]['label']} {sides[1]['median']:.3f} s, ratio {ratio:.2f}",
        file=sys.stderr,
        flush=True,
    )
    return {
        "workload": workload.name,
        "dtype": dtype_name,
        "task": workload.task,
        "solver": workload.solver,
        "hidden": list(workload.hidden),
        "batch_size": workload.batch_size,
        "max_iter": epochs,
        "n_train": split.X_train.shape[0],
        "n_test": split.X_test.shape[0],
        "floor": floor,
        "ratio": ratio,
        "estimators": sides,
    }


def cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_libraries():
    """The thread pools threadpoolctl sees, with the BLAS kernel it reports."""
    keys = ("user_api", "internal_api", "version", "architecture", "num_threads")
    pools = []
    for info in threadpool_info():
        pool = {key: info.get(key) for key in keys}
        path = Path(info["filepath"])
        pool["file"] = f"{path.parent.name}/{path.name}"
        pools.append(pool)
    return pools


def machine_info(contenders):
    tested = contenders[1].classifier.__module__.split(".")[0]
    module = sys.modules[tested]
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "tested": f"{tested} {getattr(module, '__version__', '')}".strip(),
        "threadpools": blas_libraries(),
        "env": {name: os.environ.get(name) for name in BLAS_ENV},
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def format_machine(machine, contenders, args):
    lines = [
        "## Machine",
        "",
        f"- CPU: {machine['cpu']} ({machine['logical_cores']} logical cores, "
        f"{machine['usable_cores']} usable)",
        f"- Python {machine['python']}, numpy {machine['numpy']}, scipy "
        f"{machine['scipy']}, scikit-learn {machine['sklearn']}, "
        f"{contenders[1].label} = {machine['tested']}",
    ]
    for pool in machine["threadpools"]:
        kernel = pool["architecture"] or "-"
        lines.append(
            f"- {pool['user_api']}: {pool['internal_api']} {pool['version']}, "
            f"kernel {kernel}, {pool['num_threads']} threads ({pool['file']})"
        )
    env = ", ".join(
        f"{k}={v if v is not None else 'unset'}" for k, v in machine["env"].items()
    )
    lines.append(f"- Environment: {env}")
    if machine["load_average"] is not None:
        lines.append(
            f"- Load average at start: {machine['load_average']:.2f} "
            "(well above 0: something ran during the last minute)"
        )
    mode = "quick" if args.quick else "full"
    if args.blas_threads:
        mode += f", BLAS limited to {args.blas_threads} thread(s) by --blas-threads"
    lines.append(
        f"- Mode: {mode}; per estimator 1 traced fit, 1 warm-up, {args.runs} timed "
        f"fits, alternating {contenders[0].label}, {contenders[1].label}"
    )
    return "\n".join(lines)


def format_seconds(seconds):
    decimals = min(4, max(0, 3 - math.floor(math.log10(max(seconds, 1e-4)))))
    return f"{seconds:.{decimals}f}"


def format_time(side):
    low, mid, high = (format_seconds(side[k]) for k in ("min", "median", "max"))
    return f"{mid} [{low}-{high}]"


def format_pair(values, fmt):
    """One value when both sides agree, else ``a/b``."""
    texts = [fmt(v) for v in values]
    return texts[0] if texts[0] == texts[1] else "/".join(texts)


def format_passes(record):
    a, b = record["estimators"]
    if record["solver"] != "lbfgs":
        return format_pair([a["n_iter"], b["n_iter"]], str)
    iterations = format_pair([a["n_iter"], b["n_iter"]], str)
    evaluations = format_pair([a["evaluations"], b["evaluations"]], str)
    return f"{iterations} it, {evaluations} ev"


def format_row(record):
    a, b = record["estimators"]
    cells = [
        record["workload"],
        record["dtype"],
        format_passes(record),
        format_time(a),
        format_time(b),
        f"{record['ratio']:.2f}",
        *(f"{side['peak_mib']:.1f}" for side in (a, b)),
        *(f"{side['loss']:.5g}" for side in (a, b)),
        *(f"{side['score']:.2f}" for side in (a, b)),
        *(f"{side['gflops']:.1f}" for side in (a, b)),
        format_pair([a["floor_seconds"], b["floor_seconds"]], format_seconds),
        *(f"{100 * side['floor_share']:.0f}" for side in (a, b)),
    ]
    return "| " + " | ".join(cells) + " |"


def format_table(records, contenders):
    a, b = (c.label for c in contenders)
    headers = [
        "workload", "dtype", "epochs (lbfgs: it, ev)",
        f"{a} s median [min-max]", f"{b} s median [min-max]", f"{a}/{b}",
        f"{a} peak MiB", f"{b} peak MiB", f"{a} loss", f"{b} loss",
        f"{a} score %", f"{b} score %", f"{a} GFLOP/s", f"{b} GFLOP/s",
        "floor s", f"{a} % floor", f"{b} % floor",
    ]  # fmt: skip
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines.extend(format_row(record) for record in records)
    return "\n".join(lines)


def training_notes(record, side):
    """What an estimator did differently from what it was asked to do."""
    notes = []
    n_iter, curve = side["n_iter"], side["loss_curve_len"]
    if n_iter != record["max_iter"]:
        unit = "iterations" if record["solver"] == "lbfgs" else "epochs"
        notes.append(f"ran {n_iter} of {record['max_iter']} {unit}")
    if curve is not None and curve != n_iter:
        notes.append(f"{curve} losses in loss_curve_, n_iter_ {n_iter}")
    if side["coef_dtype"] != record["dtype"]:
        notes.append(f"weights are {side['coef_dtype']}")
    if record["solver"] == "lbfgs" and side["evaluations"] is None:
        notes.append("no L-BFGS evaluations seen; floor uses n_iter_")
    return notes


def measurement_notes(side):
    """Signs that the measurement itself was disturbed."""
    notes = []
    if side["loss_spread"] > 0:
        notes.append(f"loss_ varied by {side['loss_spread']:.3g} between timed fits")
    if side["max"] > NOISY_SPREAD * side["min"]:
        spread = side["max"] / side["min"]
        notes.append(f"slowest fit {spread:.1f}x the fastest; CPU busy?")
    if side["floor_share"] > 1:
        notes.append("faster than its floor: floor timing disturbed")
    return notes


def record_notes(record):
    """Sentences about anything in one record that makes its row read differently."""
    notes = []
    for side in record["estimators"]:
        where = f"{record['workload']} {record['dtype']} {side['label']}"
        found = training_notes(record, side) + measurement_notes(side)
        notes.extend(f"{where}: {note}" for note in found)
    return notes


def format_legend(records, contenders):
    a, b = (c.label for c in contenders)
    legend = (
        f"{a}/{b} = {a} median / {b} median (above 1: {b} is faster). floor s = "
        "time of the fit's matrix products alone, as one BLAS call sequence; "
        "% floor = floor s / median fit time. Scores are held-out accuracy "
        "(classification) or R² (regression) in percent."
    )
    notes = [f"- {note}" for record in records for note in record_notes(record)]
    if not notes:
        return legend
    return legend + "\n\nNotes:\n\n" + "\n".join(notes)


def build_parser():
    parser = argparse.ArgumentParser(
        description="Time skperceptron against scikit-learn's MLP estimators."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller data, fewer epochs and runs; about a minute in all",
    )
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help=f"comma-separated subset of {', '.join(WORKLOADS)} (default: all)",
    )
    parser.add_argument(
        "--dtypes",
        default=",".join(DTYPES),
        help="comma-separated subset of float64,float32 (default: both)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        help="timed fits per estimator after the warm-up (default 5, quick 2)",
    )
    parser.add_argument("--output", type=Path, help="also write the results as JSON")
    parser.add_argument(
        "--mlp-vs-mlp",
        action="store_true",
        help="time scikit-learn's MLP against itself, to check the harness and "
        "see its noise; skperceptron is not needed",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        help="limit every BLAS to this many threads for the whole run (default: "
        "the libraries' own choice); 1 steadies times on a shared machine",
    )
    return parser


def parse_args(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    args.workloads = parse_choices(parser, "--workloads", args.workloads, WORKLOADS)
    args.dtypes = parse_choices(parser, "--dtypes", args.dtypes, DTYPES)
    if args.runs is None:
        args.runs = 2 if args.quick else 5
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs!r}")
    if args.blas_threads is not None and args.blas_threads < 1:
        parser.error(f"--blas-threads must be at least 1, got {args.blas_threads!r}")
    return args


def parse_choices(parser, option, text, known):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        parser.error(
            f"{option} got {text!r}; choose from {', '.join(known)}, comma-separated"
        )
    return names


def run_all(args, contenders):
    records = []
    for name in args.workloads:
        workload = WORKLOADS[name]
        split = prepare_split(workload, args.quick)
        for dtype_name in args.dtypes:
            typed = split.astype(DTYPES[dtype_name])
            records.append(bench_one(workload, dtype_name, typed, contenders, args))
    return records


def write_json(path, machine, args, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "machine": machine,
        "quick": args.quick,
        "runs": args.runs,
        "blas_threads": args.blas_threads,
        "results": records,
    }
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Wrote {path}", file=sys.stderr)


def main(argv=None):
    args = parse_args(argv)
    contenders = load_contenders(args.mlp_vs_mlp)
    limit = args.blas_threads
    with threadpool_limits(limits=limit, user_api="blas") if limit else nullcontext():
        machine = machine_info(contenders)
        print(format_machine(machine, contenders, args), flush=True)
        records = run_all(args, contenders)
    print("\n## Results\n\n" + format_table(records, contenders))
    print("\n" + format_legend(records, contenders))
    if args.output is not None:
        write_json(args.output, machine, args, records)


if __name__ == "__main__":
    main()
