"""Command line: compare the StudentNet estimators with baselines on a data set.

``python -m skperceptron`` cross-validates ``StudentNetClassifier`` or
``StudentNetRegressor`` next to a dummy baseline and to scikit-learn's
``MLPClassifier`` or ``MLPRegressor`` with the same architecture and solver. Each
network gets a grid search over its learning rate. Without options the comparison
runs on data that ships with scikit-learn and on
:func:`skperceptron.datasets.make_students`; with ``--csv FILE --target COLUMN`` it
runs on a CSV file.
"""

import argparse
import csv
import difflib
import itertools
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from . import StudentNetClassifier, StudentNetRegressor, TrainingInterrupted
from .datasets import make_students

PROG = "python -m skperceptron"
HIDDEN_LAYER_SIZES = (32,)
LEARNING_RATES = (1e-3, 1e-2, 1e-1)
N_FOLDS = 5
MAX_ITER = 2000
QUICK_LEARNING_RATES = (1e-2, 1e-1)
QUICK_N_FOLDS = 3
QUICK_MAX_ITER = 30
# A numeric target of whole numbers with at most this many distinct values is
# read as class labels; with more it is read as a quantity to regress.
MAX_CLASSES_FOR_INTEGER_TARGET = 10
SCORING = {"classification": "accuracy", "regression": "r2"}
SCORE_NAMES = {"classification": "accuracy", "regression": "R^2"}
SEPARATORS = ",;\t|"
SNIFF_LINES = 20
NOT_CONVERGED_NOTE = """\
'not converged' counts fits that stopped at max_iter and raised
ConvergenceWarning; the warnings are counted here instead of printed.
Raise --max-iter to give those fits more epochs."""

DESCRIPTION = """\
Cross-validate StudentNetClassifier or StudentNetRegressor next to a dummy baseline
and to scikit-learn's MLPClassifier or MLPRegressor with the same architecture and
solver, with a grid search over each network's learning rate, and print one table
per data set.

Without --csv, the comparison runs on scikit-learn's breast cancer data
(classification), its diabetes data (regression) and the synthetic make_students
data (classification)."""

EPILOG = f"""\
CSV files: the separator is detected unless --sep is given, a UTF-8 byte-order mark
is skipped and whitespace around column names is removed. Numeric feature columns
are scaled (missing values are replaced by the column median); other columns are
one-hot encoded. Rows without a target value are left out.

Task: unless --task is given, the target is a classification target when it is not
numeric, or when it holds whole numbers with at most {MAX_CLASSES_FOR_INTEGER_TARGET} \
distinct values; otherwise it
is a regression target. So a 0-20 grade with 17 distinct values is a regression
target, and a 1-5 rating is a classification target.

examples:
  {PROG}
  {PROG} --csv student-por.csv --target G3 --drop G1 G2
  {PROG} --csv data.csv --target Target --quick"""


class CLIError(Exception):
    """A problem with the input that the user can fix; printed without a traceback."""


@dataclass(frozen=True)
class Settings:
    """How every model is cross-validated and tuned."""

    n_folds: int
    learning_rates: tuple
    max_iter: int
    solver: str
    random_state: int


@dataclass
class Dataset:
    """Features, target and task of one data set, with notes to print above it."""

    title: str
    X: pd.DataFrame
    y: pd.Series
    task: str
    notes: list = field(default_factory=list)


@dataclass(frozen=True)
class Result:
    """The cross-validated outcome of one model at its best learning rate."""

    model: str
    mean_score: float
    std_score: float
    learning_rate: float | None
    fit_time: float
    n_fits: int
    n_not_converged: int | None


