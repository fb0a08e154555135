"""NIST StRD univariate datasets: reading them, and exact references to compare with."""

from __future__ import annotations

import math
import re
from decimal import Decimal, getcontext
from fractions import Fraction
from pathlib import Path

DATA = Path(__file__).parent / "data" / "nist"
NAMES = ("PiDigits", "Lottery", "Lew", "Mavro", "Michelso", "NumAcc1", "NumAcc2", "NumAcc3", "NumAcc4")
#: Sets whose decimals are not exact in binary to the degree that the float64 data
#: already differ from the certified values in the 13th digit.
FLOAT_LIMITED = ("NumAcc3", "NumAcc4")

getcontext().prec = 60


def read(name: str) -> dict:
    """Data as Python floats plus the certified mean and sd (as Decimal)."""
    text = (DATA / f"{name}.dat").read_text()
    lines = text.splitlines()
    first, last = map(int, re.search(r"Data\s*:\s*lines\s+(\d+)\s+to\s+(\d+)", text).groups())
    values = [float(tok) for line in lines[first - 1 : last] for tok in line.split()]
    mean = re.search(r"Sample Mean\s+ybar:\s+(\S+)", text).group(1)
    sd = re.search(r"Sample Standard Deviation \(denom. = n-1\)\s+s:\s+(\S+)", text).group(1)
    return {"x": values, "mean": Decimal(mean), "sd": Decimal(sd)}


def exact_mle(values) -> tuple[Decimal, Decimal]:
    """mu_hat and sigma_hat of the float64 values, in exact rational arithmetic
    (the square root to 60 digits)."""
    xs = [Fraction(v) for v in values]
    n = len(xs)
    mean = sum(xs) / n
    s2 = sum((x - mean) ** 2 for x in xs) / n
    return _dec(mean), (_dec(s2)).sqrt()


def certified_mle(data: dict) -> tuple[Decimal, Decimal]:
    n = len(data["x"])
    return data["mean"], data["sd"] * (Decimal(n - 1) / Decimal(n)).sqrt()


def _dec(q: Fraction) -> Decimal:
    return Decimal(q.numerator) / Decimal(q.denominator)


def lre(estimate: float, reference: Decimal) -> float:
    """Log relative error: the number of correct significant digits (16 when exact)."""
    err = abs(Decimal(estimate) - reference)
    if err == 0:
        return 16.0
    rel = err / abs(reference) if reference != 0 else err
    return min(16.0, -math.log10(float(rel)))
