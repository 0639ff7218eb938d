"""Reading facts out of a local istio/istio git repository (bare or not), tag by tag.

Only ``git`` plumbing is used, through subprocess with argument lists, so no work
tree is needed and nothing is fetched. What is read:

* the release tags (``1.N.P``; a minor with no release yet is represented by its
  newest pre-release tag, so the newest line can still be checked);
* the environment flags every Go package registers with ``env.Register*`` (istiod,
  the proxy agent, istio-cni, ...), with the default as written in the source; a flag
  named through a Go string constant is resolved when the constant is defined in one of
  the registering files, and istio-cni's viper parameters are read through its constants;
* the ``compatibility-version-*.yaml`` Helm profiles, flattened to dotted keys;
* the keys of the istio-cni chart's ``values.yaml`` (below the chart's
  ``_internal_defaults_do_not_set`` wrapper where present);
* the release-note files under ``releasenotes/notes/``.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from preflight.errors import InputError, Location, VersionError
from preflight.versions import parse_version

_RELEASE_TAG = re.compile(r"^1\.(\d+)\.(\d+)$")
_PRERELEASE_TAG = re.compile(r"^1\.(\d+)\.0-(alpha|beta|rc)\.\d+$")
_PROFILE = re.compile(r"^compatibility-version-(\d+\.\d+)\.yaml$")
_PROFILE_DIR = "manifests/helm-profiles"
_CNI_VALUES = "manifests/charts/istio-cni/values.yaml"
_NOTES_DIR = "releasenotes/notes"
# env.Register("NAME", default, ...), env.RegisterBoolVar("NAME", ...), env.Register[T]("NAME", ...), and
# istiod's registerAmbient("NAME", ambientDefault, sidecarDefault, ...) wrapper.
_REGISTER = re.compile(r'\b(?:env\.Register\w*|registerAmbient)(?:\[[^\]]*\])?\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*,\s*')
# istio-cni's viper parameters: registerBooleanParameter(constants.CNIConfGroupRead, false, ...) is read from
# the environment variable named by the constant's value upper-cased with '-' → '_' (CNI_CONF_GROUP_READ).
# The same call naming the flag through a Go constant: env.Register(EnableAlphaGatewayAPIName, false, ...).
_REGISTER_CONSTANT = re.compile(
    r"\b(?:env\.Register\w*|registerAmbient)(?:\[[^\]]*\])?\(\s*(?:\w+\.)?([A-Za-z_]\w*)\s*,\s*"
)
_FLAG_CONSTANT = re.compile(r'^\s*(?:const\s+)?(\w+)\s*(?:string\s*)?=\s*"([A-Z][A-Z0-9_]*)"', re.M)
_CNI_PARAMETER = re.compile(r"\bregister(?:String|Integer|Boolean)Parameter\(\s*constants\.(\w+)\s*,\s*")
_GO_STRING_CONSTANT = re.compile(r'^\s*(\w+)\s*=\s*"([^"]+)"', re.M)
_CNI_CONSTANTS = "cni/pkg/constants"
_GO_IDENTIFIER = re.compile(r"^(?:[a-z]\w*\.)?([A-Za-z_]\w*)$")


@dataclass(frozen=True)
class EnvFlag:
    name: str
    default: str  # the Go expression of the default, as written
    file: str


class IstioRepo:
    """One istio/istio repository on disk; every read names a tag."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._blobs: dict[str, str] = {}
        try:
            self._git("rev-parse", "--git-dir")
        except InputError:
            raise InputError("not a git repository", Location(str(self.path))) from None

    def _git(self, *args: str, stdin: str | None = None) -> str:
        try:
            done = subprocess.run(
                ["git", "-C", str(self.path), *args],
                input=stdin,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                check=False,
            )
        except OSError as error:
            raise InputError(f"cannot run git: {error.strerror}", Location(str(self.path))) from None
        if done.returncode == 1 and args[0] == "grep" and not done.stderr.strip():
            return ""  # git grep found nothing
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["failed"])[0]
            raise InputError(f"git {args[0]}: {first}", Location(str(self.path)))
        return done.stdout

    @cached_property
    def _all_tags(self) -> tuple[str, ...]:
        return tuple(self._git("tag", "--list").split())

    def release_tags(self, since: str | None = None, until: str | None = None) -> list[str]:
        """Release tags ascending; a minor without a release tag is represented by its newest pre-release."""
        releases: dict[tuple[int, int], list[str]] = {}
        previews: dict[int, list[str]] = {}
        for tag in self._all_tags:
            if match := _RELEASE_TAG.match(tag):
                releases.setdefault((int(match.group(1)), int(match.group(2))), []).append(tag)
            elif match := _PRERELEASE_TAG.match(tag):
                previews.setdefault(int(match.group(1)), []).append(tag)
        chosen = [tags[0] for tags in releases.values()]
        released_minors = {minor for minor, _ in releases}
        for minor, tags in previews.items():
            if minor not in released_minors:
                chosen.append(max(tags, key=lambda t: parse_version(t).as_packaging()))
        low = parse_version(since).as_packaging() if since else None
        high = parse_version(until).as_packaging(missing_patch=10**6) if until else None
        ordered = sorted(chosen, key=lambda t: parse_version(t).as_packaging())
        return [
            t
            for t in ordered
            if (low is None or _minor_floor(t) >= low) and (high is None or parse_version(t).as_packaging() <= high)
        ]

    def _tree(self, tag: str, *paths: str) -> list[tuple[str, str]]:
        """(path, blob id) of every file at ``tag`` below ``paths``."""
        listing = self._git("ls-tree", "-r", "--full-tree", tag, "--", *paths)
        entries = []
        for line in listing.splitlines():
            meta, _, path = line.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob":
                entries.append((path, parts[2]))
        return entries

    def _read_blobs(self, blob_ids: Iterable[str]) -> None:
        wanted = [b for b in dict.fromkeys(blob_ids) if b not in self._blobs]
        if not wanted:
            return
        done = subprocess.run(
            ["git", "-C", str(self.path), "cat-file", "--batch"],
            input="\n".join(wanted).encode() + b"\n",
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise InputError("git cat-file failed", Location(str(self.path)))
        data = done.stdout
        position = 0
        for blob in wanted:
            header_end = data.index(b"\n", position)
            header = data[position:header_end].split()
            if len(header) < 3 or header[1] != b"blob":
                raise InputError(f"git cat-file: {blob} is not a blob", Location(str(self.path)))
            size = int(header[2])
            start = header_end + 1
            self._blobs[blob] = data[start : start + size].decode("utf-8", errors="replace")
            position = start + size + 1

    def _files(self, tag: str, *paths: str, suffix: str = "") -> Iterator[tuple[str, str]]:
        entries = [(p, b) for p, b in self._tree(tag, *paths) if p.endswith(suffix)]
        self._read_blobs(b for _, b in entries)
        for path, blob in entries:
            yield path, self._blobs[blob]

    def env_flags(self, tag: str) -> dict[str, EnvFlag]:
        """Every env flag registered by non-test Go code at ``tag`` (vendored and test helpers excluded)."""
        files = self._git("grep", "-l", "-F", "env.Register", tag, "--", "*.go").splitlines()
        paths = sorted(
            {
                path
                for path in (line.split(":", 1)[1] for line in files)
                if not path.endswith("_test.go") and not path.startswith(("vendor/", "pkg/test/", "tests/"))
            }
        )
        flags: dict[str, EnvFlag] = {}
        if not paths:
            return flags
        texts = list(self._files(tag, *paths))
        constants = {name: value for _, text in texts for name, value in _FLAG_CONSTANT.findall(text)}
        for path, text in texts:
            for match in _REGISTER.finditer(text):
                flags.setdefault(match.group(1), EnvFlag(match.group(1), _go_argument(text, match.end()), path))
            for match in _REGISTER_CONSTANT.finditer(text):
                name = constants.get(match.group(1))
                if name is not None:
                    flags.setdefault(name, EnvFlag(name, _go_argument(text, match.end()), path))
        for flag in self._cni_parameters(tag):
            flags.setdefault(flag.name, flag)
        return flags

    def _cni_parameters(self, tag: str) -> list[EnvFlag]:
        hits = self._git("grep", "-l", "-E", r"register(String|Integer|Boolean)Parameter\(", tag, "--", "cni/*.go")
        paths = [line.split(":", 1)[1] for line in hits.splitlines() if not line.endswith("_test.go")]
        constants = {
            name: value
            for _, text in self._files(tag, _CNI_CONSTANTS, suffix=".go")
            for name, value in _GO_STRING_CONSTANT.findall(text)
        }
        found = []
        for path, text in self._files(tag, *paths):
            for match in _CNI_PARAMETER.finditer(text):
                if match.group(1) in constants:
                    name = constants[match.group(1)].upper().replace("-", "_")
                    found.append(EnvFlag(name, _go_argument(text, match.end()), path))
        return found

    def go_constant(self, tag: str, expression: str) -> str | None:
        """The literal a Go identifier (``constants.IstioSystemNamespace`` or a bare name) is defined as at
        ``tag``, when non-test, non-vendored code defines it exactly one way; ``None`` otherwise."""
        match = _GO_IDENTIFIER.match(expression)
        if match is None:
            return None
        name = match.group(1)
        pattern = rf"^\s*(const\s+)?{name}\s*(\w+\s*)?=\s*(\"[^\"]*\"|[0-9][0-9.]*|true|false)\s*(//.*)?$"
        hits = self._git("grep", "-E", pattern, tag, "--", "*.go", ":!vendor", ":!*_test.go")
        values = {
            found.group(1)
            for line in hits.splitlines()
            if (found := re.search(r"=\s*(\"[^\"]*\"|[0-9][0-9.]*|true|false)", line.split(":", 2)[-1]))
        }
        return values.pop() if len(values) == 1 else None

    def go_module_version(self, tag: str, module: str) -> str | None:
        """The version of a Go module that ``go.mod`` requires at ``tag``."""
        if not self._tree(tag, "go.mod"):
            return None  # no Go module at this tag, so it requires none
        pattern = re.compile(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", re.M)
        match = pattern.search(self._git("show", f"{tag}:go.mod"))
        return match.group(1) if match else None

    def mentions_flag(self, revision: str, flag: str) -> bool:
        """Does non-test Go code at ``revision`` (of a library's own repository) name the env flag?"""
        hits = self._git("grep", "-l", "-F", f'"{flag}"', revision, "--", "*.go")
        return any(not line.endswith("_test.go") for line in hits.splitlines())

    def compatibility_profiles(self, tag: str) -> dict[str, dict[str, Any]]:
        """compatibilityVersion → the profile's settings as dotted keys, at ``tag``."""
        profiles: dict[str, dict[str, Any]] = {}
        for path, text in self._files(tag, _PROFILE_DIR, suffix=".yaml"):
            match = _PROFILE.match(path.rsplit("/", 1)[-1])
            if match is None:
                continue
            data = yaml.load(text, Loader=yaml.CSafeLoader) or {}
            profiles[match.group(1)] = dict(flatten(data)) if isinstance(data, Mapping) else {}
        return dict(sorted(profiles.items(), key=lambda item: parse_version(item[0]).minor_key))

    def cni_values(self, tag: str) -> dict[str, Any]:
        """The istio-cni chart's default values at ``tag`` as dotted keys (empty before the chart existed)."""
        texts = [text for path, text in self._files(tag, _CNI_VALUES) if path == _CNI_VALUES]
        if not texts:
            return {}
        data = yaml.load(texts[0], Loader=yaml.CSafeLoader) or {}
        if not isinstance(data, Mapping):
            return {}
        data = data.get("_internal_defaults_do_not_set", data)
        cni = data.get("cni", data) if "cni" in data and isinstance(data.get("cni"), Mapping) else data
        return dict(flatten(cni))

    def release_note_files(self, tag: str) -> dict[str, str]:
        """Release-note path → its text, at ``tag``."""
        return dict(self._files(tag, _NOTES_DIR, suffix=".yaml"))

    def release_notes_added(self, tag: str, previous: str | None) -> dict[str, str]:
        """Release-note path → its text, for the note files ``tag`` has and ``previous`` has not.

        Every file counts, whatever its name ends with: upstream has ``.yml`` notes, a ``.yamml`` one and
        some with no extension. Only the new files' contents are read, so walking every tag stays cheap.
        """
        before = {path for path, _ in self._tree(previous, _NOTES_DIR)} if previous else set()
        added = [(p, b) for p, b in self._tree(tag, _NOTES_DIR) if p not in before]
        self._read_blobs(b for _, b in added)
        return {path: self._blobs[blob] for path, blob in added}


def flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``{"a": {"b": 1}}`` → ``("a.b", 1)``; lists and scalars are leaves."""
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from flatten(value, dotted + ".")
        else:
            yield dotted, value


def _minor_floor(tag: str) -> Any:
    version = parse_version(tag)
    return parse_version(version.minor_text).as_packaging()


def _go_argument(text: str, start: int) -> str:
    """The Go expression starting at ``start`` up to the next top-level comma or closing parenthesis."""
    depth = 0
    quote: str | None = None
    position = start
    while position < len(text):
        char = text[position]
        if quote:
            if char == "\\" and quote != "`":
                position += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"'`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif char == "," and depth == 0:
            break
        position += 1
    return " ".join(text[start:position].split())


def version_of_tag(tag: str) -> str:
    try:
        return str(parse_version(tag))
    except VersionError:
        return tag


_API_MODULE = re.compile(r"^\s*istio\.io/api\s+(\S+)\s*$", re.M)
_PSEUDO_VERSION_COMMIT = re.compile(r"-([0-9a-f]{12})$")
_MESH_PROTOS = ("mesh/v1alpha1/config.proto", "mesh/v1alpha1/proxy.proto", "mesh/v1alpha1/network.proto")
_PROTO_TOKEN = re.compile(
    r"(?P<open>\b(?:message|enum|oneof)\s+(?P<name>\w+)\s*\{)"
    r"|(?P<field>(?:repeated\s+|optional\s+)?(?P<type>map\s*<[^>]*>|[\w.]+)\s+(?P<field_name>\w+)\s*=\s*\d+)"
    r"|(?P<close>\})"
    r"|(?P<other>\{)"
)


class MeshConfigSchema:
    """The MeshConfig fields of the istio.io/api version one istio/istio tag builds with.

    ``has("defaultConfig.tracing.zipkin.address")`` walks the proto messages by the
    JSON (lowerCamel) names of their fields; a map field accepts any key below it.
    """

    def __init__(self, protos: Iterable[str]) -> None:
        self._messages: dict[str, dict[str, str]] = {}
        for text in protos:
            self._parse(re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S))

    def _parse(self, text: str) -> None:
        stack: list[tuple[str, str]] = []  # (kind, dotted message name)
        for match in _PROTO_TOKEN.finditer(text):
            if match.group("open"):
                kind = match.group(0).split()[0]
                parent = next((name for k, name in reversed(stack) if k == "message"), "")
                if kind == "message":
                    name = f"{parent}.{match.group('name')}" if parent else match.group("name")
                    self._messages.setdefault(name, {})
                    stack.append(("message", name))
                else:
                    stack.append((kind, parent))
            elif match.group("close") or match.group("other"):
                if match.group("close") and stack:
                    stack.pop()
                elif match.group("other"):
                    stack.append(("block", stack[-1][1] if stack else ""))
            elif match.group("field") and stack and stack[-1][0] in ("message", "oneof"):
                owner = stack[-1][1]
                if owner:
                    self._messages[owner][match.group("field_name")] = match.group("type")

    def _resolve(self, type_name: str, scope: str) -> str | None:
        simple = type_name.split(".")[-1]
        parts = scope.split(".")
        while parts:
            candidate = ".".join([*parts, simple])
            if candidate in self._messages:
                return candidate
            parts.pop()
        return simple if simple in self._messages else None

    def has(self, dotted: str) -> bool:
        message = "MeshConfig"
        for segment in dotted.split("."):
            fields = self._messages.get(message)
            if fields is None:
                return False
            type_name = fields.get(_snake(segment))
            if type_name is None:
                return False
            if type_name.replace(" ", "").startswith("map<"):
                return True
            resolved = self._resolve(type_name, message)
            if resolved is None:
                return segment == dotted.split(".")[-1]  # a scalar or well-known type ends the path
            message = resolved
        return True


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower()


def mesh_config_schema(istio: IstioRepo, api: IstioRepo, tag: str) -> MeshConfigSchema | None:
    """The MeshConfig schema of the istio.io/api commit (or tag) pinned in ``go.mod`` at ``tag``."""
    go_mod = istio._git("show", f"{tag}:go.mod")
    match = _API_MODULE.search(go_mod)
    if match is None:
        return None
    revision = _api_revision(api, match.group(1))
    if revision is None:
        return None
    protos = []
    for path in _MESH_PROTOS:
        try:
            protos.append(api._git("show", f"{revision}:{path}"))
        except InputError:
            continue
    return MeshConfigSchema(protos) if protos else None


def _api_revision(api: IstioRepo, module_version: str) -> str | None:
    """The istio/api commit a Go module version names; when the copy lacks it, the newest tag not after it."""
    pseudo = _PSEUDO_VERSION_COMMIT.search(module_version)
    if pseudo:
        try:
            api._git("cat-file", "-e", f"{pseudo.group(1)}^{{commit}}")
            return pseudo.group(1)
        except InputError:
            pass
    elif module_version in api._all_tags:
        return module_version
    # A pseudo-version v1.31.0-beta.0.0.<date>-<commit> is a commit after the tag v1.31.0-beta.0.
    base = re.sub(r"\.0\.\d{14}-[0-9a-f]{12}$|-0\.\d{14}-[0-9a-f]{12}$", "", module_version)
    try:
        limit = parse_version(base).as_packaging()
    except VersionError:
        return None
    earlier = []
    for tag in api._all_tags:
        try:
            version = parse_version(tag).as_packaging()
        except VersionError:
            continue
        if version <= limit and version.major >= 1:
            earlier.append((version, tag))
    return max(earlier)[1] if earlier else None
