"""Fuzz the snapshot loader: any bytes, as YAML and as JSON, give objects or an ``InputError``.

    python fuzz/fuzz_loader.py [-max_total_time=600] [-max_len=65536] [fuzz/corpus]

Any other exception, a crash or a hang (libFuzzer's -timeout, 25 s by default here) is a
finding atheris reports with the input that caused it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports():
    from preflight.errors import InputError
    from preflight.snapshot.loader import LoadOptions, _load_bytes, _LoadState


def test_one_input(data: bytes) -> None:
    for name in ("fuzz.yaml", "fuzz.json"):
        try:
            _load_bytes(name, data, LoadOptions(), _LoadState())
        except InputError as error:
            if error.location is None or error.location.file != name or "\n" in str(error):
                raise AssertionError(f"error does not name the file on one line: {error!r}") from None


def main() -> None:
    atheris.Setup([*sys.argv, "-timeout=25"], test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
