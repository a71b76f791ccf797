"""The back-propagated gradient matches central finite differences of the loss."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skperceptron._base import _LOSS_OF_OUTPUT
from skperceptron._losses import LOSSES
from skperceptron._network import (
    allocate_buffers,
    backward,
    forward,
    glorot_uniform,
)

ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]


def _targets(loss_name, rng, n_samples):
    if loss_name == "binary_cross_entropy":
        return (rng.uniform(size=(n_samples, 1)) > 0.5).astype(float)
    if loss_name == "softmax_cross_entropy":
        return np.eye(3)[rng.integers(0, 3, n_samples)]
    return rng.normal(size=(n_samples, 1))


def _objective_and_gradient(params, X, Y, weights, activation, loss, alpha):
    """The empirical loss and its gradient, computed as the estimators do."""
    layer_units = [X.shape[1], *(coef.shape[1] for coef in params.coefs)]
    activations, deltas = allocate_buffers(X.shape[0], layer_units, X.dtype)
    forward(X, params.coefs, params.intercepts, activation, activations)
    total = loss.sum_and_delta(activations[-1], Y, weights, deltas[-1])
    deltas[-1] /= weights.sum()
    grads = glorot_uniform(layer_units, activation, X.dtype, np.random.default_rng(0))
    backward(X, activations, deltas, params.coefs, activation, grads)
    coefs = params.flat_coefs
    grads.flat[: params.n_coefs] += alpha / weights.sum() * coefs
    objective = (total + 0.5 * alpha * coefs @ coefs) / weights.sum()
    return objective, grads.flat.copy()


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("hidden", [(), (5,), (4, 3)])
def test_gradient_matches_finite_differences(activation, loss_name, hidden):
    rng = np.random.default_rng(0)
    n_samples = 7
    X = rng.normal(size=(n_samples, 4))
    Y = _targets(loss_name, rng, n_samples)
    weights = rng.uniform(0.2, 2.0, n_samples)
    layer_units = [4, *hidden, Y.shape[1]]
    params = glorot_uniform(
        layer_units, activation, np.float64, np.random.RandomState(1)
    )
    # Shift the biases so that no relu unit sits at its kink.
    for intercept in params.intercepts:
        intercept += 0.1
    args = (X, Y, weights, activation, LOSSES[loss_name], 0.3)

    _, analytic = _objective_and_gradient(params, *args)

    numeric = np.empty_like(analytic)
    eps = 1e-6
    for i in range(params.flat.size):
        saved = params.flat[i]
        params.flat[i] = saved + eps
        plus, _ = _objective_and_gradient(params, *args)
        params.flat[i] = saved - eps
        minus, _ = _objective_and_gradient(params, *args)
        params.flat[i] = saved
        numeric[i] = (plus - minus) / (2 * eps)
    assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_every_output_activation_has_a_loss():
    assert set(_LOSS_OF_OUTPUT.values()) == set(LOSSES)
