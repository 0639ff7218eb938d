"""A tiny istio/istio-shaped git repository, built tag by tag, for the extraction and audit tests."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

GIT_IDENTITY = ["-c", "user.name=Preflight Test", "-c", "user.email=test@preflight.invalid"]


class FakeIstio:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._git("init", "-q", "-b", "master")

    def _git(self, *args: str) -> None:
        subprocess.run(["git", "-C", str(self.root), *GIT_IDENTITY, *args], check=True, capture_output=True)

    def release(self, tag: str, files: Mapping[str, str | None]) -> None:
        """Write (or, for ``None``, delete) ``files``, commit and tag the result."""
        for path, text in files.items():
            target = self.root / path
            if text is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        self._git("add", "-A")
        self._git("commit", "-q", "--allow-empty", "-m", f"release {tag}")
        self._git("tag", tag)


def features(*flags: tuple[str, str]) -> str:
    """A Go features file registering ``(name, default)`` flags the ways istiod does."""
    lines = ["package features", "", 'import "istio.io/istio/pkg/env"', "", "var ("]
    for index, (name, default) in enumerate(flags):
        if index % 2:
            lines.append(f'\tFlag{index} = env.Register(\n\t\t"{name}",\n\t\t{default},\n\t\t"help").Get()')
        else:
            lines.append(f'\tFlag{index} = env.RegisterBoolVar("{name}", {default}, "help").Get()')
    lines.append(")")
    return "\n".join(lines) + "\n"
