"""Gradient-descent update rules, applied in place to the flat parameter array.

An optimizer holds the step size and whatever state its rule keeps between steps
(a velocity, running moments). Each ``step`` moves the parameters against one
minibatch gradient. Optimizers never print: the estimator reports progress.
"""

from abc import ABC, abstractmethod

import numpy as np


class Optimizer(ABC):
    """A step size, and the rule that moves the parameters against a gradient.

    Parameters
    ----------
    n_params : int
        Size of the flat parameter array.
    learning_rate : float
        Initial step size.
    dtype : numpy dtype
        Floating-point type of the parameters.
    """

    def __init__(self, n_params, learning_rate, dtype):
        self.learning_rate_init = learning_rate
        self.learning_rate = learning_rate
        self._scratch = np.empty(n_params, dtype=dtype)

    @abstractmethod
    def step(self, params, grad):
        """Move the flat ``params`` one step against ``grad``, in place."""

    def restart_learning_rate(self, learning_rate):
        """Use a new step size from the next step on, schedules started afresh."""
        self.learning_rate_init = self.learning_rate = learning_rate

    def end_epoch(self, n_samples_seen):
        """Adjust the step size after an epoch; by default it stays."""
        return None

    def reduce_learning_rate(self):
        """Cut the step size on a plateau; False when the rule has no such cut."""
        return False


class SGD(Optimizer):
    """Stochastic gradient descent with momentum and an optional step schedule.

    With momentum ``mu``, ``v <- mu v - lr g`` and ``w <- w + v``; Nesterov's
    variant looks ahead, ``w <- w + mu v - lr g`` (Sutskever et al., 2013,
    "On the importance of initialization and momentum in deep learning").

    Parameters
    ----------
    n_params : int
        Size of the flat parameter array.
    learning_rate : float
        Initial step size.
    schedule : {"constant", "invscaling", "adaptive"}
        How the step size changes between epochs.
    momentum : float
        Weight of the previous velocity.
    nesterov : bool
        Whether to use Nesterov's momentum.
    power_t : float
        Exponent of the "invscaling" schedule.
    dtype : numpy dtype
        Floating-point type of the parameters.
    """

    def __init__(
        self, n_params, learning_rate, schedule, momentum, nesterov, power_t, dtype
    ):
        super().__init__(n_params, learning_rate, dtype)
        self.schedule = schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocity = np.zeros(n_params, dtype=dtype)

    def step(self, params, grad):
        step = np.multiply(grad, -self.learning_rate, out=self._scratch)
        self.velocity *= self.momentum
        self.velocity += step
        if self.nesterov:
            step += self.momentum * self.velocity
            params += step
        else:
            params += self.velocity

    def end_epoch(self, n_samples_seen):
        """Apply the "invscaling" schedule: ``lr = lr0 / (t + 1) ** power_t``."""
        if self.schedule == "invscaling":
            decay = (n_samples_seen + 1) ** self.power_t
            self.learning_rate = self.learning_rate_init / decay

    def reduce_learning_rate(self):
        """Divide the step size by 5 under the "adaptive" schedule.

        Returns False when there is nothing left to reduce: the schedule is not
        "adaptive", or the step size has already fallen below 1e-6.
        """
        if self.schedule != "adaptive" or self.learning_rate <= 1e-6:
            return False
        self.learning_rate /= 5.0
        return True


class Adam(Optimizer):
    """Adam: steps scaled by running estimates of the gradient's first two moments.

    ``m <- b1 m + (1 - b1) g`` and ``v <- b2 v + (1 - b2) g**2``; with the bias
    corrections folded into the step size, ``w <- w - lr_t m / (sqrt(v) + eps)``
    where ``lr_t = lr sqrt(1 - b2**t) / (1 - b1**t)`` (Kingma and Ba, 2014,
    https://arxiv.org/abs/1412.6980).

    Parameters
    ----------
    n_params : int
        Size of the flat parameter array.
    learning_rate : float
        Step size.
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates.
    epsilon : float
        Keeps the division finite where the second moment is zero.
    dtype : numpy dtype
        Floating-point type of the parameters.
    """

    def __init__(self, n_params, learning_rate, beta_1, beta_2, epsilon, dtype):
        super().__init__(n_params, learning_rate, dtype)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)

    def step(self, params, grad):
        self.t += 1
        scratch = self._scratch
        np.subtract(grad, self.m, out=scratch)
        scratch *= 1 - self.beta_1
        self.m += scratch
        np.multiply(grad, grad, out=scratch)
        scratch -= self.v
        scratch *= 1 - self.beta_2
        self.v += scratch

        lr_t = (
            self.learning_rate
            * np.sqrt(1 - self.beta_2**self.t)
            / (1 - self.beta_1**self.t)
        )
        np.sqrt(self.v, out=scratch)
        scratch += self.epsilon
        np.divide(self.m, scratch, out=scratch)
        scratch *= lr_t
        params -= scratch