def main(argv=None):
    """Run the command line with ``argv`` (default ``sys.argv[1:]``).

    Parameters
    ----------
    argv : list of str or None, default=None
        Command-line arguments, without the program name.

    Returns
    -------
    status : int
        0 on success, 2 when the input cannot be used; the reason is printed to
        standard error as one line.

    Raises
    ------
    SystemExit
        From argparse, for ``--help`` (code 0) and for options that are invalid or
        do not go together (code 2, after the usage and a one-line error).

    Examples
    --------
    >>> from skperceptron._cli import main
    >>> main(["--csv", "no-such-file.csv", "--target", "y"])
    2
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    _check_argument_combination(parser, args)
    settings = _settings_from_args(args)
    try:
        datasets = _load_datasets(args, settings)
    except CLIError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2

    start = time.perf_counter()
    print(_format_header(settings))
    try:
        for dataset in datasets:
            print()
            specs = _model_specs(dataset, settings)
            results = [_evaluate(dataset, spec, settings) for spec in specs]
            print(_format_table(dataset, results), flush=True)
    except (KeyboardInterrupt, UserWarning) as exc:
        if isinstance(exc, UserWarning) and "nterrupted" not in str(exc):
            raise
        print(f"{PROG}: interrupted; the results above are complete.", file=sys.stderr)
        return 130
    except ValueError as exc:
        # The data could not be used as it is (infinite or overflowing values, a
        # fit that diverged): say why in one line, as for other input errors.
        reason = " ".join(str(exc).split())
        print(f"{PROG}: error: {reason}", file=sys.stderr)
        return 2
    print()
    print(f"Total time: {time.perf_counter() - start:.1f} s")
    return 0


def _build_parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--csv", metavar="FILE", type=Path, help="CSV file to use.")
    parser.add_argument("--target", metavar="COLUMN", help="Column to predict.")
    parser.add_argument(
        "--task",
        choices=["classification", "regression"],
        help="Override the task inferred from the target column.",
    )
    parser.add_argument(
        "--sep",
        type=_separator,
        help="Column separator of the CSV file; '\\t' means tab.",
    )
    parser.add_argument(
        "--drop",
        metavar="COLUMN",
        nargs="+",
        default=[],
        help="Feature columns to leave out, for example ones that leak the target.",
    )
    parser.add_argument(
        "--solver",
        choices=["adam", "sgd"],
        default="adam",
        help="Solver of both networks (default: %(default)s).",
    )
    parser.add_argument(
        "--max-iter",
        metavar="N",
        type=_positive_int,
        help=f"Maximum epochs per fit (default: {MAX_ITER}, or "
        f"{QUICK_MAX_ITER} with --quick).",
    )
    parser.add_argument(
        "--random-state",
        metavar="SEED",
        type=_seed,
        default=0,
        help="Seed of the folds and of the networks (default: %(default)s).",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"Smoke test: {QUICK_N_FOLDS} folds, learning rates "
        f"{_format_rates(QUICK_LEARNING_RATES)}, {QUICK_MAX_ITER} epochs.",
    )
    return parser


def _positive_int(text):
    """Parse a command-line value that must be a positive integer."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, got {text!r}; pass a whole number such as "
            f"{MAX_ITER}"
        )
    return value


