"""Losses, computed from the output layer's pre-activation.

A loss compares the network's output with the truth. Each loss here pairs with the
output activation that makes its gradient simple: for sigmoid with binary
cross-entropy, softmax with softmax cross-entropy and identity with squared error,
the derivative of the loss with respect to the output layer's pre-activation ``z`` is
``f(z) - y``. Working from ``z`` rather than from the activated output also keeps the
losses finite for saturated outputs: no ``log(0)`` and no overflowing ``exp``.

Each loss returns the *sum* over samples of the per-sample loss, weighted by
``sample_weight``; the caller divides by the total weight to get the empirical loss.
"""

import numpy as np
from scipy.special import expit, log_softmax, softmax


def _row_dot(A, B):
    """Dot product of matching rows of ``A`` and ``B``."""
    return np.einsum("ij,ij->i", A, B)


class BinaryCrossEntropy:
    """Binary cross-entropy with a sigmoid output, one column per label.

    Per sample, ``sum_k softplus(z_k) - y_k z_k``, which equals
    ``-sum_k y_k log p_k + (1 - y_k) log(1 - p_k)`` with ``p = sigmoid(z)``.
    """

    out_activation = "logistic"

    def sum_and_delta(self, raw, Y, sample_weight, delta):
        """Weighted loss sum; write ``sample_weight * (sigmoid(raw) - Y)`` to delta."""
        per_sample = np.logaddexp(0, raw).sum(axis=1) - _row_dot(Y, raw)
        expit(raw, out=delta)
        delta -= Y
        delta *= sample_weight[:, np.newaxis]
        return per_sample @ sample_weight

    def output(self, raw):
        """Probabilities of the positive class of each label."""
        return expit(raw)

    def log_output(self, raw):
        """``log(sigmoid(raw))``, computed without taking the log of 0."""
        return -np.logaddexp(0, -raw)


class SoftmaxCrossEntropy:
    """Softmax cross-entropy: the generalisation of binary cross-entropy to K classes.

    Per sample, ``logsumexp(z) - z_y``, which equals ``-log p_y`` with
    ``p = softmax(z)``.
    """

    out_activation = "softmax"

    def sum_and_delta(self, raw, Y, sample_weight, delta):
        """Weighted loss sum; write ``sample_weight * (softmax(raw) - Y)`` to delta."""
        row_max = raw.max(axis=1, keepdims=True)
        np.subtract(raw, row_max, out=delta)
        np.exp(delta, out=delta)
        row_sum = delta.sum(axis=1, keepdims=True)
        per_sample = np.log(row_sum[:, 0]) + row_max[:, 0] - _row_dot(Y, raw)
        delta /= row_sum
        delta -= Y
        delta *= sample_weight[:, np.newaxis]
        return per_sample @ sample_weight

    def output(self, raw):
        """Class probabilities; each row sums to 1."""
        return softmax(raw, axis=1)

    def log_output(self, raw):
        """Log class probabilities, computed without taking the log of 0."""
        return log_softmax(raw, axis=1)


class SquaredError:
    """Half the squared error with an identity output, summed over outputs."""

    out_activation = "identity"

    def sum_and_delta(self, raw, Y, sample_weight, delta):
        """Weighted loss sum; write ``sample_weight * (raw - Y)`` to delta."""
        np.subtract(raw, Y, out=delta)
        per_sample = 0.5 * _row_dot(delta, delta)
        delta *= sample_weight[:, np.newaxis]
        return per_sample @ sample_weight

    def output(self, raw):
        """The predicted values themselves."""
        return raw


LOSSES = {
    "binary_cross_entropy": BinaryCrossEntropy(),
    "softmax_cross_entropy": SoftmaxCrossEntropy(),
    "squared_error": SquaredError(),
}
