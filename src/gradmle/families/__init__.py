"""Registry of distribution families, by lower-case name."""

from __future__ import annotations

from .base import Family
from .normal import Normal

FAMILIES: dict[str, Family] = {f.name: f for f in (Normal(),)}


def get_family(name) -> Family:
    """Look up a family by name; an unknown name raises ValueError listing the valid ones."""
    if isinstance(name, Family):
        return name
    if not isinstance(name, str):
        raise TypeError(f"family must be a string, got {type(name).__name__} {name!r}; one of: {', '.join(sorted(FAMILIES))}")
    key = name.strip().lower()
    if key not in FAMILIES:
        raise ValueError(f"unknown family {name!r}; valid families: {', '.join(sorted(FAMILIES))}")
    return FAMILIES[key]


__all__ = ["Family", "FAMILIES", "get_family"]
