"""The detectors, discovered once from the modules of this package."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache
from typing import Any, cast

import preflight.detectors as package
from preflight.detectors.interface import DetectorModule

_NOT_DETECTORS = frozenset({"interface", "registry"})


@cache
def detectors() -> Mapping[str, DetectorModule]:
    found: dict[str, DetectorModule] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name in _NOT_DETECTORS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if not hasattr(module, "detect") or not hasattr(module, "PARAMETERS"):
            raise TypeError(f"detector module {info.name} lacks detect() or PARAMETERS")
        found[info.name] = cast(DetectorModule, module)
    return found


def get(name: str) -> DetectorModule:
    return detectors()[name]


def check_call(name: str, params: Mapping[str, Any]) -> str | None:
    """Why a KB entry's detector call is invalid, or ``None`` when it is fine."""
    module = detectors().get(name)
    if module is None:
        return f"unknown detector '{name}' (known: {', '.join(detectors())})"
    unknown = sorted(set(params) - set(module.PARAMETERS))
    if unknown:
        return f"detector '{name}' takes no parameter(s) {', '.join(unknown)}"
    return None


def documentation(name: str) -> str:
    return (get(name).__doc__ or "").strip()
