"""gradmle: maximum-likelihood fitting with gradient-based optimizers that record
every iterate, check themselves against the closed form and explain a divergence.

>>> import numpy as np, gradmle
>>> x = np.random.default_rng(0).normal(2.0, 1.0, 500)
>>> gradmle.fit(x, method="closed_form").status
'converged'
"""

from .families import FAMILIES, Family, get_family
from .fit import METHODS, fit
from .result import FitResult
from .stats import Moments, moments

__version__ = "0.1.0"

__all__ = ["fit", "FitResult", "METHODS", "FAMILIES", "Family", "get_family", "Moments", "moments", "__version__"]
