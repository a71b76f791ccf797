"""Divergence: detected in every solver, reported once, and the model kept sane."""

import functools
import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    make_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import DivergenceError, StudentNetClassifier, StudentNetRegressor
from skperceptron.datasets import make_students

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [StudentNetClassifier, StudentNetRegressor]

# Step sizes that make each solver blow up on unscaled data. Adam's step is bounded
# by its step size, so at 10 it swings the loss by 1e3 and recovers.
DIVERGING_LEARNING_RATES = {"sgd": 10, "adam": 1000}


def _remedy(learning_rate):
    return (
        rf"Use a smaller learning_rate \(got {learning_rate!r}\), or scale X, for "
        r"example with sklearn\.preprocessing\.StandardScaler"
    )


def _targets(Estimator, X, rng):
    if Estimator is StudentNetClassifier:
        return rng.randint(0, 2, size=X.shape[0])
    return rng.normal(size=X.shape[0])


def _unscaled_data(Estimator, n_samples=100, scale=1e6):
    """Features of size ``scale``, as in data nobody standardised."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(n_samples, 3)) * scale
    return X, _targets(Estimator, X, rng)


def _scaled_data(Estimator, n_samples=40):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(n_samples, 3))
    return X, _targets(Estimator, X, rng)


def _data_that_overflows_at_the_end(Estimator):
    """90 ordinary samples, then 10 whose values overflow float64 in the loss."""
    X, y = _scaled_data(Estimator, n_samples=100)
    X[90:] *= 1e160
    return X, y


def _fit_kwargs(Estimator, method):
    if Estimator is StudentNetClassifier and method == "partial_fit":
        return {"classes": [0, 1]}
    return {}


def _fitted_arrays(estimator):
    return [array.copy() for array in estimator.coefs_ + estimator.intercepts_]


def _assert_same_arrays(left, right):
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_sgd_classifier_on_unscaled_data_diverges():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(100, 3)) * 1e6
    y = rng.randint(0, 2, size=100)
    clf = StudentNetClassifier(solver="sgd", learning_rate=10, random_state=0)

    with pytest.raises(
        DivergenceError,
        match=r"^StudentNetClassifier diverged with solver='sgd': .*"
        + _remedy(10)
        + r"\.$",
    ) as excinfo:
        clf.fit(X, y)

    assert isinstance(excinfo.value, ValueError)
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        clf.predict(X)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize(
    ("method", "early_stopping"),
    [("fit", False), ("fit", True), ("partial_fit", False)],
)
def test_stochastic_solvers_detect_divergence(
    Estimator, solver, method, early_stopping
):
    X, y = _unscaled_data(Estimator)
    learning_rate = DIVERGING_LEARNING_RATES[solver]
    estimator = Estimator(
        hidden_layer_sizes=(8,),
        solver=solver,
        learning_rate=learning_rate,
        batch_size=10,
        early_stopping=early_stopping,
        random_state=0,
    )

    with pytest.raises(
        DivergenceError,
        match=rf"^{Estimator.__name__} diverged with solver='{solver}': .*"
        + _remedy(learning_rate),
    ):
        getattr(estimator, method)(X, y, **_fit_kwargs(Estimator, method))

    assert not hasattr(estimator, "coefs_")
    assert not hasattr(estimator, "n_features_in_")
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        estimator.predict(X)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_detects_divergence_on_overflowing_data(Estimator):
    # L-BFGS's line search only accepts steps that lower the loss, so it cannot
    # blow up the way a too-large step size does; values past float64's range can.
    X, y = _unscaled_data(Estimator, scale=1e160)
    estimator = Estimator(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0)

    with pytest.raises(
        DivergenceError,
        match=rf"^{Estimator.__name__} diverged with solver='lbfgs': .*Scale X, "
        r"for example with sklearn\.preprocessing\.StandardScaler",
    ):
        estimator.fit(X, y)

    with pytest.raises(NotFittedError, match="is not fitted yet"):
        estimator.predict(X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_that_stops_at_its_starting_point_fits(Estimator):
    # A tol above the starting gradient ends L-BFGS before its first iteration:
    # there is no iteration loss, and the divergence check must cope.
    X, y = _scaled_data(Estimator)
    estimator = Estimator(
        hidden_layer_sizes=(4,), solver="lbfgs", tol=1e10, random_state=0
    )

    estimator.fit(X, y)

    assert estimator.n_iter_ == 0
    assert np.isfinite(estimator.loss_)
    assert np.isfinite(estimator.predict(X).astype(float)).all()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_failed_partial_fit_keeps_the_model_before_the_call(Estimator, solver):
    X, y = _scaled_data(Estimator)
    X_bad, y_bad = _data_that_overflows_at_the_end(Estimator)
    kwargs = _fit_kwargs(Estimator, "partial_fit")
    make = functools.partial(
        Estimator,
        hidden_layer_sizes=(8,),
        solver=solver,
        batch_size=10,
        shuffle=False,
        random_state=0,
    )
    estimator = make().partial_fit(X, y, **kwargs)
    twin = make().partial_fit(X, y, **kwargs)
    predicted = estimator.predict(X)
    arrays = _fitted_arrays(estimator)
    n_iter, t, loss_curve = estimator.n_iter_, estimator.t_, list(estimator.loss_curve_)

    # Nine batches update the weights before the tenth overflows.
    with pytest.raises(DivergenceError, match=_remedy(1e-3)):
        estimator.partial_fit(X_bad, y_bad)

    assert np.array_equal(estimator.predict(X), predicted)
    _assert_same_arrays(_fitted_arrays(estimator), arrays)
    assert (estimator.n_iter_, estimator.t_) == (n_iter, t)
    assert estimator.loss_curve_ == loss_curve
    # The optimizer's state is back too: training goes on as if the failed call
    # had never happened.
    estimator.partial_fit(X, y)
    twin.partial_fit(X, y)
    _assert_same_arrays(_fitted_arrays(estimator), _fitted_arrays(twin))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_failed_warm_start_fit_keeps_the_model_before_the_call(Estimator, solver):
    X, y = _scaled_data(Estimator)
    X_bad, y_bad = _data_that_overflows_at_the_end(Estimator)
    estimator = Estimator(
        hidden_layer_sizes=(8,),
        solver=solver,
        batch_size=10,
        shuffle=False,
        max_iter=3,
        warm_start=True,
        random_state=0,
    ).fit(X, y)
    predicted = estimator.predict(X)
    arrays = _fitted_arrays(estimator)
    n_iter, loss_curve = estimator.n_iter_, list(estimator.loss_curve_)

    with pytest.raises(DivergenceError, match=f"diverged with solver='{solver}'"):
        estimator.fit(X_bad, y_bad)

    assert np.array_equal(estimator.predict(X), predicted)
    _assert_same_arrays(_fitted_arrays(estimator), arrays)
    assert estimator.n_iter_ == n_iter
    assert estimator.loss_curve_ == loss_curve


def _search_data(Estimator):
    if Estimator is StudentNetClassifier:
        return make_classification(
            n_samples=120,
            n_features=4,
            n_informative=3,
            n_redundant=0,
            random_state=0,
        )
    X, y = make_regression(n_samples=120, n_features=4, noise=0.1, random_state=0)
    return X, y / y.std()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_grid_search_scores_a_diverging_candidate_as_nan(Estimator):
    X, y = _search_data(Estimator)
    search = GridSearchCV(
        Estimator(hidden_layer_sizes=(8,), solver="sgd", max_iter=30, random_state=0),
        {"learning_rate": [1e-3, 3e-2, 1e3]},
        cv=3,
    )

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitFailedWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)

    scores = search.cv_results_["mean_test_score"]
    assert np.isnan(scores[2])
    assert np.isfinite(scores[:2]).all()
    assert search.best_params_ == {"learning_rate": [1e-3, 3e-2][np.argmax(scores[:2])]}
    failures = [str(w.message) for w in caught if w.category is FitFailedWarning]
    assert len(failures) == 1
    assert "3 fits failed out of a total of 9" in failures[0]
    assert re.search(
        rf"DivergenceError: {Estimator.__name__} diverged with solver='sgd': .*"
        r"Use a smaller learning_rate \(got 1000\.0\)",
        failures[0],
    )
    # The failure reported is the divergence itself, not an error raised while
    # the estimator cleaned up after it.
    assert "AttributeError" not in failures[0]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_grid_search_with_error_score_raise_raises_divergence_error(Estimator):
    X, y = _search_data(Estimator)
    search = GridSearchCV(
        Estimator(hidden_layer_sizes=(8,), solver="sgd", max_iter=30, random_state=0),
        {"learning_rate": [1e3]},
        cv=3,
        error_score="raise",
    )

    with pytest.raises(DivergenceError, match=r"learning_rate \(got 1000\.0\)"):
        search.fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pipeline_passes_divergence_error_on(Estimator):
    X, y = _search_data(Estimator)
    pipeline = make_pipeline(
        StandardScaler(),
        Estimator(hidden_layer_sizes=(8,), solver="sgd", learning_rate=1e3),
    )

    with pytest.raises(DivergenceError, match=r"learning_rate \(got 1000\.0\)"):
        pipeline.fit(X, y)


@functools.cache
def _real_data(name):
    """A real or synthetic data set, standardised (the regression target too)."""
    if name == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
    elif name == "diabetes":
        X, y = load_diabetes(return_X_y=True)
        y = (y - y.mean()) / y.std()
    else:
        X, y = make_students(n_samples=300, random_state=0)
        X, y = X.to_numpy(dtype=float), y.to_numpy()
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize(
    ("dataset", "Estimator"),
    [
        ("breast_cancer", StudentNetClassifier),
        ("diabetes", StudentNetRegressor),
        ("students", StudentNetClassifier),
    ],
)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("learning_rate", [1e-4, 1e-3, 1e-2, 1e-1])
def test_no_false_alarm_on_scaled_data(dataset, Estimator, solver, learning_rate):
    X, y = _real_data(dataset)
    estimator = Estimator(
        hidden_layer_sizes=(16,),
        solver=solver,
        learning_rate=learning_rate,
        max_iter=30,
        random_state=0,
    )

    estimator.fit(X, y)

    assert np.isfinite(estimator.loss_curve_).all()
    assert np.isfinite(estimator.predict(X).astype(float)).all()


def test_diverging_regressor_names_target_scaling():
    # Standardised features, raw targets in the hundreds: the steps overshoot
    # because of y, so scaling X alone does not help.
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    reg = StudentNetRegressor(solver="sgd", learning_rate=0.1, random_state=0)

    with pytest.raises(
        DivergenceError,
        match=r"Use a smaller learning_rate \(got 0\.1\), or scale X.*and y.*"
        r"TransformedTargetRegressor",
    ):
        reg.fit(X, y)


def _linear_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    return X, X @ [1.0, 2.0, -1.0]


def test_partial_fit_on_targets_300_times_larger_is_not_divergence():
    # The loss jumps because the data changed, not because a step overshot.
    X, y = _linear_data()
    reg = StudentNetRegressor(hidden_layer_sizes=(8,), solver="adam", random_state=0)
    for _ in range(50):
        reg.partial_fit(X, y)

    reg.partial_fit(X, 300 * y)

    assert reg.loss_ > 1e4 * reg.loss_curve_[0]
    assert np.isfinite(reg.predict(X)).all()


def test_warm_start_fit_on_targets_300_times_larger_is_not_divergence():
    X, y = _linear_data()
    reg = StudentNetRegressor(
        hidden_layer_sizes=(8,),
        solver="adam",
        max_iter=50,
        warm_start=True,
        random_state=0,
    ).fit(X, y)

    reg.fit(X, 300 * y)

    assert reg.loss_ > 1e4 * reg.loss_curve_[0]
    assert np.isfinite(reg.predict(X)).all()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_refit_that_diverges_keeps_the_previous_model(Estimator):
    X, y = _scaled_data(Estimator)
    model = Estimator(solver="sgd", max_iter=20, random_state=0).fit(X, y)
    before = model.predict(X)
    X_big, y_big = _unscaled_data(Estimator)

    with pytest.raises(DivergenceError, match=_remedy(10)):
        model.set_params(learning_rate=10).fit(X_big, y_big)

    assert np.array_equal(model.predict(X), before)
    assert model.n_features_in_ == 3


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_refit_on_bad_data_keeps_the_previous_model(Estimator):
    X, y = _scaled_data(Estimator)
    model = Estimator(max_iter=5, random_state=0).fit(X, y)
    before = model.predict(X)
    X_nan = X[:, :2].copy()
    X_nan[0, 0] = np.nan

    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.fit(X_nan, y)

    assert model.n_features_in_ == 3
    assert np.array_equal(model.predict(X), before)


def test_partial_fit_stream_that_grows_a_little_each_call_is_caught():
    X, y = make_students(n_samples=200, random_state=0)
    X = StandardScaler().fit_transform(X)
    model = StudentNetClassifier(solver="sgd", learning_rate=100, random_state=0)
    model.partial_fit(X, y, classes=[0, 1])

    def stream(calls):
        for _ in range(calls):
            model.partial_fit(X, y)

    with pytest.raises(DivergenceError, match=_remedy(100)):
        stream(20)

    # The model keeps the weights from before the call that diverged.
    assert np.isfinite(model.predict_proba(X)).all()
    assert max(model.loss_curve_) < 1e6 * model.loss_curve_[0]
