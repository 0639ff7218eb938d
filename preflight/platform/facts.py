"""The platform facts file (``knowledge/platform/platform.yaml``), read and checked once.

A broken facts file is a ``KnowledgeBaseError`` naming the file and line; nothing is
guessed, so a gate never passes on facts it could not read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from preflight import safe_yaml
from preflight.errors import KnowledgeBaseError, Location, VersionError
from preflight.resources import bundled_dir
from preflight.versions import IstioVersion, parse_version


@dataclass(frozen=True)
class Release:
    minor: str
    released: date
    url: str


@dataclass(frozen=True)
class GatewayApiRule:
    since: IstioVersion
    version: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class PlatformFacts:
    source_file: str
    minimum_kubernetes: Mapping[str, tuple[int, int]]  # Istio minor -> Kubernetes (major, minor)
    kubernetes_source: str
    control_plane_ahead_max: int
    data_plane_ahead_max: int
    skew_source: str
    support_minors_after: int
    support_weeks_after: int
    support_source: str
    releases: Mapping[str, Release]
    gateway_api_group: str
    gateway_api_required: tuple[GatewayApiRule, ...]
    gateway_api_recommended: tuple[GatewayApiRule, ...]
    gateway_api_watched: Mapping[str, Mapping[str, str]]  # Istio minor -> kind -> version

    def watched_versions(self, minor: str) -> Mapping[str, str]:
        return self.gateway_api_watched.get(minor, {})


def default_facts_path() -> Path:
    return bundled_dir("knowledge") / "platform" / "platform.yaml"


@cache
def bundled_facts() -> PlatformFacts:
    return load_facts(default_facts_path())


def load_facts(path: Path) -> PlatformFacts:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise KnowledgeBaseError(f"cannot read platform facts: {error.strerror or error}", Location(name)) from None
    try:
        root = safe_yaml.compose(text)
        data = safe_yaml.load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise KnowledgeBaseError("platform facts are not valid YAML", Location(name, line)) from None
    return _Reader(name, root).facts(data)


class _Reader:
    """Turns the parsed file into ``PlatformFacts``, naming the line of whatever is wrong."""

    def __init__(self, name: str, root: yaml.Node | None) -> None:
        self.name = name
        self.root = root

    def fail(self, message: str, *path: str) -> KnowledgeBaseError:
        return KnowledgeBaseError(f"platform facts: {message}", Location(self.name, self._line(path)))

    def _line(self, path: tuple[str, ...]) -> int | None:
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for key in path:
            if not isinstance(node, yaml.MappingNode):
                break
            child = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if child is None:
                break
            node = child
            line = node.start_mark.line + 1
        return line

    def mapping(self, data: Any, *path: str) -> Mapping[str, Any]:
        value = data
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if not isinstance(value, Mapping):
            raise self.fail(f"'{'.'.join(path) or 'document'}' must be a mapping", *path)
        return value

    def text(self, data: Mapping[str, Any], key: str, *path: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(f"'{'.'.join((*path, key))}' must be a non-empty string", *path, key)
        return value

    def integer(self, data: Mapping[str, Any], key: str, *path: str) -> int:
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(f"'{'.'.join((*path, key))}' must be a non-negative integer", *path, key)
        return value

    def minor(self, text: Any, *path: str) -> str:
        try:
            version = parse_version(str(text))
        except VersionError:
            raise self.fail(f"'{text}' is not a minor version such as 1.24", *path) from None
        if version.patch is not None:
            raise self.fail(f"'{text}' must be a minor version without a patch", *path)
        return version.minor_text

    def facts(self, data: Any) -> PlatformFacts:
        self.mapping(data)
        if data.get("schema") != 1:
            raise self.fail("unsupported 'schema' (expected 1)", "schema")
        kubernetes = self.mapping(data, "kubernetes")
        minimum: dict[str, tuple[int, int]] = {}
        for istio, kube in self.mapping(data, "kubernetes", "minimum_minor").items():
            where = ("kubernetes", "minimum_minor", str(istio))
            kube_minor = parse_version(self.minor(kube, *where))
            minimum[self.minor(istio, *where)] = kube_minor.minor_key
        skew = self.mapping(data, "skew")
        support = self.mapping(data, "support")
        releases: dict[str, Release] = {}
        for minor, entry in self.mapping(data, "releases").items():
            release_where = ("releases", str(minor))
            entry = self.mapping(data, *release_where)
            released = entry.get("date")
            if not isinstance(released, date):
                raise self.fail(f"release {minor}: 'date' must be a date such as 2024-11-07", *release_where)
            key = self.minor(minor, *release_where)
            releases[key] = Release(key, released, self.text(entry, "url", *release_where))
        gateway = self.mapping(data, "gateway_api")
        watched: dict[str, Mapping[str, str]] = {}
        for minor in self.mapping(data, "gateway_api", "watched"):
            watched_where = ("gateway_api", "watched", str(minor))
            kinds_map = self.mapping(data, *watched_where)
            watched[self.minor(minor, *watched_where)] = {str(k): str(v) for k, v in kinds_map.items()}
        return PlatformFacts(
            source_file=self.name,
            minimum_kubernetes=minimum,
            kubernetes_source=self.text(kubernetes, "source", "kubernetes"),
            control_plane_ahead_max=self.integer(skew, "control_plane_ahead_max", "skew"),
            data_plane_ahead_max=self.integer(skew, "data_plane_ahead_max", "skew"),
            skew_source=self.text(skew, "source", "skew"),
            support_minors_after=self.integer(support, "minors_after", "support"),
            support_weeks_after=self.integer(support, "weeks_after", "support"),
            support_source=self.text(support, "source", "support"),
            releases=releases,
            gateway_api_group=self.text(gateway, "group", "gateway_api"),
            gateway_api_required=self.rules(gateway, "required"),
            gateway_api_recommended=self.rules(gateway, "recommended"),
            gateway_api_watched=watched,
        )

    def rules(self, gateway: Mapping[str, Any], key: str) -> tuple[GatewayApiRule, ...]:
        items = gateway.get(key)
        if not isinstance(items, list):
            raise self.fail(f"'gateway_api.{key}' must be a list", "gateway_api", key)
        rules: list[GatewayApiRule] = []
        for item in items:
            if not isinstance(item, Mapping) or not isinstance(item.get("kinds"), list):
                raise self.fail(f"'gateway_api.{key}' entries need since, version and kinds", "gateway_api", key)
            since = parse_version(self.minor(item.get("since"), "gateway_api", key))
            version = self.text(item, "version", "gateway_api", key)
            rules.append(GatewayApiRule(since, version, tuple(str(k) for k in item["kinds"])))
        return tuple(rules)
