"""Optimizers (steppers). Each is a factory returning a :class:`Stepper`."""

from .base import State, Stepper
from .coordinate import coordinate
from .gradient import gradient, sequential

__all__ = ["State", "Stepper", "gradient", "sequential", "coordinate"]
