"""The detectors, discovered once from the modules of this package."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache
from typing import Any, cast

import preflight.detectors as package
from preflight.detectors import parameters
from preflight.detectors.interface import DetectorModule

_NOT_DETECTORS = frozenset({"interface", "registry", "parameters"})


@cache
def detectors() -> Mapping[str, DetectorModule]:
    found: dict[str, DetectorModule] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name in _NOT_DETECTORS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if not hasattr(module, "detect") or not hasattr(module, "PARAMETERS"):
            raise TypeError(f"detector module {info.name} lacks detect() or PARAMETERS")
        if not all(isinstance(p, parameters.Parameter) for p in module.PARAMETERS.values()):
            raise TypeError(f"detector module {info.name} declares PARAMETERS without preflight.detectors.parameters")
        found[info.name] = cast(DetectorModule, module)
    return found


def get(name: str) -> DetectorModule:
    return detectors()[name]


def check_call(name: str, params: Mapping[str, Any]) -> str | None:
    """Why a KB entry's detector call is invalid, or ``None`` when it is fine."""
    module = detectors().get(name)
    if module is None:
        return f"unknown detector '{name}' (known: {', '.join(detectors())})"
    problem = parameters.check(module.PARAMETERS, params)
    return f"detector '{name}' {problem}" if problem else None


def documentation(name: str) -> str:
    """The detector's docstring, then its parameters as declared (the one place they are documented)."""
    module = get(name)
    return f"{(module.__doc__ or '').strip()}\n\n{parameters.documentation(module.PARAMETERS)}"