def _seed(text):
    """Parse ``--random-state``: a whole number from 0 to 2**32 - 1."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 0 to 2**32 - 1, got {text!r}; for example 0"
        )
    return value


def _separator(text):
    """Parse ``--sep``, reading a typed-out backslash-t as a tab character."""
    if text == "\\t":
        return "\t"
    if not text or "\n" in text or "\r" in text:
        raise argparse.ArgumentTypeError(
            f"must be the text between columns, got {text!r}; pass for example "
            "';' or '\\t'"
        )
    return text


def _check_argument_combination(parser, args):
    """Exit through ``parser.error`` when options that need each other are alone."""
    csv_only = [
        ("--target", args.target),
        ("--task", args.task),
        ("--sep", args.sep),
        ("--drop", args.drop),
    ]
    given = [option for option, value in csv_only if value]
    if args.csv is None and given:
        listed = ", ".join(given)
        verb = "is" if len(given) == 1 else "are"
        parser.error(
            f"{listed} {verb} only used with --csv FILE; add --csv FILE or leave out "
            f"{listed}"
        )
    if args.csv is not None and args.target is None:
        parser.error("--csv needs --target COLUMN, the column to predict")


def _settings_from_args(args):
    quick = args.quick
    return Settings(
        n_folds=QUICK_N_FOLDS if quick else N_FOLDS,
        learning_rates=QUICK_LEARNING_RATES if quick else LEARNING_RATES,
        max_iter=args.max_iter or (QUICK_MAX_ITER if quick else MAX_ITER),
        solver=args.solver,
        random_state=args.random_state,
    )


def _load_datasets(args, settings):
    """Return the data sets to compare on, each checked against ``settings``."""
    if args.csv is None:
        datasets = _builtin_datasets(settings.random_state)
    else:
        datasets = [_load_csv_dataset(args)]
    for dataset in datasets:
        _check_enough_rows(dataset, settings.n_folds)
    return datasets


def _builtin_datasets(random_state):
    cancer = load_breast_cancer(as_frame=True)
    diabetes = load_diabetes(as_frame=True)
    students_X, students_y = make_students(random_state=random_state)
    return [
        _builtin("breast cancer (load_breast_cancer)", *_xy(cancer), "classification"),
        _builtin("diabetes (load_diabetes)", *_xy(diabetes), "regression"),
        _builtin(
            "students (make_students, synthetic)",
            students_X,
            students_y,
            "classification",
        ),
    ]


def _xy(bunch):
    return bunch.data, bunch.target


def _builtin(title, X, y, task):
    return Dataset(title, X, y, task, [f"Task: {task}."])


# CSV files


def _load_csv_dataset(args):
    """Read ``args.csv`` and split it into features and the ``args.target`` column."""
    frame = _read_csv(args.csv, args.sep)
    target = _find_column(args.target.strip(), frame.columns, args.csv, "--target")
    X = _drop_features(frame.drop(columns=[target]), args.drop, target, args.csv)
    if X.shape[1] == 0:
        raise CLIError(
            f"{_quote(args.csv)} has no feature columns besides the target {target!r}; "
            "pass a file with at least one more column"
        )
    X, y, notes = _drop_missing_targets(X, frame[target], target)
    task, reason = _choose_task(y, target, args.task)
    notes.append(f"Task: {task} ({reason}).")
    return Dataset(f"{args.csv.name}, target {target!r}", X, y, task, notes)


def _drop_missing_targets(X, y, target):
    """Leave out the rows without a target value; return X, y and a note on it."""
    missing = y.isna()
    if missing.all():
        raise CLIError(
            f"target {target!r} has no value in any row; pick a column with values"
        )
    if not missing.any():
        return X, y, []
    note = f"Left out {_rows(missing.sum())} of {len(y)}, which have no {target!r}."
    return X[~missing], y[~missing], [note]


def _read_csv(path, sep):
    """Read a CSV file into a data frame with stripped column names."""
    sample = _read_sample(path)
    if sep is None:
        sep = _detect_separator(sample, path)
    # The C parser takes one-character separators only.
    engine = "c" if len(sep) == 1 else "python"
    try:
        frame = pd.read_csv(path, sep=sep, engine=engine, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from None
    except (pd.errors.ParserError, csv.Error) as exc:
        raise CLIError(
            f"could not read {_quote(path)} with separator {sep!r}: "
            f"{' '.join(str(exc).split())}; check the file or pass the right "
            "separator with --sep"
        ) from None
    frame.columns = [str(name).strip() for name in frame.columns]
    _check_frame(frame, path)
    return frame


def _read_sample(path):
    """Return the first lines of ``path``, or raise CLIError if it is unusable."""
    if not path.exists():
        raise CLIError(f"file {_quote(path)} does not exist; check the path to --csv")
    if path.is_dir():
        raise CLIError(f"{_quote(path)} is a directory; pass a CSV file to --csv")
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            sample = "".join(itertools.islice(file, SNIFF_LINES))
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from None
    if not sample.strip():
        raise CLIError(
            f"{_quote(path)} is empty; pass a CSV file with a header row and data rows"
        )
    return sample


def _not_utf8(path, exc):
    return CLIError(
        f"{_quote(path)} is not UTF-8 text ({exc}); save it with UTF-8 encoding"
    )


def _quote(path):
    return repr(str(path))


def _detect_separator(sample, path):
    """Guess the separator from the first lines; a file with one column gets ','."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        header = sample.splitlines()[0]
        if any(sep in header for sep in SEPARATORS):
            raise CLIError(
                f"could not detect the column separator of {_quote(path)}; pass "
                "it with --sep, for example --sep ';'"
            ) from None
        return ","


def _check_frame(frame, path):
    duplicated = sorted(set(frame.columns[frame.columns.duplicated()]))
    if duplicated:
        raise CLIError(
            f"{_quote(path)} has more than one column named {duplicated[0]!r} once "
            "spaces around names are removed; give the columns different names"
        )
    if frame.empty:
        raise CLIError(f"{_quote(path)} has a header but no data rows; add data rows")


def _find_column(name, columns, path, option):
    """Return ``name`` if it is a column, or raise CLIError that suggests one."""
    if name in columns:
        return name
    closest = _closest(name, columns)
    suggestion = f"did you mean {closest!r}? " if closest else ""
    available = ", ".join(repr(column) for column in columns)
    raise CLIError(
        f"column {name!r} is not in {_quote(path)}; {suggestion}pass one of the "
        f"available columns to {option}: {available}"
    )


def _closest(name, columns):
    """Return the column most like ``name``, ignoring case, or None."""
    by_lower = {column.lower(): column for column in columns}
    matches = difflib.get_close_matches(name.lower(), by_lower, n=1)
    return by_lower[matches[0]] if matches else None


