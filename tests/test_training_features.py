"""Training features: solvers, schedules, stopping, incremental training, weights,
multi-target learning, sparse input and metadata routing.

Every test runs on a few dozen samples and a network of a handful of units, so the
whole file stays fast.
"""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.model_selection import train_test_split as sklearn_train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_class_weight_classifiers

from skperceptron import StudentNetClassifier, StudentNetRegressor
from skperceptron._losses import LOSSES
from skperceptron._network import FlatParameters, backward, forward, glorot_uniform

ESTIMATORS = [StudentNetClassifier, StudentNetRegressor]
SOLVERS = ["sgd", "adam", "lbfgs"]
STOCHASTIC_SOLVERS = ["sgd", "adam"]
SMALL = dict(hidden_layer_sizes=(5,), random_state=0)

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


# ---------------------------------------------------------------- helpers


def _classification(n_samples=40, n_features=4, n_classes=2, random_state=0):
    return make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        random_state=random_state,
    )


def _regression(n_samples=40, n_features=4, n_targets=1, random_state=0):
    X, y = make_regression(
        n_samples=n_samples,
        n_features=n_features,
        n_targets=n_targets,
        noise=5.0,
        random_state=random_state,
    )
    return X, (y - y.mean(axis=0)) / y.std(axis=0)


def _data(Estimator, **kwargs):
    if Estimator is StudentNetClassifier:
        return _classification(**kwargs)
    return _regression(**kwargs)


def _multilabel(n_samples=40, n_features=4, random_state=0):
    """Three labels, each a thresholded linear function of X."""
    rng = np.random.RandomState(random_state)
    X = rng.normal(size=(n_samples, n_features))
    Y = (X @ rng.normal(size=(n_features, 3)) > 0).astype(int)
    return X, Y


def _multi_target(Estimator, n_samples=40):
    """A multilabel indicator matrix (classifier) or two outputs (regressor)."""
    if Estimator is StudentNetClassifier:
        return _multilabel(n_samples=n_samples)
    return _regression(n_samples=n_samples, n_targets=2)


def _outputs(model, X):
    """What the model predicts as floats: probabilities, or the predicted values."""
    if isinstance(model, StudentNetClassifier):
        return model.predict_proba(X)
    return model.predict(X)


def _assert_same_weights(model, other, rtol=1e-7, atol=1e-10):
    for mine, theirs in zip(
        model.coefs_ + model.intercepts_, other.coefs_ + other.intercepts_, strict=True
    ):
        assert_allclose(mine, theirs, rtol=rtol, atol=atol)


def _spy_on_split(monkeypatch):
    """Record each early-stopping split: its ``stratify`` and its index arrays."""
    calls = []

    def recording_split(*arrays, **kwargs):
        train, validation = sklearn_train_test_split(*arrays, **kwargs)
        calls.append(
            {"stratify": kwargs.get("stratify"), "train": train, "val": validation}
        )
        return train, validation

    monkeypatch.setattr("skperceptron._base.train_test_split", recording_split)
    return calls


def _score(model, X, y, sample_weight):
    """The score early stopping monitors: accuracy or R^2, weighted."""
    if isinstance(model, StudentNetClassifier):
        return accuracy_score(y, model.predict(X), sample_weight=sample_weight)
    return r2_score(y, model.predict(X), sample_weight=sample_weight)


def _mean_loss(model, X, y, sample_weight):
    """Weighted mean loss without penalty: log loss, or half the squared error.

    For a multilabel y, the binary cross-entropy of each label, summed per sample.
    """
    if isinstance(model, StudentNetClassifier) and np.ndim(y) == 2:
        proba = model.predict_proba(X)
        per_sample = -(y * np.log(proba) + (1 - y) * np.log(1 - proba)).sum(axis=1)
        return np.average(per_sample, weights=sample_weight)
    if isinstance(model, StudentNetClassifier):
        return log_loss(y, model.predict_proba(X), sample_weight=sample_weight)
    residual = (model.predict(X) - y).reshape(len(y), -1)
    per_sample = 0.5 * (residual**2).sum(axis=1)
    return np.average(per_sample, weights=sample_weight)


def _classes_kwargs(Estimator, y):
    return {"classes": np.unique(y)} if Estimator is StudentNetClassifier else {}


def _epoch_lines(out):
    return [line for line in out.splitlines() if line.startswith("Epoch ")]


