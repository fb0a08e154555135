"""gradmle: maximum-likelihood fitting with gradient-based optimizers that record
every iterate, check themselves against the closed form and explain a divergence.

>>> import numpy as np, gradmle
>>> x = np.random.default_rng(0).normal(2.0, 1.0, 500)
>>> gradmle.fit(x, method="closed_form").status
'converged'
"""

from .compare import Comparison, compare
from .constraints import CONSTRAINTS, SUPPORTS, Constraint, Support
from .diagnose import CAUSES, Diagnosis, Remedy
from .explore import Explorer, explore
from .families import FAMILIES, Family, get_family
from .fit import AUTO_METHOD, METHODS, fit
from .methods import Method
from .model import Model
from .outcomes import OUTCOMES, Outcome
from .profile import Profile
from .result import STATUSES, FitResult, HessianWarning
from .select import Selection, select
from .stability import Stability, stability
from .stats import Moments, moments
from .survival import SurvivalEstimate, kaplan_meier
from .sweep import SWEEP_OUTCOMES, SweepResult, sweep

__version__ = "0.1.0"

__all__ = [
    "fit", "compare", "stability", "sweep", "Model", "FitResult", "Profile", "Comparison", "Stability", "SweepResult",
    "Diagnosis", "Remedy", "HessianWarning", "METHODS", "Method", "AUTO_METHOD", "STATUSES", "OUTCOMES", "Outcome", "CAUSES",
    "SWEEP_OUTCOMES", "FAMILIES", "Family", "get_family", "CONSTRAINTS", "Constraint", "SUPPORTS", "Support",
    "Moments", "moments", "kaplan_meier", "SurvivalEstimate", "select", "Selection", "explore", "Explorer",
    "__version__",
]
