"""Istio versions: parsed once, compared as versions, and turned into an upgrade path.

A change introduced in ``1.21.2`` applies to an upgrade from ``F`` to ``T`` when
``F < 1.21.2 <= T``. A version given without a patch number means ``.0`` on the
``--from`` side (conservative: patch changes of that minor are shown) and "any patch"
on the ``--to`` side (the newest patch of that minor).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

import semver
from packaging.version import InvalidVersion, Version

from preflight.errors import VersionError

# Image tag suffixes that name a build flavour, not a pre-release.
_FLAVOUR_SUFFIXES = ("distroless", "debug", "fips")
_ANY_PATCH = 10**6
_TAG = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$")


@total_ordering
@dataclass(frozen=True)
class IstioVersion:
    """A parsed Istio version; ``patch`` is ``None`` when the user gave only a minor."""

    major: int
    minor: int
    patch: int | None = None
    prerelease: str | None = None

    @property
    def minor_key(self) -> tuple[int, int]:
        return (self.major, self.minor)

    @property
    def minor_text(self) -> str:
        return f"{self.major}.{self.minor}"

    def as_packaging(self, missing_patch: int = 0) -> Version:
        patch = self.patch if self.patch is not None else missing_patch
        text = f"{self.major}.{self.minor}.{patch}"
        if self.prerelease:
            text += _packaging_prerelease(self.prerelease)
        return Version(text)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, IstioVersion):
            return NotImplemented
        return self.as_packaging() < other.as_packaging()

    def __str__(self) -> str:
        text = self.minor_text if self.patch is None else f"{self.minor_text}.{self.patch}"
        return f"{text}-{self.prerelease}" if self.prerelease else text


def parse_version(text: str) -> IstioVersion:
    """Parse ``1.21``, ``1.21.3``, ``v1.21.3``, ``1.21.3-distroless``, ``1.22.0-beta.1``."""
    cleaned = str(text).strip()
    try:
        parsed = semver.Version.parse(cleaned.removeprefix("v"), optional_minor_and_patch=True)
    except (ValueError, TypeError):
        raise VersionError(f"'{text}' is not an Istio version (expected e.g. 1.21 or 1.21.3)") from None
    match = _TAG.match(cleaned)
    if match is None:
        raise VersionError(f"'{text}' is not an Istio version (expected e.g. 1.21 or 1.21.3)")
    prerelease = parsed.prerelease
    if prerelease and prerelease.split(".")[0] in _FLAVOUR_SUFFIXES:
        prerelease = None
    if prerelease:
        try:
            Version(f"{parsed.major}.{parsed.minor}.{parsed.patch}{_packaging_prerelease(prerelease)}")
        except InvalidVersion:
            prerelease = None  # a build label such as a commit hash: treat as the release
    patch = parsed.patch if match.group(3) is not None else None
    return IstioVersion(parsed.major, parsed.minor, patch, prerelease)


def version_from_image(image: str) -> IstioVersion | None:
    """The Istio version in an image reference such as ``docker.io/istio/pilot:1.20.3-distroless``."""
    reference = image.split("@", 1)[0]
    last = reference.rsplit("/", 1)[-1]
    if ":" not in last:
        return None
    tag = last.rsplit(":", 1)[1]
    try:
        return parse_version(tag)
    except VersionError:
        return None


def _packaging_prerelease(prerelease: str) -> str:
    # semver writes 1.22.0-beta.1, PEP 440 wants 1.22.0b1; Istio also tags alpha/rc.
    match = re.match(r"^(alpha|beta|rc)\.?(\d+)?", prerelease)
    if not match:
        return f"+{re.sub(r'[^A-Za-z0-9.]', '.', prerelease)}"
    return {"alpha": "a", "beta": "b", "rc": "rc"}[match.group(1)] + (match.group(2) or "0")


@dataclass(frozen=True)
class UpgradePath:
    source: IstioVersion
    target: IstioVersion
    minors: tuple[str, ...]  # every minor whose changes apply, e.g. ("1.21", "1.22")

    def includes(self, introduced_in: IstioVersion) -> bool:
        """Does a change introduced in this version take effect on this path?"""
        low = self.source.as_packaging(missing_patch=0)
        high = self.target.as_packaging(missing_patch=_ANY_PATCH)
        return low < introduced_in.as_packaging(missing_patch=0) <= high

    @property
    def is_upgrade(self) -> bool:
        return bool(self.minors) or self.source.as_packaging() < self.target.as_packaging(_ANY_PATCH)


def upgrade_path(source: IstioVersion, target: IstioVersion, known_minors: list[str]) -> UpgradePath:
    """Every known minor after ``source``'s, up to and including ``target``'s."""
    known = sorted({parse_version(m).minor_key for m in known_minors})
    if not known:
        raise VersionError("the knowledge base knows no Istio versions")
    first, last = known[0], known[-1]
    # The first KB minor holds the changes *from* the minor before it, so that one is a valid start.
    oldest_source = (first[0], first[1] - 1)
    for label, version, lowest in (("--from", source, oldest_source), ("--to", target, first)):
        if version.major != 1 or not lowest <= version.minor_key <= last:
            raise VersionError(
                f"{label} {version} is outside the knowledge base's range "
                f"{lowest[0]}.{lowest[1]} to {last[0]}.{last[1]}"
            )
    if target.minor_key < source.minor_key or (
        target.minor_key == source.minor_key
        and target.patch is not None
        and source.patch is not None
        and target.as_packaging() < source.as_packaging()
    ):
        raise VersionError(f"--to {target} is older than --from {source}: downgrades are not supported")
    minors = tuple(f"{m[0]}.{m[1]}" for m in known if source.minor_key < m <= target.minor_key)
    return UpgradePath(source, target, minors)
