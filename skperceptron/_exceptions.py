"""Exceptions raised by skperceptron."""


class DivergenceError(ValueError):
    """Training diverged: the loss or the weights became non-finite or exploded.

    Raised instead of returning a model that would predict nonsense. The message
    names the learning rate and the remedy. The estimator is left as it was before
    the call that diverged: unfitted after a first ``fit``, or with the weights it
    had before a ``partial_fit`` or warm-started ``fit``.

    Examples
    --------
    >>> from skperceptron import DivergenceError
    >>> issubclass(DivergenceError, ValueError)
    True
    """


class TrainingInterrupted(UserWarning):
    """Training was interrupted (Ctrl-C); the model keeps the weights reached.

    A loop of fits, such as a grid search, goes on with its next fit. To stop the
    whole loop on Ctrl-C instead, turn this warning into an error, for example
    ``warnings.simplefilter("error", TrainingInterrupted)``, and let the loop
    pass errors on (``GridSearchCV(..., error_score="raise")``).

    Examples
    --------
    >>> from skperceptron import TrainingInterrupted
    >>> issubclass(TrainingInterrupted, UserWarning)
    True
    """
