"""PeerAuthentication: which mutual-TLS mode a workload's proxy accepts on a port.

* Levels, from widest to narrowest: mesh (a policy in the root namespace without a
  selector), namespace (a policy without a selector in the workload's namespace),
  workload (a policy whose selector matches the workload's labels; one in the root
  namespace matches workloads of every namespace), and port (``portLevelMtls`` of a
  workload-level policy; ignored on policies without a selector).
* Within one level the oldest policy (``creationTimestamp``, then name) wins, as istiod
  resolves conflicting policies.
* ``UNSET`` (or no ``mtls``) inherits the mode of the level above; with nothing set the
  mesh default is ``PERMISSIVE``.
* ``portLevelMtls`` keys are the port the workload itself listens on (a Service's
  ``targetPort``), not the Service port.
* ``STRICT`` accepts only mutual TLS, ``PERMISSIVE`` accepts both (a plaintext caller
  then has no peer identity), ``DISABLE`` accepts only plaintext.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from preflight.istio.control_plane import ControlPlane
from preflight.istio.scoping import Scope
from preflight.istio.selectors import workload_selector_labels
from preflight.snapshot.interface import K8sObject, ObjectRef, Workload, mapping_at
from preflight.snapshot.model import Snapshot


class MtlsMode(StrEnum):
    STRICT = "STRICT"
    PERMISSIVE = "PERMISSIVE"
    DISABLE = "DISABLE"

    def __str__(self) -> str:
        return self.value


DEFAULT_MODE = MtlsMode.PERMISSIVE


@dataclass(frozen=True, slots=True)
class MtlsSetting:
    """The mode a workload accepts on one port, and the policy and level that set it."""

    mode: MtlsMode
    level: str  # "default", "mesh", "namespace", "workload" or "port"
    policy: str | None = None  # "namespace/name" of the deciding PeerAuthentication
    port: int | None = None

    @property
    def reason(self) -> str:
        if self.policy is None:
            return f"no PeerAuthentication applies: mesh default {self.mode}"
        where = f" on port {self.port}" if self.level == "port" and self.port is not None else ""
        return f"PeerAuthentication {self.policy} ({self.level} level) sets {self.mode}{where}"


def _mode_of(mtls: Any) -> MtlsMode | None:
    """The mode a ``mtls`` block sets; ``None`` for ``UNSET``, missing or unreadable."""
    if not isinstance(mtls, Mapping):
        return None
    mode = str(mtls.get("mode") or "").upper()
    return MtlsMode(mode) if mode in MtlsMode.__members__ else None


def _age_key(policy: K8sObject) -> tuple[str, str, str]:
    # An object without creationTimestamp (a GitOps manifest) sorts after dated ones.
    return (policy.creation_timestamp or "\uffff", policy.namespace, policy.name)


def _policy_name(policy: K8sObject) -> str:
    return f"{policy.namespace}/{policy.name}"


class PeerAuthentications:
    """The PeerAuthentication policies of a snapshot, indexed once by level."""

    def __init__(self, snapshot: Snapshot, control_plane: ControlPlane, scope: Scope) -> None:
        self.snapshot = snapshot
        self.root_namespace = control_plane.root_namespace
        self.scope = scope
        self._level_settings: dict[tuple[str, int], MtlsSetting] = {}
        self._port_level_modes: dict[int, Mapping[int, MtlsMode | None]] = {}

    @cached_property
    def _mesh(self) -> K8sObject | None:
        candidates = [
            p
            for p in self.snapshot.objects_in("PeerAuthentication", self.root_namespace)
            if workload_selector_labels(p.spec) is None
        ]
        return min(candidates, key=_age_key) if candidates else None

    @cached_property
    def _by_namespace(self) -> Mapping[str, K8sObject]:
        grouped: dict[str, list[K8sObject]] = defaultdict(list)
        for policy in self.snapshot.of_kind("PeerAuthentication"):
            if workload_selector_labels(policy.spec) is None and policy.namespace != self.root_namespace:
                grouped[policy.namespace].append(policy)
        return {namespace: min(items, key=_age_key) for namespace, items in grouped.items()}

    @cached_property
    def _by_workload(self) -> Mapping[ObjectRef, K8sObject]:
        grouped: dict[ObjectRef, list[K8sObject]] = defaultdict(list)
        for policy in self.snapshot.of_kind("PeerAuthentication"):
            if workload_selector_labels(policy.spec) is None:
                continue
            for workload in self.scope.workloads_for(policy):
                grouped[workload.ref].append(policy)
        return {ref: min(items, key=_age_key) for ref, items in grouped.items()}

    def policy_for(self, workload: Workload) -> K8sObject | None:
        """The workload-level policy that applies to the workload, if any."""
        return self._by_workload.get(workload.ref)

    def setting_for(self, workload: Workload, port: int | None) -> MtlsSetting:
        """The mode the workload accepts on ``port`` (its own listening port; ``None`` when unknown)."""
        workload_policy = self._by_workload.get(workload.ref)
        if workload_policy is not None and port is not None:
            port_mode = self._port_modes(workload_policy).get(port)
            if port_mode is not None:
                return MtlsSetting(port_mode, "port", _policy_name(workload_policy), port)
        return self._level_setting(workload.namespace, workload_policy)

    def _level_setting(self, namespace: str, workload_policy: K8sObject | None) -> MtlsSetting:
        # Workloads of a namespace share the mesh and namespace levels, and often their workload policy.
        key = (namespace, id(workload_policy))  # policies are held by the snapshot: ids are stable
        setting = self._level_settings.get(key)
        if setting is None:
            setting = MtlsSetting(DEFAULT_MODE, "default")
            levels: list[tuple[str, K8sObject | None]] = [
                ("mesh", self._mesh),
                ("namespace", self._by_namespace.get(namespace)),
                ("workload", workload_policy),
            ]
            for level, policy in levels:
                if policy is None:
                    continue
                mode = _mode_of(policy.spec.get("mtls"))
                if mode is not None:
                    setting = MtlsSetting(mode, level, _policy_name(policy))
            self._level_settings[key] = setting
        return setting

    def _port_modes(self, policy: K8sObject) -> Mapping[int, MtlsMode | None]:
        modes = self._port_level_modes.get(id(policy))
        if modes is None:
            modes = self._port_level_modes[id(policy)] = {
                port: _mode_of(value) for port, value in _port_level(policy).items()
            }
        return modes


def _port_level(policy: K8sObject) -> Mapping[int, Any]:
    """``portLevelMtls`` by port number; keys that are not numbers are skipped, as istiod rejects them."""
    found: dict[int, Any] = {}
    for key, value in mapping_at(policy.spec, "portLevelMtls").items():
        try:
            found[int(key)] = value
        except (TypeError, ValueError):
            continue
    return found
