"""Small synthetic data sets for examples and tests."""

import numbers

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.utils import check_random_state

__all__ = ["make_students"]

# Coefficients of the pass logit; the docstring of make_students states them too.
_LECTURE_WEIGHT = 0.3
_PROJECT_WEIGHT = 0.2
_LECTURE_CENTRE = 15
_PROJECT_CENTRE = 20.0
_NOISE_SCALE = 1.0


def make_students(n_samples=200, *, random_state=None):
    """Generate a synthetic pass/fail data set about students.

    The data is synthetic: every value is drawn from the random distributions below,
    and no row describes a real student. Each row is one student, with the number of
    lectures they attended, the hours they spent on a project, and whether they passed.

    The data is generated as follows, in this order, from one random number
    generator:

    1. ``lectures_attended`` is drawn uniformly from the integers 0 to 30 inclusive.
    2. ``hours_on_project`` is drawn uniformly from the interval [0, 40) and rounded
       to one decimal place.
    3. A pass score is computed for each student as
       ``z = 0.3 * (lectures_attended - 15) + 0.2 * (hours_on_project - 20) + noise``,
       where ``noise`` is drawn from a normal distribution with mean 0 and standard
       deviation 1.
    4. ``passed`` is 1 with probability ``1 / (1 + exp(-z))`` and 0 otherwise, each
       student drawn independently.

    About half the students pass. Both the noise term and the random draw in step 4
    make the classes overlap, so no model can classify every student correctly: a
    logistic regression reaches about 80-90% accuracy.

    Parameters
    ----------
    n_samples : int, default=200
        Number of students (rows) to generate. Must be a positive integer.

    random_state : int, RandomState instance or None, default=None
        Seed or random number generator used for every draw. Pass an int for data
        that is identical on every call.

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, 2)
        The features: ``lectures_attended`` (int64, 0 to 30) and
        ``hours_on_project`` (float64, 0.0 to 40.0).

    y : pandas.Series of shape (n_samples,)
        The target, named ``passed``, of dtype int64: 1 for a student who passed and 0
        for a student who failed.

    Raises
    ------
    ValueError
        If ``n_samples`` is not a positive integer.

    Examples
    --------
    >>> from skperceptron.datasets import make_students
    >>> X, y = make_students(n_samples=4, random_state=0)
    >>> X
       lectures_attended  hours_on_project
    0                 12              24.1
    1                 15              21.8
    2                 21              16.9
    3                  0              25.8
    >>> y.tolist()
    [0, 1, 1, 0]
    >>> y.name
    'passed'
    """
    _check_n_samples(n_samples)
    rng = check_random_state(random_state)

    lectures = rng.randint(0, 31, size=n_samples)
    hours = np.round(rng.uniform(0.0, 40.0, size=n_samples), 1)
    noise = rng.normal(0.0, _NOISE_SCALE, size=n_samples)
    z = (
        _LECTURE_WEIGHT * (lectures - _LECTURE_CENTRE)
        + _PROJECT_WEIGHT * (hours - _PROJECT_CENTRE)
        + noise
    )
    passed = (rng.random_sample(n_samples) < expit(z)).astype(np.int64)

    X = pd.DataFrame(
        {
            "lectures_attended": lectures.astype(np.int64),
            "hours_on_project": hours,
        }
    )
    return X, pd.Series(passed, name="passed")


def _check_n_samples(n_samples):
    """Raise ValueError unless ``n_samples`` is a positive integer."""
    is_integer = isinstance(n_samples, numbers.Integral) and not isinstance(
        n_samples, bool
    )
    if not is_integer or n_samples < 1:
        raise ValueError(
            f"n_samples must be a positive integer, got {n_samples!r}. "
            "Pass a whole number of students such as 200."
        )