# ------------------------------------------------------------------ L-BFGS


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_records_one_loss_per_iteration(Estimator):
    X, y = _data(Estimator)
    model = Estimator(solver="lbfgs", max_iter=30, **SMALL).fit(X, y)

    assert 1 < model.n_iter_ <= 30
    assert len(model.loss_curve_) == model.n_iter_
    assert model.t_ == model.n_iter_ * X.shape[0]
    assert model.loss_ == model.loss_curve_[-1]
    # Each L-BFGS-B iteration ends with a line search that lowers the objective.
    assert np.all(np.diff(model.loss_curve_) < 0)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_max_iter_stops_it_with_convergence_warning(Estimator):
    X, y = _data(Estimator)
    model = Estimator(solver="lbfgs", max_iter=3, tol=0, **SMALL)

    with pytest.warns(ConvergenceWarning, match=r"max_iter=3 iterations.*max_iter"):
        model.fit(X, y)

    assert model.n_iter_ == 3
    assert len(model.loss_curve_) == 3


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_max_fun_stops_it_with_convergence_warning_naming_max_fun(Estimator):
    X, y = _data(Estimator)
    model = Estimator(solver="lbfgs", max_iter=200, max_fun=5, tol=0, **SMALL)

    with pytest.warns(ConvergenceWarning, match=r"max_fun=5") as record:
        model.fit(X, y)

    assert model.n_iter_ < 200
    assert len(model.loss_curve_) == model.n_iter_
    # The iteration limit was not what stopped it, so the warning must not say so.
    assert not any("max_iter=200" in str(warning.message) for warning in record)


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_verbose_prints_one_line_per_iteration(Estimator, capsys):
    X, y = _data(Estimator)
    model = Estimator(solver="lbfgs", max_iter=20, verbose=True, **SMALL).fit(X, y)

    out = capsys.readouterr().out
    iterations = re.findall(r"^Iteration (\d+), loss = ([-\d.]+)$", out, re.M)
    assert [int(number) for number, _ in iterations] == list(
        range(1, model.n_iter_ + 1)
    )
    assert_allclose(
        [float(loss) for _, loss in iterations], model.loss_curve_, atol=1e-8
    )


# ---------------------------------------------------------------- float32


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_float32_is_preserved_end_to_end(Estimator, solver):
    X, y = _data(Estimator)
    X = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = Estimator(solver=solver, max_iter=10, **SMALL).fit(X, y)

    for array in model.coefs_ + model.intercepts_:
        assert array.dtype == np.float32
    assert _outputs(model, X).dtype == np.float32
    assert np.isfinite(model.loss_)


# ------------------------------------------------------------ SGD schedules


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sgd_constant_schedule_keeps_step_size_and_stops_on_plateau(Estimator):
    X, y = _data(Estimator)
    # A tol no epoch can reach: every epoch after the first counts as no improvement.
    model = Estimator(
        solver="sgd",
        learning_rate=0.01,
        learning_rate_schedule="constant",
        tol=1e6,
        n_iter_no_change=3,
        max_iter=50,
        **SMALL,
    ).fit(X, y)

    assert model._optimizer.learning_rate == 0.01
    assert model.n_iter_ == 3 + 2


