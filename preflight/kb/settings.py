"""In which Istio versions each setting a mitigation names exists.

The facts live in ``knowledge/settings/lifetimes.yaml``, generated from an istio/istio
repository (and istio/api, for meshConfig fields) by ``build_lifetimes`` — never typed
by hand. Four kinds of setting are tracked:

* ``env``: an environment flag some Istio component registers (istiod, the proxy agent,
  istio-cni);
* ``mesh_config``: a dotted meshConfig key; ``defaultConfig.proxyMetadata.FLAG`` exists while
  the flag ``FLAG`` does, any other key while istio/api's MeshConfig has it;
* ``install_values``: an istio-cni chart value (``cni.`` is the IstioOperator spelling
  of the same value; ``env.FLAG`` lives as long as the flag);
* ``profiles``: a ``compatibilityVersion`` profile, with what it sets at each tag.

A version is looked up by its own tag; a patch newer than every tag read is taken to
be like the newest tag of its minor, and a minor given without a patch means its
newest tag (as ``--to`` does). A minor with no tag at all is unknown (``None``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

from preflight.errors import InputError, KnowledgeBaseError, Location
from preflight.kb.istio_source import IstioRepo, MeshConfigSchema, mesh_config_schema
from preflight.resources import bundled_dir
from preflight.versions import IstioVersion, parse_version

KINDS = ("env", "mesh_config", "install_values", "profiles")
_FLAG = re.compile(r"^[A-Z][A-Z0-9_]+$")
_PROXY_METADATA = "defaultConfig.proxyMetadata."  # what proxies read; a top-level proxyMetadata is no field
# Env flags read by a Go library Istio links, not registered by Istio itself: the flag exists at a tag when
# go.mod requires the module and that module version's own source reads the flag. Which library reads which
# flag is what the release notes say: 1.24 releasenotes/notes (istio-csr ALPN, grpc-go's enforcement) and 1.29
# releasenotes/notes/gomemlimit-90-percent.yaml (the automemlimit library).
LIBRARY_FLAGS: Mapping[str, str] = {
    "GRPC_ENFORCE_ALPN_ENABLED": "google.golang.org/grpc",
    "AUTOMEMLIMIT": "github.com/KimMachineGun/automemlimit",
}

Ranges = tuple[tuple[str, str], ...]  # inclusive (first tag, last tag) runs over ``tags``


@dataclass(frozen=True)
class ProfileHistory:
    exists: Ranges
    settings: Mapping[str, tuple[tuple[str, str, Any], ...]]  # key → (first, last, value) runs


@dataclass(frozen=True)
class SettingLifetimes:
    tags: tuple[str, ...]
    settings: Mapping[str, Mapping[str, Ranges]]  # kind → name → ranges; kind "profiles" excluded
    profiles: Mapping[str, ProfileHistory] = field(default_factory=dict)
    env_defaults: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)  # from tag on

    # Parsed once: the engine asks about the same few tags for every entry and revision.
    @cached_property
    def _index(self) -> Mapping[str, int]:
        return {tag: position for position, tag in enumerate(self.tags)}

    @cached_property
    def _by_minor(self) -> Mapping[tuple[int, int], tuple[tuple[Any, str], ...]]:
        grouped: dict[tuple[int, int], list[tuple[Any, str]]] = {}
        for tag in self.tags:
            version = parse_version(tag)
            grouped.setdefault(version.minor_key, []).append((version.as_packaging(), tag))
        return {minor: tuple(tags) for minor, tags in grouped.items()}

    def tag_for(self, version: IstioVersion) -> str | None:
        same_minor = self._by_minor.get(version.minor_key)
        if not same_minor:
            return None
        if version.patch is None:
            return same_minor[-1][1]
        wanted = version.as_packaging()
        earlier = [tag for packaged, tag in same_minor if packaged <= wanted]
        return earlier[-1] if earlier else same_minor[0][1]

    def knows(self, kind: str, name: str) -> bool:
        if kind == "profiles":
            return name in self.profiles
        return name in self.settings.get(kind, {})

    def exists(self, kind: str, name: str, version: IstioVersion) -> bool | None:
        """Does the setting exist at ``version``? ``None`` when the data cannot tell."""
        tag = self.tag_for(version)
        if tag is None or not self.knows(kind, name):
            return None
        ranges = self.profiles[name].exists if kind == "profiles" else self.settings[kind][name]
        return self._within(tag, ranges)

    def last_with(self, kind: str, name: str, version: IstioVersion) -> str | None:
        """The newest version before ``version`` that has the setting, as a minor (or a tag when the
        setting went away within a minor line)."""
        tag = self.tag_for(version)
        if tag is None or not self.knows(kind, name):
            return None
        ranges = self.profiles[name].exists if kind == "profiles" else self.settings[kind][name]
        index = self._index[tag]
        for earlier in reversed(self.tags[:index]):
            if self._within(earlier, ranges):
                newest_of_minor = self.tag_for(parse_version(parse_version(earlier).minor_text))
                return parse_version(earlier).minor_text if earlier == newest_of_minor else earlier
        return None

    def first_with(self, kind: str, name: str) -> str | None:
        if not self.knows(kind, name):
            return None
        ranges = self.profiles[name].exists if kind == "profiles" else self.settings[kind][name]
        return ranges[0][0] if ranges else None

    def profile_settings(self, profile: str, version: IstioVersion) -> Mapping[str, Any] | None:
        """What the ``compatibilityVersion`` profile sets at ``version``; ``None`` when not shipped there."""
        if not self.exists("profiles", profile, version):
            return None
        tag = self.tag_for(version)
        assert tag is not None  # exists() found one
        history = self.profiles[profile]
        found: dict[str, Any] = {}
        for key, runs in history.settings.items():
            for first, last, value in runs:
                if self._within(tag, ((first, last),)):
                    found[key] = value
        return found

    def shipped_profiles(self, version: IstioVersion) -> tuple[str, ...]:
        return tuple(p for p in self.profiles if self.exists("profiles", p, version))

    def _within(self, tag: str, ranges: Ranges) -> bool:
        index = self._index[tag]
        return any(self._index[first] <= index <= self._index[last] for first, last in ranges)


def lifetimes_file() -> Path:
    return bundled_dir("knowledge") / "settings" / "lifetimes.yaml"


@cache
def bundled_lifetimes() -> SettingLifetimes:
    return load_lifetimes(lifetimes_file())


def load_lifetimes(path: Path) -> SettingLifetimes:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except OSError as error:
        raise KnowledgeBaseError(f"cannot read the setting lifetimes: {error.strerror}", Location(str(path))) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        raise KnowledgeBaseError(
            f"invalid YAML: {error.problem}", Location(str(path), mark.line + 1 if mark else None)
        ) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("tags"), list):
        raise KnowledgeBaseError("expected a mapping with 'tags'", Location(str(path), 1))
    tags = tuple(str(t) for t in data["tags"])
    settings = {
        kind: {str(name): _ranges(item["exists"]) for name, item in (data.get(kind) or {}).items()}
        for kind in KINDS
        if kind != "profiles"
    }
    profiles = {
        str(name): ProfileHistory(
            _ranges(item["exists"]),
            {
                str(key): tuple((str(first), str(last), value) for first, last, value in runs)
                for key, runs in (item.get("settings") or {}).items()
            },
        )
        for name, item in (data.get("profiles") or {}).items()
    }
    defaults = {
        str(name): tuple((str(tag), str(value)) for tag, value in item.get("defaults") or [])
        for name, item in (data.get("env") or {}).items()
    }
    return SettingLifetimes(tags, settings, profiles, defaults)


def _ranges(raw: Iterable[Sequence[Any]]) -> Ranges:
    return tuple((str(first), str(last)) for first, last in raw)


# --- generation -------------------------------------------------------------------------------------------


@dataclass
class NamedSettings:
    """The settings whose lifetimes are wanted, by kind."""

    env: set[str] = field(default_factory=set)
    mesh_config: set[str] = field(default_factory=set)
    install_values: set[str] = field(default_factory=set)


def env_flag_of(kind: str, name: str) -> str | None:
    """The env flag behind a mesh_config or install value key, when it is one."""
    if kind == "env":
        return name
    if kind == "mesh_config" and name.startswith(_PROXY_METADATA):
        return name.removeprefix(_PROXY_METADATA)
    if kind == "install_values":
        key = name.removeprefix("cni.")
        if key.startswith("env."):
            return key.removeprefix("env.")
    return None


def profile_key_kind(key: str) -> tuple[str, str] | None:
    """A profile's dotted key as (kind, setting name): ``pilot.env.X`` → ("env", "X")."""
    if key.startswith("pilot.env."):
        return "env", key.removeprefix("pilot.env.")
    if key.startswith("meshConfig."):
        return "mesh_config", key.removeprefix("meshConfig.")
    if key.startswith(("ambient.", "cni.", "env.")):
        return "install_values", key
    return None


