"""Istio versions: parsed once, compared as versions, and turned into an upgrade path.

Istio backports some behaviour changes to the patch releases of older minors, so a change
is introduced on one or more *release lines* (:class:`ReleaseLines`): the first version of
each minor line that ships it, e.g. ``1.18.7, 1.19.6, 1.20.2, 1.21.0``. The last listed
version is the *main line*: every minor after it has the change from its ``.0``. A version
has the change when its own minor line lists a version at or below it, or its minor is
past the main line's. A change applies to an upgrade from ``F`` to ``T`` when ``F`` lacks
it and ``T`` has it. With one listed version ``V`` this is the familiar ``F < V <= T``.

A version given without a patch number means ``.0`` on the ``--from`` side (conservative:
every patch change of that minor is shown) and "the newest patch" on the ``--to`` side
(every change that any patch of that minor ships, backports included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache, total_ordering

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
    # The KB, the snapshot and the mitigation advice parse the same few hundred tags over and over,
    # and a version is immutable. Only strings are remembered: a value read from a bad file (a list)
    # must reach the parser's VersionError, not the cache's TypeError.
    return _remembered(text) if type(text) is str else _parse(text)


@lru_cache(maxsize=4096)
def _remembered(text: str) -> IstioVersion:
    return _parse(text)


def _parse(text: str) -> IstioVersion:
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


def parse_requested_version(text: str, option: str) -> IstioVersion:
    """A version the user asks for (``--from``, ``--to``, ``kb list --version``): a release, never a pre-release.

    The knowledge base records the release that ships each change (``1.22.0``); a pre-release such as
    ``1.22.0-beta.1`` or ``1.22-rc.1`` carries an unknown subset of them, so no verdict for it would be
    trustworthy. It is refused with the release to check against instead. (A pre-release *detected*
    from an istiod image is read as it is: it is what runs.)
    """
    version = parse_version(text)
    if version.prerelease:
        release = f"{version.minor_text}.{version.patch if version.patch is not None else 0}"
        raise VersionError(
            f"{option} {text} is a pre-release; the knowledge base describes releases only, so check against "
            f"{release} (every change that release ships)"
        )
    return version


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
class ReleaseLines:
    """The first version of each release line that ships a change, ascending, one per minor.

    The last version is the main line: minors after it have the change from their ``.0``;
    the versions before it are backports to older lines.
    """

    versions: tuple[IstioVersion, ...]

    @property
    def main_line(self) -> IstioVersion:
        return self.versions[-1]

    @property
    def backports(self) -> tuple[IstioVersion, ...]:
        return self.versions[:-1]

    def on_line(self, minor_key: tuple[int, int]) -> IstioVersion | None:
        return next((v for v in self.versions if v.minor_key == minor_key), None)

    def present_in(self, version: IstioVersion, missing_patch: int = 0) -> bool:
        """Does ``version`` (a missing patch read as ``missing_patch``) ship the change?"""
        listed = self.on_line(version.minor_key)
        if listed is not None:
            return version.as_packaging(missing_patch) >= listed.as_packaging()
        return version.minor_key > self.main_line.minor_key

    def problem(self) -> str | None:
        """What makes this list meaningless, or ``None``: one full version per minor line, ascending."""
        if not self.versions:
            return "needs at least one version"
        for version in self.versions:
            if version.patch is None or version.prerelease:
                return f"'{version}' must be a release with a patch number, such as {version.minor_text}.0"
        minors = [v.minor_key for v in self.versions]
        if len(set(minors)) != len(minors):
            return "lists one minor line twice: give only the first version of each line"
        if minors != sorted(minors):
            return "must be ascending, ending with the main line"
        for version in self.backports:
            if version.patch == 0:
                return (
                    f"'{version}' is a .0 release before the main line {self.main_line}: every later "
                    f"minor already has the change, so list {version} last"
                )
        return None

    def __str__(self) -> str:
        return ", ".join(str(v) for v in self.versions)


@dataclass(frozen=True)
class CrossedLine:
    """The releases of one minor line that an upgrade path passes: after ``after`` up to ``up_to``.

    ``after`` is ``None`` when the line is crossed from its first release (``.0``), ``up_to``
    ``None`` when it is crossed to its newest patch.
    """

    minor: str
    after: IstioVersion | None
    up_to: IstioVersion | None

    @property
    def first_patch(self) -> int:
        if self.after is None:
            return 0
        patch = self.after.patch or 0
        # A pre-release of x.y.z comes before x.y.z itself, so that release is crossed too.
        return patch if self.after.prerelease else patch + 1

    @property
    def label(self) -> str:
        first = f"{self.minor}.{self.first_patch}"
        if self.up_to is None:
            return f"{self.minor} (every patch)" if self.first_patch == 0 else f"{first} and later patches"
        last = f"{self.minor}.{self.up_to.patch or 0}"
        return first if first == last else f"{first} to {last}"

    def to_json(self) -> dict[str, str | None]:
        return {
            "minor": self.minor,
            "first": f"{self.minor}.{self.first_patch}",
            "last": None if self.up_to is None else f"{self.minor}.{self.up_to.patch or 0}",
            "label": self.label,
        }


@dataclass(frozen=True)
class UpgradePath:
    source: IstioVersion
    target: IstioVersion
    minors: tuple[str, ...]  # every minor after the source's, up to the target's, e.g. ("1.21", "1.22")

    def applies(self, lines: ReleaseLines) -> bool:
        """Does this upgrade bring the change: the source lacks it and the target has it?

        The one applicability rule for the engine, the simulator and the coverage table.
        """
        return not self.source_has(lines) and lines.present_in(self.target, missing_patch=_ANY_PATCH)

    def source_has(self, lines: ReleaseLines) -> bool:
        """Is the change already in effect at the source version (``.0`` when no patch was given)?"""
        return lines.present_in(self.source, missing_patch=0)

    def includes(self, introduced_in: IstioVersion) -> bool:
        """Does a change introduced on one line only, in this version, take effect on this path?"""
        return self.applies(ReleaseLines((introduced_in,)))

    def arrival(self, lines: ReleaseLines) -> IstioVersion:
        """The release that brings the change on this path: its version on the newest line not past the target.

        ``1.20.1 → 1.20.5`` gets ``1.18.7, 1.19.6, 1.20.2, 1.21.0`` from 1.20.2; ``1.20.1 → 1.22.0`` from
        1.21.0, the main line, whatever patch of 1.20 would have brought it.
        """
        reached = [v for v in lines.versions if v.minor_key <= self.target.minor_key]
        return reached[-1] if reached else lines.main_line

    @property
    def crossed(self) -> tuple[CrossedLine, ...]:
        """Every release line this path passes, with the patch releases it passes on each."""
        source, target = self.source, self.target
        if source.minor_key == target.minor_key:
            line = CrossedLine(source.minor_text, source, target if target.patch is not None else None)
            if target.patch is not None and line.first_patch > target.patch:
                return ()  # same release: nothing crossed
            return (line,)
        lines = [CrossedLine(source.minor_text, source, None)]
        for minor in self.minors:
            last = minor == target.minor_text and target.patch is not None
            lines.append(CrossedLine(minor, None, target if last else None))
        return tuple(lines)

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