def _drop_features(X, drop, target, path):
    names = [name.strip() for name in drop]
    if target in names:
        raise CLIError(
            f"--drop lists the target {target!r}; the target is never a feature, so "
            "leave it out of --drop"
        )
    return X.drop(
        columns=[_find_column(name, X.columns, path, "--drop") for name in names]
    )


def _choose_task(y, target, task):
    """Return the task for target ``y`` and the reason, checking that it fits."""
    example = _plain(y.iloc[0])
    if y.nunique() < 2:
        raise CLIError(
            f"target {target!r} has the single value {example!r} in every row; a "
            "model needs at least two different target values to learn from"
        )
    numeric = _is_numeric(y)
    if task == "regression" and not numeric:
        raise CLIError(
            f"--task regression needs a numeric target, but {target!r} holds values "
            f"such as {example!r}; use --task classification or another target"
        )
    if task is not None:
        return task, "set with --task"
    return _infer_task(y, numeric)


def _infer_task(y, numeric):
    """Infer the task from the target; see MAX_CLASSES_FOR_INTEGER_TARGET."""
    if not numeric:
        return "classification", "the target is not numeric; --task overrides"
    n_values = y.nunique()
    if not np.all(np.mod(y.to_numpy(dtype=float), 1) == 0):
        return "regression", f"{n_values} distinct numbers; --task overrides"
    limit = MAX_CLASSES_FOR_INTEGER_TARGET
    if n_values <= limit:
        reason = f"{n_values} distinct whole numbers, at most {limit}"
        return "classification", f"{reason}; --task overrides"
    reason = f"{n_values} distinct whole numbers, more than {limit}"
    return "regression", f"{reason}; --task overrides"


def _check_enough_rows(dataset, n_folds):
    """Raise CLIError when cross-validation cannot split the data into folds."""
    # R^2 needs two samples in each test fold; so does a fold-wise accuracy that
    # means more than right or wrong.
    if len(dataset.y) < 2 * n_folds:
        raise CLIError(
            f"{dataset.title} has {_rows(len(dataset.y))} with a target value; "
            f"{n_folds}-fold cross-validation needs at least {2 * n_folds}"
        )
    if dataset.task != "classification":
        return
    counts = dataset.y.value_counts().sort_index().sort_values(kind="stable")
    rare = counts[counts < n_folds]
    if len(rare):
        raise CLIError(
            f"class {_plain(rare.index[0])!r} of {dataset.title} has "
            f"{_rows(rare.iloc[0])}, fewer than the {n_folds} cross-validation "
            f"folds ({len(rare)} of the {len(counts)} classes have fewer); add rows "
            "of those classes, remove them, or use --task regression for a numeric "
            "target"
        )


def _rows(n_rows):
    return f"{n_rows} row" if n_rows == 1 else f"{n_rows} rows"


def _plain(value):
    """Return a numpy scalar as the Python value, so that its repr reads plainly."""
    return value.item() if isinstance(value, np.generic) else value


# Models


@dataclass(frozen=True)
class ModelSpec:
    """A model to cross-validate and the grid of its learning-rate parameter."""

    label: str
    pipeline: Pipeline
    param_grid: dict


def _model_specs(dataset, settings):
    """Return the baseline, the StudentNet estimator and scikit-learn's network."""
    classify = dataset.task == "classification"
    dummy = DummyClassifier(strategy="most_frequent") if classify else DummyRegressor()
    net = StudentNetClassifier if classify else StudentNetRegressor
    mlp = MLPClassifier if classify else MLPRegressor
    return [
        ModelSpec(type(dummy).__name__, _pipeline(dataset.X, dummy), {}),
        _network_spec(dataset, net, "learning_rate", settings),
        _network_spec(dataset, mlp, "learning_rate_init", settings),
    ]


def _network_spec(dataset, estimator_class, rate_parameter, settings):
    """Return the spec of a network with a grid over its learning-rate parameter."""
    network = estimator_class(
        hidden_layer_sizes=HIDDEN_LAYER_SIZES,
        solver=settings.solver,
        max_iter=settings.max_iter,
        random_state=settings.random_state,
    )
    if dataset.task == "regression":
        # A target on the scale of the features lets one learning-rate grid suit
        # every data set; predictions are transformed back to the target's scale.
        network = TransformedTargetRegressor(network, transformer=StandardScaler())
        rate_parameter = f"regressor__{rate_parameter}"
    grid = {f"model__{rate_parameter}": list(settings.learning_rates)}
    return ModelSpec(estimator_class.__name__, _pipeline(dataset.X, network), grid)


