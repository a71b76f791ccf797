import re

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from skperceptron.datasets import make_students


def test_make_students_default_shape_and_names():
    X, y = make_students(random_state=0)

    assert X.shape == (200, 2)
    assert list(X.columns) == ["lectures_attended", "hours_on_project"]
    assert y.shape == (200,)
    assert y.name == "passed"
    assert X.index.equals(y.index)


def test_make_students_dtypes_and_ranges():
    X, y = make_students(n_samples=5000, random_state=0)

    assert X["lectures_attended"].dtype == np.int64
    assert X["hours_on_project"].dtype == np.float64
    assert y.dtype == np.int64
    assert X["lectures_attended"].between(0, 30).all()
    assert X["hours_on_project"].between(0.0, 40.0).all()
    assert set(y.unique()) == {0, 1}
    # Every integer from 0 to 30 occurs, so the upper bound is inclusive.
    assert X["lectures_attended"].nunique() == 31


def test_make_students_hours_have_one_decimal():
    X, _ = make_students(n_samples=500, random_state=0)

    hours = X["hours_on_project"].to_numpy()
    np.testing.assert_allclose(hours, np.round(hours, 1))


def test_make_students_about_half_pass():
    _, y = make_students(n_samples=5000, random_state=0)

    assert 0.45 < y.mean() < 0.55


def test_make_students_same_seed_same_data():
    X1, y1 = make_students(n_samples=50, random_state=42)
    X2, y2 = make_students(n_samples=50, random_state=42)

    assert_frame_equal(X1, X2)
    assert_series_equal(y1, y2)


def test_make_students_different_seeds_differ():
    X1, _ = make_students(n_samples=50, random_state=0)
    X2, _ = make_students(n_samples=50, random_state=1)

    assert not X1.equals(X2)


def test_make_students_accepts_random_state_instance():
    X1, y1 = make_students(n_samples=30, random_state=np.random.RandomState(7))
    X2, y2 = make_students(n_samples=30, random_state=7)

    assert_frame_equal(X1, X2)
    assert_series_equal(y1, y2)


def test_make_students_accepts_numpy_integer():
    X, y = make_students(n_samples=np.int64(3), random_state=0)

    assert len(X) == len(y) == 3


def test_make_students_is_learnable_but_not_separable():
    X, y = make_students(n_samples=2000, random_state=0)

    accuracy = cross_val_score(LogisticRegression(), X, y, cv=5).mean()

    assert 0.8 <= accuracy <= 0.9


def test_make_students_returns_pandas_types():
    X, y = make_students(n_samples=3, random_state=0)

    assert isinstance(X, pd.DataFrame)
    assert isinstance(y, pd.Series)


@pytest.mark.parametrize("n_samples", [0, -5, 2.5, "200", None, True])
def test_make_students_rejects_bad_n_samples(n_samples):
    message = (
        f"n_samples must be a positive integer, got {n_samples!r}. "
        "Pass a whole number of students such as 200."
    )

    with pytest.raises(ValueError, match=re.escape(message)):
        make_students(n_samples=n_samples)
