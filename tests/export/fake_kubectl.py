"""A fake ``kubectl`` that replays a recording; no cluster is involved.

The recordings in ``recordings/`` are hand-written YAML made to match what kubectl
prints: ``get --raw`` writes the API server's JSON to stdout with no trailing newline
and exits 0; on an API error it writes ``Error from server (<Reason>): <message>`` to
stderr and exits 1 (checked against a real kubectl 1.32 talking to a stub server).

A recording maps the arguments (global ``--context``/``--kubeconfig`` removed) to a
response: ``json`` (printed as JSON), ``stderr`` and ``exit``. A list of responses is
played in order, one per call, the last one repeating. Keys containing ``*`` are
shell-style patterns tried after the exact keys. Anything not recorded fails loudly.

Environment: FAKE_KUBECTL_RECORDING (the YAML file), FAKE_KUBECTL_LOG (each call is
appended as a JSON line), FAKE_KUBECTL_STATE (a directory counting calls per key).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

GLOBAL_FLAGS = ("--context", "--kubeconfig")


def main(argv: list[str]) -> int:
    flags: dict[str, str] = {}
    rest: list[str] = []
    position = 0
    while position < len(argv):
        argument = argv[position]
        if argument in GLOBAL_FLAGS and position + 1 < len(argv):
            flags[argument] = argv[position + 1]
            position += 2
            continue
        rest.append(argument)
        position += 1
    key = " ".join(rest)
    log = os.environ.get("FAKE_KUBECTL_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as file:
            file.write(json.dumps({"flags": flags, "args": key}) + "\n")
    text = Path(os.environ["FAKE_KUBECTL_RECORDING"]).read_text(encoding="utf-8")
    recording = yaml.load(text, Loader=yaml.CSafeLoader)
    context = recording.get("context")
    if context and flags.get("--context", context) != context:
        sys.stderr.write(f'error: context "{flags["--context"]}" does not exist\n')
        return 1
    responses: dict[str, Any] = recording["responses"]
    response = responses.get(key)
    if response is None:
        response = next((value for pattern, value in responses.items() if "*" in pattern and
                         fnmatch.fnmatchcase(key, pattern)), None)
    if response is None:
        sys.stderr.write(f"fake kubectl: no recording for: {key}\n")
        return 99
    if isinstance(response, list):
        response = response[min(_next_call(key), len(response) - 1)]
    if "json" in response:
        sys.stdout.write(json.dumps(response["json"]))
    if "stderr" in response:
        sys.stderr.write(response["stderr"].rstrip("\n") + "\n")
    return int(response.get("exit", 0))


def _next_call(key: str) -> int:
    state = Path(os.environ["FAKE_KUBECTL_STATE"])
    counter = state / hashlib.sha256(key.encode()).hexdigest()
    calls = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(calls + 1))
    return calls


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