def build_lifetimes(
    istio: IstioRepo,
    named: NamedSettings,
    api: IstioRepo | None = None,
    since: str | None = None,
    until: str | None = None,
    modules: Mapping[str, IstioRepo] | None = None,
) -> dict[str, Any]:
    """Read every release tag and return the data of ``lifetimes.yaml`` for ``named`` and every profile.

    ``modules`` maps a Go module path (``google.golang.org/grpc``) to a clone of it, to read
    ``LIBRARY_FLAGS`` at the version each tag pins; without one, such a flag counts while
    the module is required.
    """
    tags = istio.release_tags(since, until)
    if not tags:
        raise KnowledgeBaseError("no release tags in range", Location(str(istio.path)))
    env_at: dict[str, dict[str, str]] = {}
    profiles_at: dict[str, dict[str, dict[str, Any]]] = {}
    cni_at: dict[str, set[str]] = {}
    schemas: dict[str, MeshConfigSchema | None] = {}
    for tag in tags:
        env_at[tag] = {name: flag.default for name, flag in istio.env_flags(tag).items()}
        profiles_at[tag] = istio.compatibility_profiles(tag)
        cni_at[tag] = set(istio.cni_values(tag))
        if api is not None:
            schemas[tag] = mesh_config_schema(istio, api, tag)
    wanted = NamedSettings(set(named.env), set(named.mesh_config), set(named.install_values))
    for profiles in profiles_at.values():
        for settings in profiles.values():
            for key in settings:
                kind_name = profile_key_kind(key)
                if kind_name is not None:
                    getattr(wanted, kind_name[0]).add(kind_name[1])

    library_seen: dict[tuple[str, str], bool] = {}

    def library_flag(flag: str, tag: str) -> bool:
        module = LIBRARY_FLAGS[flag]
        version = istio.go_module_version(tag, module)
        if version is None:
            return False
        clone = (modules or {}).get(module)
        if clone is None:
            return True
        key = (flag, version)
        if key not in library_seen:
            try:
                library_seen[key] = clone.mentions_flag(version, flag)
            except InputError:  # the clone lacks that version: fall back to the module being required
                library_seen[key] = True
        return library_seen[key]

    def exists(kind: str, name: str, tag: str) -> bool:
        flag = env_flag_of(kind, name)
        if flag is not None and flag in LIBRARY_FLAGS:
            return library_flag(flag, tag)
        if flag is not None:
            return flag in env_at[tag]
        if kind == "mesh_config":
            schema = schemas.get(tag)
            return schema is not None and schema.has(name)
        return name.removeprefix("cni.") in cni_at[tag]

    data: dict[str, Any] = {"tags": tags}
    for kind in ("env", "mesh_config", "install_values"):
        section: dict[str, Any] = {}
        for name in sorted(getattr(wanted, kind)):
            item: dict[str, Any] = {"exists": _runs(tags, [exists(kind, name, t) for t in tags])}
            if kind == "env":
                item["defaults"] = _changes(tags, [env_at[t].get(name) for t in tags])
            section[name] = item
        data[kind] = section
    profile_names = sorted({p for at in profiles_at.values() for p in at}, key=lambda p: parse_version(p).minor_key)
    data["profiles"] = {
        name: {
            "exists": _runs(tags, [name in profiles_at[t] for t in tags]),
            "settings": {
                key: _value_runs(tags, [profiles_at[t].get(name, {}).get(key, _ABSENT) for t in tags])
                for key in sorted({k for at in profiles_at.values() for k in at.get(name, {})})
            },
        }
        for name in profile_names
    }
    return data


