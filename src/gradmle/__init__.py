"""gradmle: maximum-likelihood fitting with gradient-based optimizers that record
every iterate, check themselves against the closed form and explain a divergence.

>>> import numpy as np, gradmle
>>> x = np.random.default_rng(0).normal(2.0, 1.0, 500)
>>> gradmle.fit(x, method="closed_form").status
'converged'
"""

from .compare import Comparison, compare
from .diagnose import CAUSES, Diagnosis, Remedy
from .families import FAMILIES, Family, get_family
from .fit import AUTO_METHOD, METHODS, fit
from .result import STATUSES, FitResult
from .stability import Stability, stability
from .stats import Moments, moments

__version__ = "0.1.0"

__all__ = [
    "fit", "compare", "stability", "FitResult", "Comparison", "Stability", "Diagnosis", "Remedy",
    "METHODS", "AUTO_METHOD", "STATUSES", "CAUSES", "FAMILIES", "Family", "get_family", "Moments", "moments",
    "__version__",
]
