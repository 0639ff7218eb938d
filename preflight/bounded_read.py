"""Reading an input file without trusting its size: the one bounded reader every input goes through.

A size from ``stat`` means nothing for a device or a pipe (``/dev/zero`` reports 0 and never
ends), so the read itself stops at the bound. YAML and JSON text never holds a raw NUL, so one
ends the read at once, naming its line.
"""

from __future__ import annotations

from typing import IO

from preflight.errors import InputError, Location

_READ_CHUNK = 1024 * 1024
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")
NUL_IN_TEXT = "holds a NUL byte: not YAML or JSON text"


def read_bounded(stream: IO[bytes], name: str, limit: int) -> bytes:
    """At most ``limit`` bytes of ``stream``, stopping at the first NUL byte (an ``InputError`` past either)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        nul = chunk.find(b"\x00")
        if nul >= 0 and not (chunks[0] if chunks else chunk).startswith(UTF16_MARKS):  # refused as not UTF-8 once read
            line = sum(piece.count(b"\n") for piece in chunks) + chunk.count(b"\n", 0, nul) + 1
            raise InputError(NUL_IN_TEXT, Location(name, line))
        size += len(chunk)
        if size > limit:
            raise InputError(f"input is larger than {limit // (1024 * 1024)} MiB", Location(name))
        chunks.append(chunk)