_ABSENT = object()


def _runs(tags: Sequence[str], present: Sequence[bool]) -> list[list[str]]:
    runs: list[list[str]] = []
    for tag, here, before in zip(tags, present, [False, *present[:-1]], strict=True):
        if here and not before:
            runs.append([tag, tag])
        elif here:
            runs[-1][1] = tag
    return runs


def _value_runs(tags: Sequence[str], values: Sequence[Any]) -> list[list[Any]]:
    runs: list[list[Any]] = []
    previous: Any = _ABSENT
    for tag, value in zip(tags, values, strict=True):
        if value is _ABSENT:
            previous = _ABSENT
            continue
        if previous is not _ABSENT and value == previous:
            runs[-1][1] = tag
        else:
            runs.append([tag, tag, value])
        previous = value
    return runs


def _changes(tags: Sequence[str], values: Sequence[str | None]) -> list[list[str]]:
    changes: list[list[str]] = []
    previous: str | None = None
    for tag, value in zip(tags, values, strict=True):
        if value is not None and value != previous:
            changes.append([tag, value])
        previous = value
    return changes


def named_by_mitigations(entries: Iterable[Any]) -> NamedSettings:
    """Every setting the entries' mitigations name, plus flag names their ``upstream.settings`` cite."""
    named = NamedSettings()
    for entry in entries:
        mitigation = entry.mitigation
        named.env.update(mitigation.env)
        named.mesh_config.update(mitigation.mesh_config)
        named.install_values.update(mitigation.install_values)
        named.env.update(s for s in entry.upstream.settings if _FLAG.match(s))
    return named


def dump_lifetimes(data: Mapping[str, Any], source: str) -> str:
    header = (
        "# Generated from istio/istio (and istio/api for meshConfig fields) by\n"
        f"#   {source}\n"
        "# Do not edit by hand: regenerate. Ranges are inclusive runs over `tags`.\n"
    )
    return header + yaml.dump(dict(data), Dumper=yaml.CSafeDumper, sort_keys=False, width=120, default_flow_style=None)