@pytest.mark.parametrize("power_t", [0.25, 0.5])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sgd_invscaling_step_size_is_learning_rate_over_t_plus_one_to_power_t(
    Estimator, power_t
):
    X, y = _data(Estimator)
    model = Estimator(
        solver="sgd",
        learning_rate=0.05,
        learning_rate_schedule="invscaling",
        power_t=power_t,
        max_iter=4,
        **SMALL,
    )
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        model.fit(X, y)

    assert model.t_ == 4 * X.shape[0]
    assert_allclose(model._optimizer.learning_rate, 0.05 / (model.t_ + 1) ** power_t)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sgd_invscaling_changes_the_trajectory(Estimator):
    X, y = _data(Estimator)
    params = dict(solver="sgd", learning_rate=0.05, max_iter=3, **SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        constant = Estimator(learning_rate_schedule="constant", **params).fit(X, y)
        scaled = Estimator(learning_rate_schedule="invscaling", **params).fit(X, y)
        flat = Estimator(
            learning_rate_schedule="invscaling", power_t=0.0, **params
        ).fit(X, y)

    # The first epoch runs at learning_rate in both; later ones are smaller.
    assert_allclose(scaled.loss_curve_[0], constant.loss_curve_[0])
    assert not np.allclose(scaled.coefs_[0], constant.coefs_[0])
    # power_t=0 divides by (t + 1) ** 0 = 1: the constant schedule.
    _assert_same_weights(flat, constant)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sgd_adaptive_divides_step_by_5_and_counts_afresh_after_each_cut(
    Estimator, capsys
):
    X, y = _data(Estimator)
    n_iter_no_change = 2
    model = Estimator(
        solver="sgd",
        learning_rate=0.01,
        learning_rate_schedule="adaptive",
        tol=1e6,
        n_iter_no_change=n_iter_no_change,
        max_iter=100,
        verbose=True,
        **SMALL,
    ).fit(X, y)

    cut_epochs, rates, epoch = [], [], 0
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("Epoch "):
            epoch = int(re.match(r"Epoch (\d+),", line).group(1))
        elif "Learning rate cut to" in line:
            cut_epochs.append(epoch)
            rates.append(float(re.search(r"cut to ([-\de.+]+)\.$", line).group(1)))
        elif line.endswith("Stopping."):
            stop_epoch = epoch

    # 0.01 / 5**k stays above 1e-6 for k <= 5: six cuts, then training stops.
    assert len(cut_epochs) == 6
    assert_allclose(rates, 0.01 / 5.0 ** np.arange(1, 7), rtol=1e-5)
    assert np.all(np.diff(cut_epochs) >= n_iter_no_change + 1)
    assert stop_epoch == model.n_iter_ < 100
    assert stop_epoch - cut_epochs[-1] >= n_iter_no_change + 1
    assert_allclose(model._optimizer.learning_rate, 0.01 / 5.0**6)


# ---------------------------------------------------------- early stopping


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_restores_weights_of_best_validation_score(
    Estimator, monkeypatch
):
    X, y = _data(Estimator, n_samples=80, n_features=6)
    sample_weight = np.random.RandomState(1).uniform(0, 2, X.shape[0])
    splits = _spy_on_split(monkeypatch)
    model = Estimator(
        hidden_layer_sizes=(20,),
        learning_rate=0.03,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=5,
        max_iter=100,
        random_state=0,
    ).fit(X, y, sample_weight=sample_weight)

    (split,) = splits
    val = split["val"]
    assert len(val) == 20
    assert len(model.validation_scores_) == model.n_iter_ < 100
    assert model.best_validation_score_ == max(model.validation_scores_)
    # Restoring matters here: the last epoch scored below the best one.
    assert model.validation_scores_[-1] < model.best_validation_score_
    assert_allclose(
        _score(model, X[val], y[val], sample_weight[val]),
        model.best_validation_score_,
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_stops_once_validation_score_stops_improving_by_tol(
    Estimator, capsys
):
    X, y = _data(Estimator)
    # A tol no epoch can reach: the first epoch sets the reference and training
    # stops once more than n_iter_no_change further epochs have not improved on it.
    model = Estimator(
        early_stopping=True,
        validation_fraction=0.2,
        tol=1e6,
        n_iter_no_change=3,
        max_iter=50,
        verbose=True,
        **SMALL,
    ).fit(X, y)

    assert model.n_iter_ == 3 + 2
    assert len(model.validation_scores_) == model.n_iter_
    out = capsys.readouterr().out
    assert len(_epoch_lines(out)) == model.n_iter_
    assert re.search(
        r"Validation score did not improve by more than tol=1000000.0 for 4 "
        r"consecutive epochs\. Stopping\.",
        out,
    )


@pytest.mark.parametrize(
    ("counts", "expected"),
    [((40, 10), [8, 2]), ((50, 5, 5), [10, 1, 1])],
    ids=["binary", "multiclass"],
)
def test_early_stopping_split_is_stratified(counts, expected, monkeypatch):
    y = np.repeat(np.arange(len(counts)), counts)
    X = np.random.RandomState(0).normal(size=(len(y), 3))
    splits = _spy_on_split(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        StudentNetClassifier(
            early_stopping=True, validation_fraction=0.2, max_iter=2, **SMALL
        ).fit(X, y)

    (split,) = splits
    assert split["stratify"] is not None
    # The strata are the classes: two samples share a stratum iff they share a label.
    strata = np.asarray(split["stratify"])
    assert_array_equal(strata[:, None] == strata, y[:, None] == y)
    assert np.bincount(y[split["val"]], minlength=len(counts)).tolist() == expected


def test_early_stopping_validation_score_is_weighted(monkeypatch):
    X, y = _regression(n_samples=60)
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, X.shape[0])
    sample_weight[::3] = 0
    splits = _spy_on_split(monkeypatch)
    model = StudentNetRegressor(
        early_stopping=True, validation_fraction=0.3, max_iter=30, **SMALL
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=sample_weight)

    val = splits[0]["val"]
    assert np.any(sample_weight[val] == 0)
    weighted = _score(model, X[val], y[val], sample_weight[val])
    unweighted = _score(model, X[val], y[val], None)
    assert_allclose(model.best_validation_score_, weighted)
    assert not np.isclose(weighted, unweighted)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_validation_loss_curve_is_weighted_mean_held_out_loss(
    Estimator, monkeypatch
):
    X, y = _data(Estimator, n_samples=60)
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, X.shape[0])
    sample_weight[::4] = 0
    splits = _spy_on_split(monkeypatch)
    model = Estimator(
        early_stopping=True, validation_fraction=0.3, max_iter=30, **SMALL
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=sample_weight)

    curve = model.validation_loss_curve_
    assert len(curve) == len(model.validation_scores_) == model.n_iter_
    assert np.all(np.isfinite(curve))
    # The final model has the weights of the best epoch (the first to reach it).
    best_epoch = int(np.argmax(model.validation_scores_))
    val = splits[0]["val"]
    weighted = _mean_loss(model, X[val], y[val], sample_weight[val])
    assert_allclose(curve[best_epoch], weighted, rtol=1e-6)
    assert not np.isclose(weighted, _mean_loss(model, X[val], y[val], None))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_with_too_few_samples_is_clear_error(Estimator):
    X, y = _data(Estimator, n_samples=6)
    model = Estimator(early_stopping=True, validation_fraction=0.1, **SMALL)

    with pytest.raises(
        ValueError,
        match=(
            r"early_stopping=True holds out validation_fraction=0\.1 of the 6 "
            r"samples, which leaves 5 for training and 1 for validation; each "
            r"part needs at least 2\. Use more samples, another "
            r"validation_fraction, or early_stopping=False\."
        ),
    ):
        model.fit(X, y)
    assert not hasattr(model, "coefs_")


@pytest.mark.parametrize("part", ["validation", "training"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_with_zero_weight_on_a_whole_part_is_clear_error(
    Estimator, part, monkeypatch
):
    X, y = _data(Estimator)
    params = dict(early_stopping=True, validation_fraction=0.2, max_iter=3, **SMALL)
    splits = _spy_on_split(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        Estimator(**params).fit(X, y)
    # Weights do not enter the split: the same random_state gives the same split.
    val = splits[0]["val"]
    in_part = np.isin(np.arange(X.shape[0]), val) == (part == "validation")
    sample_weight = np.where(in_part, 0.0, 1.0)
    model = Estimator(**params)

    with pytest.raises(
        ValueError,
        match=(
            r"early_stopping=True split the data into 32 training and 8 validation "
            rf"samples, but every {part} sample has weight 0\. Give more samples a "
            r"positive weight, change validation_fraction, or use "
            r"early_stopping=False\."
        ),
    ):
        model.fit(X, y, sample_weight=sample_weight)
    assert not hasattr(model, "coefs_")


# ------------------------------------------------ stopping without a validation


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_training_loss_plateau_stop_is_reported_in_verbose_output(
    Estimator, solver, capsys
):
    X, y = _data(Estimator)
    model = Estimator(
        solver=solver, tol=1e6, n_iter_no_change=3, max_iter=50, verbose=True, **SMALL
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)

    assert model.n_iter_ == 3 + 2 == len(model.loss_curve_)
    out = capsys.readouterr().out
    assert len(_epoch_lines(out)) == model.n_iter_
    assert out.splitlines()[-1] == (
        "Training loss did not improve by more than tol=1000000.0 for 4 consecutive "
        "epochs. Stopping."
    )


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_reaching_max_iter_warns_with_the_remedy(Estimator, solver):
    X, y = _data(Estimator)
    model = Estimator(solver=solver, max_iter=3, tol=0, **SMALL)

    with pytest.warns(
        ConvergenceWarning, match=r"stopped at max_iter=3 .*Increase max_iter"
    ):
        model.fit(X, y)

    assert model.n_iter_ == 3 == len(model.loss_curve_)


# ------------------------------------------------------------- partial_fit


def _partial_fit(model, X, y, **kwargs):
    if isinstance(model, StudentNetClassifier):
        kwargs.setdefault("classes", np.unique(y))
    return model.partial_fit(X, y, **kwargs)


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_runs_one_epoch_per_call(Estimator, solver):
    X, y = _data(Estimator)
    model = Estimator(solver=solver, **SMALL)

    for call in range(1, 4):
        before = [coef.copy() for coef in getattr(model, "coefs_", [])]
        _partial_fit(model, X, y)
        assert model.n_iter_ == call == len(model.loss_curve_)
        assert model.t_ == call * X.shape[0]
        if before:
            assert not np.allclose(before[0], model.coefs_[0])


def test_partial_fit_classifier_needs_classes_on_first_call():
    X, y = _classification()
    model = StudentNetClassifier(**SMALL)

    with pytest.raises(
        ValueError,
        match=(
            r"partial_fit needs classes= on its first call: every label the model "
            r"will see, for example classes=np\.unique\(y_all\)\."
        ),
    ):
        model.partial_fit(X, y)
    assert not hasattr(model, "coefs_")


@pytest.mark.parametrize("warm_start", [False, True])
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_partial_fit_later_calls_may_hold_any_subset_of_declared_classes(
    solver, warm_start
):
    X, _ = _classification(n_samples=10)
    model = StudentNetClassifier(solver=solver, warm_start=warm_start, **SMALL)

    model.partial_fit(X[:3], [0, 1, 2], classes=[0, 1, 2])
    model.partial_fit(X[3:4], [0])
    model.partial_fit(X[4:8], [2, 1, 2, 1])

    assert_array_equal(model.classes_, [0, 1, 2])
    assert model.n_iter_ == 3
    assert model.t_ == 3 + 1 + 4
    assert model.predict_proba(X).shape == (10, 3)


def test_partial_fit_rejects_a_label_not_declared():
    X, _ = _classification(n_samples=10)
    model = StudentNetClassifier(**SMALL)
    model.partial_fit(X[:3], [0, 1, 2], classes=[0, 1, 2])
    coefs = [coef.copy() for coef in model.coefs_]

    with pytest.raises(
        ValueError,
        match=(
            r"y holds labels \[5\] that the model does not know; its classes_ are "
            r"\[0, 1, 2\]\. Declare every label with classes= on the first call to "
            r"partial_fit, or fit with warm_start=False to start over\."
        ),
    ):
        model.partial_fit(X[3:5], [0, 5])
    assert model.n_iter_ == 1
    assert_array_equal(model.coefs_[0], coefs[0])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_estimators_have_no_partial_fit(Estimator):
    assert not hasattr(Estimator(solver="lbfgs"), "partial_fit")
    assert hasattr(Estimator(solver="sgd"), "partial_fit")
    assert hasattr(Estimator(solver="adam"), "partial_fit")


# -------------------------------------------------------------- warm_start


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_fit_continues_from_the_current_weights(Estimator, solver):
    X, y = _data(Estimator)
    model = Estimator(
        solver=solver, learning_rate=0.01, max_iter=15, tol=0, warm_start=True, **SMALL
    ).fit(X, y)
    first_curve = list(model.loss_curve_)
    n_first = model.n_iter_

    model.fit(X, y)

    assert model.loss_curve_[:n_first] == first_curve
    assert len(model.loss_curve_) == model.n_iter_
    assert n_first < model.n_iter_ <= n_first + 15
    assert model.t_ == model.n_iter_ * X.shape[0]
    # The second fit starts where the first ended, far below a fresh start.
    progress = first_curve[0] - first_curve[-1]
    assert model.loss_curve_[n_first] < first_curve[-1] + 0.1 * progress


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_without_warm_start_fit_starts_afresh(Estimator):
    X, y = _data(Estimator)
    model = Estimator(max_iter=5, **SMALL).fit(X, y)
    first_curve = list(model.loss_curve_)

    model.fit(X, y)

    assert model.n_iter_ == 5
    assert_allclose(model.loss_curve_, first_curve)


# ------------------------------------------------------------ class_weight


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="lbfgs", max_iter=30),
        dict(solver="adam", batch_size="auto", shuffle=False, max_iter=20),
    ],
    ids=["lbfgs", "adam-full-batch"],
)
def test_class_weight_dict_multiplies_sample_weight(params):
    X, y = _classification()
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, X.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = StudentNetClassifier(class_weight={0: 2.0}, **params, **SMALL).fit(
            X, y, sample_weight=sample_weight
        )
        folded = StudentNetClassifier(**params, **SMALL).fit(
            X, y, sample_weight=sample_weight * np.where(y == 0, 2.0, 1.0)
        )
        plain = StudentNetClassifier(**params, **SMALL).fit(
            X, y, sample_weight=sample_weight
        )

    _assert_same_weights(weighted, folded)
    assert not np.allclose(weighted.coefs_[0], plain.coefs_[0])


@ignore_convergence
def test_class_weight_balanced_weighs_classes_inversely_to_frequency():
    X, y = _classification(n_samples=60, n_classes=3)
    keep = (y != 2) | (np.arange(len(y)) % 3 == 0)
    X, y = X[keep], y[keep]
    counts = np.bincount(y)
    params = dict(solver="lbfgs", max_iter=30, **SMALL)

    balanced = StudentNetClassifier(class_weight="balanced", **params).fit(X, y)
    by_hand = StudentNetClassifier(**params).fit(
        X, y, sample_weight=(len(y) / (3 * counts))[y]
    )

    _assert_same_weights(balanced, by_hand)


def test_class_weight_none_equals_unweighted():
    X, y = _classification()
    params = dict(solver="lbfgs", max_iter=20, **SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        none = StudentNetClassifier(class_weight=None, **params).fit(X, y)
        ones = StudentNetClassifier(class_weight={0: 1, 1: 1}, **params).fit(X, y)

    _assert_same_weights(none, ones)


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_class_weight_dict_in_partial_fit_multiplies_sample_weight(solver):
    X, y = _classification()
    params = dict(solver=solver, shuffle=False, **SMALL)
    weighted = StudentNetClassifier(class_weight={1: 3.0}, **params)
    folded = StudentNetClassifier(**params)

    for _ in range(3):
        weighted.partial_fit(X, y, classes=[0, 1])
        folded.partial_fit(
            X, y, sample_weight=np.where(y == 1, 3.0, 1.0), classes=[0, 1]
        )

    _assert_same_weights(weighted, folded)


def test_class_weight_balanced_in_partial_fit_is_clear_error():
    X, y = _classification()
    model = StudentNetClassifier(class_weight="balanced", **SMALL)

    with pytest.raises(
        ValueError,
        match=(
            r"class_weight='balanced' is not available in partial_fit, which sees "
            r"one batch at a time\. Compute the weights once with "
            r"sklearn\.utils\.class_weight\.compute_class_weight\('balanced', "
            r"classes=\.\.\., y=y_all\) and pass them as a dict\."
        ),
    ):
        model.partial_fit(X, y, classes=[0, 1])


def test_class_weight_works_with_a_column_vector_y():
    X, y = _classification()
    params = dict(solver="lbfgs", max_iter=20, class_weight={0: 2.0}, **SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        flat = StudentNetClassifier(**params).fit(X, y)
        with pytest.warns(DataConversionWarning, match="column-vector y"):
            column = StudentNetClassifier(**params).fit(X, y.reshape(-1, 1))

    _assert_same_weights(column, flat)


@pytest.mark.parametrize(
    "params",
    [dict(), dict(solver="lbfgs", hidden_layer_sizes=(5,))],
    ids=["adam", "lbfgs"],
)
def test_sklearn_check_class_weight_classifiers(params):
    check_class_weight_classifiers(
        "StudentNetClassifier", StudentNetClassifier(**params)
    )


# ----------------------------------------------------------- sample_weight


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_negative_sample_weight_is_clear_error(Estimator):
    X, y = _data(Estimator)
    sample_weight = np.ones(X.shape[0])
    sample_weight[3] = -1

    with pytest.raises(
        ValueError, match=r"Negative values in data passed to `sample_weight`"
    ):
        Estimator(**SMALL).fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_all_zero_sample_weight_is_clear_error(Estimator):
    X, y = _data(Estimator)

    with pytest.raises(
        ValueError, match=r"Sample weights must contain at least one non-zero number"
    ):
        Estimator(**SMALL).fit(X, y, sample_weight=np.zeros(X.shape[0]))


def test_all_zero_class_weight_is_clear_error():
    X, y = _classification()

    with pytest.raises(
        ValueError,
        match=(
            r"Every sample has weight 0, so there is nothing to learn from\. Give "
            r"some samples \(or classes, with class_weight\) a positive weight\."
        ),
    ):
        StudentNetClassifier(class_weight={0: 0, 1: 0}, **SMALL).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="lbfgs", max_iter=30),
        # "auto" batches are min(200, n_samples): one full batch for both fits.
        dict(solver="adam", batch_size="auto", shuffle=False, max_iter=30),
    ],
    ids=["lbfgs", "adam-full-batch"],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_integer_sample_weight_equals_repeating_rows(Estimator, params):
    X, y = _data(Estimator, n_samples=30)
    sample_weight = np.random.RandomState(0).randint(0, 4, X.shape[0])
    repeated = np.repeat(np.arange(X.shape[0]), sample_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = Estimator(**params, **SMALL).fit(X, y, sample_weight=sample_weight)
        expanded = Estimator(**params, **SMALL).fit(X[repeated], y[repeated])

    _assert_same_weights(weighted, expanded, rtol=1e-6, atol=1e-9)
    assert_allclose(_outputs(weighted, X), _outputs(expanded, X), rtol=1e-6)
    assert_allclose(weighted.loss_curve_, expanded.loss_curve_, rtol=1e-7)


# --------------------------------------------- multilabel and multi-output


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_multi_target_fit_predicts_one_column_per_target(Estimator, solver):
    X, Y = _multi_target(Estimator)
    model = Estimator(solver=solver, max_iter=100, learning_rate=0.01, **SMALL)
    model.fit(X, Y)

    assert model.n_outputs_ == Y.shape[1]
    prediction = model.predict(X)
    assert prediction.shape == Y.shape
    if Estimator is StudentNetClassifier:
        proba = model.predict_proba(X)
        assert proba.shape == Y.shape
        assert_array_equal(prediction, (proba > 0.5).astype(int))
        assert set(np.unique(prediction)) <= {0, 1}
        # Each label is learnt on its own: far better than guessing per label.
        assert np.mean(prediction == Y) > 0.8
    else:
        assert r2_score(Y, prediction) > 0.8


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_multi_target_partial_fit(Estimator, solver):
    X, Y = _multi_target(Estimator)
    model = Estimator(solver=solver, learning_rate=0.01, **SMALL)
    kwargs = {"classes": [0, 1, 2]} if Estimator is StudentNetClassifier else {}

    model.partial_fit(X[:20], Y[:20], **kwargs)
    model.partial_fit(X[20:], Y[20:])

    assert model.n_iter_ == 2
    assert model.t_ == X.shape[0]
    assert model.predict(X).shape == Y.shape
    assert _outputs(model, X).shape == Y.shape


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_multi_target_early_stopping(Estimator, monkeypatch):
    X, Y = _multi_target(Estimator, n_samples=60)
    splits = _spy_on_split(monkeypatch)
    model = Estimator(
        early_stopping=True,
        validation_fraction=0.25,
        learning_rate=0.01,
        max_iter=30,
        **SMALL,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, Y)

    (split,) = splits
    # Multilabel rows have no single class to stratify by.
    assert split["stratify"] is None
    val = split["val"]
    assert len(model.validation_scores_) == model.n_iter_
    assert_allclose(_score(model, X[val], Y[val], None), model.best_validation_score_)
    best_epoch = int(np.argmax(model.validation_scores_))
    assert_allclose(
        model.validation_loss_curve_[best_epoch],
        _mean_loss(model, X[val], Y[val], None),
        rtol=1e-6,
    )


# ------------------------------------------------------------- sparse input


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sparse_tag_is_set(Estimator):
    assert Estimator().__sklearn_tags__().input_tags.sparse


def _sparse_data(Estimator, n_samples=40):
    """Data with about two thirds of X zero."""
    X, y = _data(Estimator, n_samples=n_samples, n_features=6)
    X[np.random.RandomState(0).uniform(size=X.shape) < 0.65] = 0
    return X, y


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("sparse_format", [sp.csr_matrix, sp.csc_matrix])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sparse_fit_and_predict_match_dense(Estimator, sparse_format, solver):
    X, y = _sparse_data(Estimator)
    params = dict(solver=solver, max_iter=20, batch_size=16, **SMALL)

    dense = Estimator(**params).fit(X, y)
    sparse = Estimator(**params).fit(sparse_format(X), y)

    _assert_same_weights(sparse, dense, rtol=1e-6, atol=1e-9)
    assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-6)
    assert_allclose(_outputs(sparse, sparse_format(X)), _outputs(dense, X), rtol=1e-6)


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
@pytest.mark.parametrize("sparse_format", [sp.csr_matrix, sp.csc_matrix])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sparse_partial_fit_matches_dense(Estimator, sparse_format, solver):
    X, y = _sparse_data(Estimator)
    dense = Estimator(solver=solver, **SMALL)
    sparse = Estimator(solver=solver, **SMALL)

    for batch in (slice(0, 20), slice(20, 40)):
        _partial_fit(dense, X[batch], y[batch], **_classes_kwargs(Estimator, y))
        _partial_fit(
            sparse, sparse_format(X[batch]), y[batch], **_classes_kwargs(Estimator, y)
        )

    _assert_same_weights(sparse, dense, rtol=1e-6, atol=1e-9)
    assert_allclose(_outputs(sparse, sparse_format(X)), _outputs(dense, X), rtol=1e-6)


def _spy_on_densifying(monkeypatch):
    """Record the shape of every sparse matrix turned into a dense one."""
    shapes = []
    for cls in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        for name in ("toarray", "todense"):
            original = getattr(cls, name)

            def recording(self, *args, _original=original, **kwargs):
                shapes.append(self.shape)
                return _original(self, *args, **kwargs)

            monkeypatch.setattr(cls, name, recording)
    return shapes


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("sparse_format", [sp.csr_matrix, sp.csc_matrix])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sparse_input_is_never_densified_whole(
    Estimator, sparse_format, solver, monkeypatch
):
    X, y = _sparse_data(Estimator, n_samples=60)
    X_sparse = sparse_format(X)
    shapes = _spy_on_densifying(monkeypatch)
    # The spy sees a densification: it is not blind.
    X_sparse.toarray()
    assert shapes == [X.shape]
    shapes.clear()

    model = Estimator(
        solver=solver,
        max_iter=5,
        batch_size=16,
        early_stopping=solver != "lbfgs",
        validation_fraction=0.2,
        **SMALL,
    ).fit(X_sparse, y)
    if solver != "lbfgs":
        _partial_fit(model, X_sparse, y)
    _outputs(model, X_sparse)
    model.predict(X_sparse)

    assert X.shape not in shapes
    assert all(rows < X.shape[0] for rows, _ in shapes)


# --------------------------------------------------------- metadata routing


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sample_weight_reaches_fit_through_pipeline_and_grid_search(Estimator):
    X, y = _data(Estimator)
    sample_weight = np.random.RandomState(0).uniform(0.1, 3.0, X.shape[0])
    params = dict(solver="lbfgs", max_iter=20, **SMALL)

    with (
        warnings.catch_warnings(),
        sklearn.config_context(enable_metadata_routing=True),
    ):
        warnings.simplefilter("ignore", ConvergenceWarning)
        direct = Estimator(**params).fit(X, y, sample_weight=sample_weight)
        unweighted = Estimator(**params).fit(X, y)

        net = Estimator(**params).set_fit_request(sample_weight=True)
        # GridSearchCV also routes sample_weight to the scorer, which must say
        # whether it wants them.
        net.set_score_request(sample_weight=True)
        # One candidate, the default alpha: the refit model is the direct fit.
        search = GridSearchCV(net, {"alpha": [1e-4]}, cv=2)
        search.fit(X, y, sample_weight=sample_weight)

        scaler = StandardScaler().set_fit_request(sample_weight=False)
        pipe = Pipeline([("scale", scaler), ("net", Estimator(**params))])
        pipe.named_steps["net"].set_fit_request(sample_weight=True)
        pipe.fit(X, y, sample_weight=sample_weight)
        on_scaled = Estimator(**params).fit(
            StandardScaler().fit_transform(X), y, sample_weight=sample_weight
        )

    assert not np.allclose(direct.coefs_[0], unweighted.coefs_[0])
    _assert_same_weights(search.best_estimator_, direct)
    _assert_same_weights(pipe.named_steps["net"], on_scaled)


# ------------------------------------------------- finite-difference gradient


def _objective_and_gradient(flat, layer_units, activation, loss, X, Y, w, alpha):
    """The empirical loss as BaseStudentNet._loss_and_gradient defines it.

    ``(sum_i w_i l_i + alpha / 2 ||W||**2) / sum_i w_i`` and its analytic gradient.
    """
    params = FlatParameters(layer_units, np.float64)
    params.flat[...] = flat
    activations = forward(X, params.coefs, params.intercepts, activation)
    deltas = [np.empty_like(layer) for layer in activations]
    weight_sum = w.sum()

    loss_sum = loss.sum_and_delta(activations[-1], Y, w, deltas[-1])
    deltas[-1] /= weight_sum
    grads = FlatParameters(layer_units, np.float64)
    backward(X, activations, deltas, params.coefs, activation, grads)
    coefs = params.flat_coefs
    grads.flat_coefs[...] += (alpha / weight_sum) * coefs

    objective = (loss_sum + 0.5 * alpha * coefs @ coefs) / weight_sum
    return objective, grads.flat.copy(), activations[-1]


def _multilabel_targets(rng, n_samples):
    return (rng.uniform(size=(n_samples, 3)) < 0.5).astype(np.float64)


def _multi_output_targets(rng, n_samples):
    return rng.normal(size=(n_samples, 2))


def _independent_multilabel_loss(raw, Y):
    """Per-sample binary cross-entropy from probabilities, summed over labels."""
    proba = 1 / (1 + np.exp(-raw))
    return -(Y * np.log(proba) + (1 - Y) * np.log(1 - proba)).sum(axis=1)


def _independent_multi_output_loss(raw, Y):
    """Per-sample half squared error, summed over outputs."""
    return 0.5 * ((raw - Y) ** 2).sum(axis=1)


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
@pytest.mark.parametrize(
    ("loss_name", "make_targets", "independent_loss"),
    [
        ("binary_cross_entropy", _multilabel_targets, _independent_multilabel_loss),
        ("squared_error", _multi_output_targets, _independent_multi_output_loss),
    ],
    ids=["multilabel", "multi-output"],
)
def test_network_gradient_matches_finite_differences_for_multi_target(
    loss_name, make_targets, independent_loss, activation
):
    rng = np.random.RandomState(0)
    n_samples, alpha = 12, 0.3
    X = rng.normal(size=(n_samples, 4))
    Y = make_targets(rng, n_samples)
    w = rng.uniform(0.2, 3.0, n_samples)
    layer_units = [4, 5, 3, Y.shape[1]]
    flat = glorot_uniform(layer_units, activation, np.float64, rng).flat.copy()
    loss = LOSSES[loss_name]
    args = (layer_units, activation, loss, X, Y, w, alpha)

    objective, gradient, raw = _objective_and_gradient(flat, *args)

    coefs = flat[: FlatParameters(layer_units, np.float64).n_coefs]
    expected = (independent_loss(raw, Y) @ w + 0.5 * alpha * coefs @ coefs) / w.sum()
    assert_allclose(objective, expected, rtol=1e-12)

    eps = 1e-6
    numeric = np.empty_like(flat)
    for i in range(flat.size):
        step = np.zeros_like(flat)
        step[i] = eps
        plus = _objective_and_gradient(flat + step, *args)[0]
        minus = _objective_and_gradient(flat - step, *args)[0]
        numeric[i] = (plus - minus) / (2 * eps)
    assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-8)
    # The check is not vacuous: most of the gradient is nonzero.
    assert np.count_nonzero(gradient) > gradient.size // 2


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_set_params_learning_rate_between_partial_fit_calls_takes_effect(
    Estimator, solver
):
    X, y = _data(Estimator)
    kwargs = dict(classes=np.unique(y)) if Estimator is StudentNetClassifier else {}
    changed = Estimator(solver=solver, learning_rate=1e-3, **SMALL)
    kept = Estimator(solver=solver, learning_rate=1e-3, **SMALL)
    changed.partial_fit(X, y, **kwargs)
    kept.partial_fit(X, y, **kwargs)

    changed.set_params(learning_rate=0.1).partial_fit(X, y)
    kept.partial_fit(X, y)

    assert changed._optimizer.learning_rate == 0.1
    assert not np.allclose(changed.coefs_[0], kept.coefs_[0])


def test_lbfgs_line_search_failure_warns_with_the_remedy():
    X, y = make_regression(n_samples=40, n_features=4, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"L-BFGS stopped after .* scale it"):
        StudentNetRegressor(solver="lbfgs", **SMALL).fit(X * 1e20, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_after_early_stopping_counts_improvement_afresh(Estimator):
    X, y = _data(Estimator)
    model = Estimator(
        early_stopping=True, validation_fraction=0.25, n_iter_no_change=2, **SMALL
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        epochs_before = model.n_iter_
        model.set_params(early_stopping=False, warm_start=True, max_iter=30, tol=0)
        model.fit(X, y)

    # With tol=0 every epoch whose training loss falls counts as an improvement;
    # a stale reference (the old validation score) would stop after 3 epochs.
    assert model.n_iter_ - epochs_before > 3
