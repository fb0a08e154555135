"""Optimizers. Each stepper factory returns a :class:`Stepper`; L-BFGS-B is run by scipy."""

from .base import State, Stepper
from .coordinate import coordinate
from .firstorder import adam, linesearch
from .gradient import gradient, sequential
from .lbfgs import run_lbfgs
from .scoring import fisher, newton

__all__ = ["State", "Stepper", "gradient", "sequential", "coordinate", "fisher", "newton",
           "linesearch", "adam", "run_lbfgs"]
