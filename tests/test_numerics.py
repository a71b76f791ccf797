"""Numerics: no floating-point warnings, reproducible fits, surviving Ctrl-C."""

import itertools
import pickle
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import log_softmax

import skperceptron._losses
import skperceptron._optimizers
from skperceptron import StudentNetClassifier, StudentNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [StudentNetClassifier, StudentNetRegressor]

# Plain SGD on features of size 1e6 rightly diverges with unbounded activations;
# with saturating ones, and with Adam's bounded steps or L-BFGS, it must not warn.
HUGE_INPUT_SETTINGS = [
    *itertools.product(["logistic", "tanh"], ["sgd", "adam", "lbfgs"]),
    *itertools.product(["relu", "identity"], ["adam", "lbfgs"]),
]


def _data(Estimator, n_samples=60, n_features=4, scale=1.0, n_classes=3):
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(n_samples, n_features)) * scale
    if Estimator is StudentNetClassifier:
        return X, np.arange(n_samples) % n_classes
    return X, rng.normal(size=n_samples)


def _fitted_arrays(estimator):
    return estimator.coefs_ + estimator.intercepts_


def _assert_same_arrays(left, right):
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert a.dtype == b.dtype
        assert np.array_equal(a, b)


def _outputs(estimator, X):
    outputs = [estimator.predict(X)]
    if isinstance(estimator, StudentNetClassifier):
        outputs += [estimator.predict_proba(X), estimator.predict_log_proba(X)]
    return outputs


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(("activation", "solver"), HUGE_INPUT_SETTINGS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_huge_inputs_raise_no_floating_point_warning(
    Estimator, activation, solver, dtype
):
    X, y = _data(Estimator, scale=1e6)
    X = X.astype(dtype)
    estimator = Estimator(
        hidden_layer_sizes=(5,),
        activation=activation,
        solver=solver,
        max_iter=10,
        random_state=0,
    )

    estimator.fit(X, y)

    for output in _outputs(estimator, X):
        assert np.isfinite(output.astype(float)).all()
    if Estimator is StudentNetClassifier:
        assert_allclose(
            estimator.predict_proba(X).sum(axis=1),
            1,
            atol=1e-6 if dtype is np.float32 else 1e-12,
        )


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
def test_model_fitted_on_scaled_data_predicts_huge_inputs_quietly(
    Estimator, activation
):
    X, y = _data(Estimator)
    estimator = Estimator(
        hidden_layer_sizes=(5,), activation=activation, max_iter=10, random_state=0
    ).fit(X, y)
    X_huge = np.array([[1e6, -1e6, 1e6, -1e6], [-1e6, 1e6, 0, 1e6]])

    for output in _outputs(estimator, X_huge):
        assert np.isfinite(output.astype(float)).all()


def _classifier_with_output_logits(logits, dtype):
    """A classifier whose output layer gives ``logits`` for every sample."""
    n_classes = max(len(logits), 2)
    X, y = _data(StudentNetClassifier, n_classes=n_classes)
    clf = StudentNetClassifier(hidden_layer_sizes=(), max_iter=2, random_state=0)
    clf.fit(X.astype(dtype), y)
    clf.coefs_[-1][...] = 0
    clf.intercepts_[-1][...] = logits
    return clf, X.astype(dtype)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "logits", [[1e4], [-1e4], [1e4, -1e4, 0.0], [-1e4, 0.0, 1e4]], ids=str
)
def test_saturated_logits_give_finite_log_probabilities(dtype, logits):
    clf, X = _classifier_with_output_logits(logits, dtype)
    # One logit z for two classes stands for the logits (0, z).
    full_logits = np.array([0.0, *logits] if len(logits) == 1 else logits)
    expected_log_proba = log_softmax(full_logits)

    proba = clf.predict_proba(X)
    log_proba = clf.predict_log_proba(X)

    assert np.isfinite(log_proba).all()
    assert_allclose(log_proba, np.tile(expected_log_proba, (len(X), 1)), rtol=1e-6)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert_allclose(proba.sum(axis=1), 1, atol=1e-6)
    # Probabilities that round to 0 still have a finite, very negative log.
    assert (proba == 0).any()
    assert (log_proba[proba == 0] <= -1e4).all()
    assert np.array_equal(clf.predict(X), np.full(len(X), np.argmax(full_logits)))


def _reproducibility_cases():
    return [
        ("sgd", {}),
        ("sgd", {"early_stopping": True}),
        ("adam", {}),
        ("adam", {"early_stopping": True}),
        ("lbfgs", {}),
    ]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(("solver", "params"), _reproducibility_cases())