def _pipeline(X, model):
    return Pipeline([("preprocess", _preprocessor(X)), ("model", model)])


def _preprocessor(X):
    """Scale numeric columns and one-hot encode the others."""
    numeric = [column for column in X.columns if _is_numeric(X[column])]
    other = [column for column in X.columns if column not in numeric]
    scale = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    encode = OneHotEncoder(handle_unknown="ignore")
    return ColumnTransformer([("numeric", scale, numeric), ("other", encode, other)])


def _is_numeric(series):
    """Whether ``series`` holds numbers; booleans count as categories."""
    dtype = series.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(
        dtype
    )


def _cv(task, settings):
    splitter = StratifiedKFold if task == "classification" else KFold
    return splitter(settings.n_folds, shuffle=True, random_state=settings.random_state)


def _evaluate(dataset, spec, settings):
    """Cross-validate ``spec`` on ``dataset`` over its learning-rate grid."""
    search = GridSearchCV(
        spec.pipeline,
        spec.param_grid,
        scoring=SCORING[dataset.task],
        cv=_cv(dataset.task, settings),
        refit=False,
        error_score="raise",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Ctrl-C ends the whole job, not only the fit it lands in (both networks
        # catch it to keep their weights, and warn).
        warnings.simplefilter("error", TrainingInterrupted)
        warnings.filterwarnings("error", "Training interrupted by user")
        search.fit(dataset.X, dataset.y)
    n_not_converged = _count_convergence_warnings(caught)

    best = search.best_index_
    scores = search.cv_results_
    rate = next(iter(search.best_params_.values()), None)
    return Result(
        model=spec.label,
        mean_score=scores["mean_test_score"][best],
        std_score=scores["std_test_score"][best],
        learning_rate=rate,
        fit_time=scores["mean_fit_time"][best],
        n_fits=len(scores["params"]) * settings.n_folds,
        n_not_converged=n_not_converged if spec.param_grid else None,
    )


def _count_convergence_warnings(caught):
    """Count ConvergenceWarnings in ``caught``; show each other warning once."""
    n_convergence = 0
    shown = set()
    for warning in caught:
        key = (warning.category, str(warning.message))
        if issubclass(warning.category, ConvergenceWarning):
            n_convergence += 1
        elif key not in shown:
            shown.add(key)
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return n_convergence


# Output


def _format_rates(rates):
    return ", ".join(f"{rate:g}" for rate in rates)


def _format_header(settings):
    return "\n".join(
        [
            f"StudentNet estimators against scikit-learn {sklearn.__version__}, "
            f"{settings.n_folds}-fold cross-validation.",
            f"Networks: hidden_layer_sizes={HIDDEN_LAYER_SIZES}, "
            f"solver={settings.solver!r}, max_iter={settings.max_iter}, "
            f"random_state={settings.random_state}.",
            f"Learning rates searched: {_format_rates(settings.learning_rates)}.",
            "Score: mean +/- standard deviation over the folds, at the best "
            "learning rate.",
            "  The same folds choose that rate, so the networks' scores lean "
            "optimistic.",
            "Fit time: mean seconds to fit one fold at the best learning rate.",
        ]
    )


def _format_table(dataset, results):
    """Return the title, notes and one row per model for ``dataset``."""
    n_rows, n_features = dataset.X.shape
    n_numeric = sum(_is_numeric(dataset.X[column]) for column in dataset.X)
    lines = [
        f"== {dataset.title} ==",
        f"{n_rows} rows; {n_features} features: {n_numeric} numeric (scaled), "
        f"{n_features - n_numeric} other (one-hot encoded).",
        *dataset.notes,
    ]
    header = [
        "model",
        SCORE_NAMES[dataset.task],
        "best learning rate",
        "fit time (s)",
        "not converged",
    ]
    rows = [header] + [_format_row(result) for result in results]
    lines += _align(rows)
    if any(result.n_not_converged for result in results):
        lines.append(NOT_CONVERGED_NOTE)
    return "\n".join(lines)


def _format_row(result):
    rate = "-" if result.learning_rate is None else f"{result.learning_rate:g}"
    if result.n_not_converged is None:
        not_converged = "-"
    else:
        not_converged = f"{result.n_not_converged}/{result.n_fits}"
    return [
        result.model,
        f"{result.mean_score:.3f} +/- {result.std_score:.3f}",
        rate,
        f"{result.fit_time:.3f}",
        not_converged,
    ]


def _align(rows):
    """Pad each column of ``rows`` to its widest cell, two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]
