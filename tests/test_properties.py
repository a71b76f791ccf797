"""Properties that hold for any small data set, checked with hypothesis.

The "ci" profile runs by default; set SKPERCEPTRON_HYPOTHESIS_PROFILE=thorough for
many more examples.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from skperceptron import StudentNetClassifier, StudentNetRegressor

settings.register_profile(
    "ci",
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = settings.get_profile(os.environ.get("SKPERCEPTRON_HYPOTHESIS_PROFILE", "ci"))

quiet = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

LABEL_SETS = {
    "ints": [3, 0, 7, 1],
    "mixed-sign ints": [-(2**40), -1, 5, 2**40],
    "int8": np.array([-128, 0, 127], dtype=np.int8),
    "strings": ["pass", "fail", "", "résumé"],
    "bools": [False, True],
}


@st.composite
def settings_and_X(draw):
    """A network's settings and float features of any small shape and dtype."""
    n_samples = draw(st.integers(5, 40))
    n_features = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    X = draw(
        arrays(
            dtype,
            (n_samples, n_features),
            elements=st.floats(-5, 5, width=32, allow_subnormal=False),
        )
    )
    params = {
        "hidden_layer_sizes": draw(st.lists(st.integers(1, 5), max_size=2).map(tuple)),
        "activation": draw(st.sampled_from(["relu", "tanh", "logistic", "identity"])),
        "solver": draw(st.sampled_from(["sgd", "adam", "lbfgs"])),
        "max_iter": draw(st.integers(1, 8)),
        "random_state": draw(st.integers(0, 2**16)),
    }
    return params, X


def sample_weights(n_samples):
    """None, or positive weights of very different sizes."""
    return st.none() | arrays(
        np.float64, n_samples, elements=st.floats(0.01, 100, allow_subnormal=False)
    )


def class_labels(n_samples, labels):
    """An array of n_samples labels, each of ``labels`` present at least once.

    Built from a list, as a user would, so that the array's dtype is the one
    numpy gives these labels.
    """
    n_classes = len(labels)
    return st.lists(
        st.integers(0, n_classes - 1), min_size=n_samples, max_size=n_samples
    ).map(
        lambda codes: np.asarray(
            [labels[code] for code in [*range(n_classes), *codes[n_classes:]]]
        )
    )


@st.composite
def classification_problems(draw, label_set=None):
    params, X = draw(settings_and_X())
    n_samples = X.shape[0]
    label_set = label_set or draw(st.sampled_from(sorted(LABEL_SETS)))
    labels = draw(st.permutations(list(np.asarray(LABEL_SETS[label_set]))))
    n_classes = draw(st.integers(2, len(labels)))
    y = draw(class_labels(n_samples, labels[:n_classes]))
    return params, X, y, draw(sample_weights(n_samples))


@st.composite
def regression_problems(draw):
    params, X = draw(settings_and_X())
    n_samples = X.shape[0]
    n_outputs = draw(st.sampled_from([None, 2, 3]))
    shape = n_samples if n_outputs is None else (n_samples, n_outputs)
    y = draw(arrays(np.float64, shape, elements=st.floats(-10, 10)))
    return params, X, y, draw(sample_weights(n_samples))


@quiet
@PROFILE
@given(problem=regression_problems())
def test_regressor_predictions_are_finite(problem):
    params, X, y, sample_weight = problem

    reg = StudentNetRegressor(**params).fit(X, y, sample_weight=sample_weight)
    predicted = reg.predict(X)

    assert predicted.shape == y.shape
    assert np.isfinite(predicted).all()


@quiet
@PROFILE
@given(problem=classification_problems())
def test_class_probabilities_are_distributions(problem):
    params, X, y, sample_weight = problem

    clf = StudentNetClassifier(**params).fit(X, y, sample_weight=sample_weight)
    proba = clf.predict_proba(X)
    log_proba = clf.predict_log_proba(X)

    atol = 1e-6 if X.dtype == np.float32 else 1e-12
    assert proba.shape == (len(X), len(clf.classes_))
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    assert_allclose(proba.sum(axis=1), 1, atol=atol)
    assert np.isfinite(log_proba).all()
    assert_allclose(np.exp(log_proba), proba, atol=atol)


@quiet
@PROFILE
@pytest.mark.parametrize("label_set", sorted(LABEL_SETS))
@given(data=st.data())
def test_classes_round_trip_any_labels(label_set, data):
    params, X, y, sample_weight = data.draw(classification_problems(label_set))

    clf = StudentNetClassifier(**params).fit(X, y, sample_weight=sample_weight)
    predicted = clf.predict(X)

    assert np.array_equal(clf.classes_, np.unique(y))
    assert clf.classes_.dtype == y.dtype
    assert predicted.dtype == y.dtype
    assert predicted.shape == y.shape
    assert set(predicted.tolist()) <= set(y.tolist())
    proba = clf.predict_proba(X)
    assert np.array_equal(predicted, clf.classes_[proba.argmax(axis=1)])


@quiet
@PROFILE
@pytest.mark.parametrize(
    ("Estimator", "problems"),
    [
        (StudentNetClassifier, classification_problems()),
        (StudentNetRegressor, regression_problems()),
    ],
    ids=["StudentNetClassifier", "StudentNetRegressor"],
)
@given(data=st.data())
def test_same_seed_gives_the_same_model(Estimator, problems, data):
    params, X, y, sample_weight = data.draw(problems)

    first = Estimator(**params).fit(X, y, sample_weight=sample_weight)
    second = Estimator(**params).fit(X, y, sample_weight=sample_weight)

    for a, b in zip(
        first.coefs_ + first.intercepts_,
        second.coefs_ + second.intercepts_,
        strict=True,
    ):
        assert a.dtype == b.dtype == X.dtype
        assert np.array_equal(a, b)
    assert np.array_equal(first.predict(X), second.predict(X))