def test_same_seed_gives_identical_weights(Estimator, solver, params):
    X, y = _data(Estimator)

    def fit():
        return Estimator(
            hidden_layer_sizes=(6, 4),
            solver=solver,
            batch_size=16,
            max_iter=15,
            random_state=7,
            **params,
        ).fit(X, y)

    first, second = fit(), fit()

    _assert_same_arrays(_fitted_arrays(first), _fitted_arrays(second))
    assert first.loss_curve_ == second.loss_curve_
    assert first.n_iter_ == second.n_iter_


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_pickle_round_trip_keeps_the_model(Estimator, solver):
    X, y = _data(Estimator)
    estimator = Estimator(
        hidden_layer_sizes=(6,), solver=solver, max_iter=15, random_state=0
    ).fit(X, y)

    restored = pickle.loads(pickle.dumps(estimator))

    _assert_same_arrays(_fitted_arrays(restored), _fitted_arrays(estimator))
    for got, expected in zip(
        _outputs(restored, X), _outputs(estimator, X), strict=True
    ):
        assert np.array_equal(got, expected)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_pickle_round_trip_keeps_the_optimizer_state(Estimator, solver):
    X, y = _data(Estimator)
    estimator = Estimator(
        hidden_layer_sizes=(6,), solver=solver, max_iter=5, random_state=0
    ).fit(X, y)
    restored = pickle.loads(pickle.dumps(estimator))

    estimator.partial_fit(X, y)
    restored.partial_fit(X, y)

    _assert_same_arrays(_fitted_arrays(restored), _fitted_arrays(estimator))


def _interrupt_after(monkeypatch, owner, name, n_calls):
    """Make ``owner.name`` raise KeyboardInterrupt on call ``n_calls + 1``."""
    original = getattr(owner, name)
    calls = []

    def interrupted(*args, **kwargs):
        if len(calls) == n_calls:
            raise KeyboardInterrupt
        calls.append(None)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, interrupted)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    ("solver", "optimizer"),
    [("sgd", skperceptron._optimizers.SGD), ("adam", skperceptron._optimizers.Adam)],
)
@pytest.mark.parametrize("n_epochs", [0, 3])
def test_interrupted_stochastic_fit_keeps_the_epochs_completed(
    Estimator, solver, optimizer, n_epochs, monkeypatch
):
    X, y = _data(Estimator)
    params = dict(hidden_layer_sizes=(6,), solver=solver, batch_size=20, random_state=0)
    # Three steps per epoch: interrupt the first step of epoch n_epochs + 1.
    _interrupt_after(monkeypatch, optimizer, "step", 3 * n_epochs)
    estimator = Estimator(max_iter=50, **params)

    with pytest.warns(
        UserWarning,
        match=rf"^Training was interrupted after {n_epochs} complete epochs; the "
        r"model keeps the weights reached so far\.$",
    ):
        estimator.fit(X, y)

    assert estimator.n_iter_ == n_epochs
    assert len(estimator.loss_curve_) == n_epochs
    for output in _outputs(estimator, X):
        assert np.isfinite(output.astype(float)).all()
    if n_epochs:
        monkeypatch.undo()
        reference = Estimator(max_iter=n_epochs, **params).fit(X, y)
        _assert_same_arrays(_fitted_arrays(estimator), _fitted_arrays(reference))


def _interrupt_lbfgs_objective(monkeypatch, n_evaluations):
    # Each evaluation of the L-BFGS objective computes the loss once.
    for loss_class in [
        skperceptron._losses.BinaryCrossEntropy,
        skperceptron._losses.SoftmaxCrossEntropy,
        skperceptron._losses.SquaredError,
    ]:
        _interrupt_after(monkeypatch, loss_class, "sum_and_delta", n_evaluations)


def _interrupted_message(n_iter):
    return (
        f"Training was interrupted after {n_iter} complete iterations; the model "
        f"keeps the weights reached so far."
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_interrupted_lbfgs_keeps_the_last_iterate(Estimator, monkeypatch):
    X, y = _data(Estimator)
    params = dict(hidden_layer_sizes=(6,), solver="lbfgs", random_state=0)
    _interrupt_lbfgs_objective(monkeypatch, n_evaluations=8)
    estimator = Estimator(max_iter=200, **params)

    with pytest.warns(UserWarning, match="^Training was interrupted") as record:
        estimator.fit(X, y)

    n_iter = estimator.n_iter_
    assert 1 <= n_iter < 8
    assert [str(w.message) for w in record] == [_interrupted_message(n_iter)]
    assert len(estimator.loss_curve_) == n_iter
    for output in _outputs(estimator, X):
        assert np.isfinite(output.astype(float)).all()
    monkeypatch.undo()
    reference = Estimator(max_iter=n_iter, **params).fit(X, y)
    _assert_same_arrays(_fitted_arrays(estimator), _fitted_arrays(reference))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_interrupted_in_its_first_iteration_keeps_the_start(
    Estimator, monkeypatch
):
    X, y = _data(Estimator)
    _interrupt_lbfgs_objective(monkeypatch, n_evaluations=0)
    estimator = Estimator(hidden_layer_sizes=(6,), solver="lbfgs", random_state=0)

    with pytest.warns(UserWarning, match=f"^{re.escape(_interrupted_message(0))}$"):
        estimator.fit(X, y)

    assert estimator.n_iter_ == 0
    assert estimator.loss_curve_ == []
    for output in _outputs(estimator, X):
        assert np.isfinite(output.astype(float)).all()
