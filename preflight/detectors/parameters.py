"""Typed detector parameters, declared next to each detector and checked when the KB loads.

Each detector module declares ``PARAMETERS: Parameters``, a mapping of its parameter names
to a :class:`Parameter` made by one of the constructors below (``text``, ``text_list``,
``value_list``, ``boolean``, ``number``, ``version``)::

    PARAMETERS: Parameters = {
        "keys": text_list("dotted meshConfig keys to look for", required=True),
        "scope": text("services a hit is scoped to", choices=("mesh", "ambient", "none"), default="mesh"),
    }

The loader refuses an entry whose ``detector.params`` names an unknown parameter, leaves out
a required one, or gives a value of the wrong type (exit 2, naming the file, line, entry,
parameter and expected type), so a detector never meets a value it cannot use mid-check.
``preflight kb detectors`` prints the declarations after each detector's docstring: the
parameter documentation is written once, here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from packaging.version import InvalidVersion, Version


class Kind(StrEnum):
    TEXT = "text"
    TEXT_LIST = "a list of text"
    VALUE_LIST = "a list of text, numbers or true/false"
    BOOLEAN = "true or false"
    NUMBER = "a number"
    VERSION = 'a quoted version such as "1.2.0"'


@dataclass(frozen=True)
class Parameter:
    kind: Kind
    help: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | None = None  # as documented; the detector applies it
    minimum: float | None = None
    maximum: float | None = None

    @property
    def expected(self) -> str:
        """The type in words, as errors and the documentation give it."""
        if self.choices and self.kind is Kind.TEXT_LIST:
            return f"a list of any of {', '.join(self.choices)}"
        if self.choices:
            return f"one of {', '.join(self.choices)}"
        if self.kind is Kind.NUMBER and self.minimum is not None and self.maximum is not None:
            return f"a number from {self.minimum:g} to {self.maximum:g}"
        return str(self.kind)

    def problem(self, value: Any) -> str | None:
        """Why ``value`` does not fit, or ``None``."""
        fits = _FITS[self.kind](value)
        if fits and self.choices:
            values = value if isinstance(value, list) else [value]
            fits = all(v in self.choices for v in values)
        if fits and self.kind is Kind.NUMBER:
            fits = (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)
        if fits and self.required and value in ("", []):
            return f"must not be empty: expected {self.expected}"
        return None if fits else f"expected {self.expected}, found {_shown(value)}"

    def describe(self) -> str:
        notes = ["required"] if self.required else []
        if self.default is not None:
            notes.append(f"default {self.default}")
        suffix = f" ({'; '.join(notes)})" if notes else ""
        return f"{self.expected}{suffix}: {self.help}"


Parameters = Mapping[str, Parameter]


def text(help: str, *, required: bool = False, choices: tuple[str, ...] = (), default: str | None = None) -> Parameter:
    return Parameter(Kind.TEXT, help, required, choices, default)


def text_list(
    help: str, *, required: bool = False, choices: tuple[str, ...] = (), default: str | None = None
) -> Parameter:
    return Parameter(Kind.TEXT_LIST, help, required, choices, default)


def value_list(help: str, *, required: bool = False) -> Parameter:
    """Values compared as text, so ``true`` and ``"true"`` (or ``8080`` and ``"8080"``) mean the same."""
    return Parameter(Kind.VALUE_LIST, help, required)


def boolean(help: str, *, default: str = "false") -> Parameter:
    return Parameter(Kind.BOOLEAN, help, default=default)


def number(
    help: str, *, default: str | None = None, minimum: float | None = None, maximum: float | None = None
) -> Parameter:
    return Parameter(Kind.NUMBER, help, default=default, minimum=minimum, maximum=maximum)


def version(help: str, *, required: bool = False) -> Parameter:
    return Parameter(Kind.VERSION, help, required)


def check(declared: Parameters, given: Mapping[str, Any]) -> str | None:
    """Why ``given`` does not fit ``declared``, or ``None``; the first problem, in declaration order."""
    unknown = sorted(str(name) for name in set(given) - set(declared))
    if unknown:
        return f"takes no parameter(s) {', '.join(unknown)} (it takes: {', '.join(declared) or 'none'})"
    for name, parameter in declared.items():
        if name not in given:
            if parameter.required:
                return f"parameter '{name}' is required: expected {parameter.expected}"
            continue
        problem = parameter.problem(given[name])
        if problem:
            return f"parameter '{name}' {problem}"
    return None


def documentation(declared: Parameters) -> str:
    if not declared:
        return "Parameters: none."
    lines = ["Parameters:"]
    for name, parameter in declared.items():
        lines.append(f"  {name}: {parameter.describe()}")
    return "\n".join(lines)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not (isinstance(value, float) and value != value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _is_version(value: Any) -> bool:
    # An unquoted 1.10 is read by YAML as the number 1.1: only text says which version was meant.
    if not isinstance(value, str):
        return False
    try:
        Version(value)
    except InvalidVersion:
        return False
    return True


_FITS = {
    Kind.TEXT: _is_text,
    Kind.TEXT_LIST: lambda v: isinstance(v, list) and all(map(_is_text, v)),
    Kind.VALUE_LIST: lambda v: isinstance(v, list) and all(map(_is_scalar, v)),
    Kind.BOOLEAN: lambda v: isinstance(v, bool),
    Kind.NUMBER: _is_number,
    Kind.VERSION: _is_version,
}


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."
