"""The control plane a snapshot shows: istiod revisions, their flags and mesh config.

Sources, in the order they win for a revision:

1. the istiod Deployment itself (container ``discovery`` env, image tag) and the mesh
   ConfigMap ``istio`` / ``istio-<rev>`` in its namespace (``data.mesh``), i.e. what runs;
2. install inputs: ``IstioOperator`` (``spec.values.pilot.env``,
   ``spec.components.pilot.k8s.env``, ``spec.meshConfig``, ``spec.values.compatibilityVersion``)
   and Helm values (``HelmValues`` documents: ``pilot.env``, ``meshConfig``,
   ``compatibilityVersion``), which fill what the running objects do not show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from preflight import safe_yaml
from preflight.errors import InputError, Location, VersionError
from preflight.snapshot.interface import K8sObject, ObjectRef, dig, list_at, mapping_at
from preflight.snapshot.model import Snapshot
from preflight.versions import IstioVersion, parse_version, version_from_image

DEFAULT_ROOT_NAMESPACE = "istio-system"
DEFAULT_TRUST_DOMAIN = "cluster.local"
HELM_VALUES_KIND = "HelmValues"


@dataclass(frozen=True)
class Revision:
    name: str  # "default" for the unnamed revision
    namespace: str
    deployment: ObjectRef | None = None
    image: str | None = None
    version: IstioVersion | None = None
    env: Mapping[str, str | None] = field(default_factory=dict)  # None: set from a secret or field ref
    mesh_config: Mapping[str, Any] = field(default_factory=dict)
    mesh_config_source: ObjectRef | None = None
    compatibility_version: str | None = None
    install_sources: tuple[ObjectRef, ...] = ()

    @property
    def env_origin(self) -> ObjectRef | None:
        """Where this revision's istiod flags are seen: the running Deployment, else the install input."""
        return self.deployment or (self.install_sources[0] if self.install_sources else None)

    @property
    def mesh_config_origin(self) -> ObjectRef | None:
        """Where this revision's mesh config is seen: its ConfigMap, else what installs or runs istiod."""
        return self.mesh_config_source or self.env_origin

    def mesh_value(self, dotted: str) -> Any:
        return dig(self.mesh_config, *dotted.split("."))

    def has_mesh_key(self, dotted: str) -> bool:
        parent = dig(self.mesh_config, *dotted.split(".")[:-1]) if "." in dotted else self.mesh_config
        return isinstance(parent, Mapping) and dotted.split(".")[-1] in parent


@dataclass(frozen=True)
class ControlPlane:
    revisions: tuple[Revision, ...]
    root_namespace: str = DEFAULT_ROOT_NAMESPACE
    trust_domain: str = DEFAULT_TRUST_DOMAIN
    notes: tuple[str, ...] = ()  # how install inputs were read where they were ambiguous

    def revision(self, name: str) -> Revision | None:
        return next((r for r in self.revisions if r.name == name), None)

    @property
    def mesh_config(self) -> Mapping[str, Any]:
        """The default revision's mesh config (or the only one's)."""
        chosen = self.revision("default") or (self.revisions[0] if self.revisions else None)
        return chosen.mesh_config if chosen else {}

    def detected_version(self) -> tuple[IstioVersion | None, str]:
        """The oldest running istiod version, with a sentence saying how it was found."""
        versioned = [r for r in self.revisions if r.version is not None]
        if not versioned:
            return None, "no istiod with a versioned image tag in the snapshot"
        oldest = min(versioned, key=lambda r: r.version.as_packaging() if r.version else None)  # type: ignore[arg-type,return-value]
        if len({str(r.version) for r in versioned}) == 1 and len(versioned) == 1:
            return oldest.version, f"from istiod revision '{oldest.name}' image {oldest.image}"
        others = ", ".join(f"'{r.name}' {r.version}" for r in versioned)
        return oldest.version, (
            f"from the oldest of {len(versioned)} istiod revisions ({others}): '{oldest.name}'; "
            "pass --from to choose another"
        )


def read_control_plane(snapshot: Snapshot) -> ControlPlane:
    revisions: dict[str, Revision] = {}
    notes: list[str] = []
    for deployment in snapshot.of_kind("Deployment"):
        if not is_istiod(deployment):
            continue
        revision = _revision_of_deployment(deployment, snapshot)
        revisions[revision.name] = revision
    for operator in snapshot.of_kind("IstioOperator"):
        settings = _istio_operator_settings(operator)
        _merge_install_input(revisions, operator, settings)
        notes.extend(settings.notes)
    for values in snapshot.of_kind(HELM_VALUES_KIND):
        settings = _helm_settings(values)
        _merge_install_input(revisions, values, settings)
        notes.extend(settings.notes)
    ordered = tuple(sorted(revisions.values(), key=lambda r: (r.name != "default", r.name)))
    default = next(iter(ordered), None)
    root = DEFAULT_ROOT_NAMESPACE
    trust_domain = DEFAULT_TRUST_DOMAIN
    if default is not None:
        root = str(default.mesh_value("rootNamespace") or default.namespace or root)
        trust_domain = str(default.mesh_value("trustDomain") or trust_domain)
    return ControlPlane(ordered, root, trust_domain, tuple(notes))


def is_istiod(deployment: K8sObject) -> bool:
    labels = deployment.labels
    if labels.get("app") == "istiod" or labels.get("istio") == "pilot":
        return True
    if deployment.name == "istiod" or deployment.name.startswith("istiod-"):
        return True
    return any("/pilot:" in image or image.startswith("pilot:") for image in _images(deployment))


def _images(deployment: K8sObject) -> list[str]:
    template_spec = mapping_at(mapping_at(deployment.spec, "template"), "spec")
    return [str(c.get("image", "")) for c in list_at(template_spec, "containers") if isinstance(c, Mapping)]


def _revision_of_deployment(deployment: K8sObject, snapshot: Snapshot) -> Revision:
    template = mapping_at(deployment.spec, "template")
    template_labels = mapping_at(mapping_at(template, "metadata"), "labels")
    revision_name = str(deployment.labels.get("istio.io/rev") or template_labels.get("istio.io/rev") or "default")
    containers = [c for c in list_at(mapping_at(template, "spec"), "containers") if isinstance(c, Mapping)]
    discovery = next((c for c in containers if c.get("name") == "discovery"), containers[0] if containers else {})
    env: dict[str, str | None] = {}
    for variable in list_at(discovery, "env"):
        if isinstance(variable, Mapping) and isinstance(variable.get("name"), str):
            value = variable.get("value")
            env[variable["name"]] = str(value) if value is not None and "valueFrom" not in variable else None
    image = str(discovery.get("image", "")) or None
    version = version_from_image(image) if image else None
    if version is None:
        version = _version_from_labels(deployment)
    config_map_name = "istio" if revision_name == "default" else f"istio-{revision_name}"
    config_map = snapshot.get("ConfigMap", deployment.namespace, config_map_name)
    mesh_config: Mapping[str, Any] = {}
    if config_map is not None:
        mesh_config = parse_mesh_config(config_map)
    return Revision(
        name=revision_name,
        namespace=deployment.namespace,
        deployment=deployment.ref,
        image=image,
        version=version,
        env=env,
        mesh_config=mesh_config,
        mesh_config_source=config_map.ref if config_map is not None else None,
    )


def _version_from_labels(deployment: K8sObject) -> IstioVersion | None:
    labels = deployment.labels
    for key in ("operator.istio.io/version", "app.kubernetes.io/version"):
        if key in labels:
            try:
                return parse_version(labels[key])
            except VersionError:
                continue
    chart = labels.get("helm.sh/chart", "")
    if chart.startswith("istiod-"):
        try:
            return parse_version(chart.removeprefix("istiod-"))
        except VersionError:
            return None
    return None


def parse_mesh_config(config_map: K8sObject) -> Mapping[str, Any]:
    """``data.mesh`` of the mesh ConfigMap, which is itself a YAML document."""
    text = dig(config_map.body, "data", "mesh")
    if not isinstance(text, str) or not text.strip():
        return {}
    try:
        parsed = safe_yaml.load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None)
        line = f" (line {mark.line + 1} of data.mesh)" if mark is not None else ""
        reason = f": {problem}" if problem else ""
        raise InputError(
            f"ConfigMap {config_map.namespace}/{config_map.name}: data.mesh is not valid YAML{line}{reason}",
            Location(config_map.source.file, config_map.source.line),
        ) from None
    if parsed is None:
        return {}
    if not isinstance(parsed, Mapping):
        raise InputError(
            f"ConfigMap {config_map.namespace}/{config_map.name}: data.mesh must be a mapping",
            Location(config_map.source.file, config_map.source.line),
        )
    return parsed


@dataclass(frozen=True)
class _InstallSettings:
    revision: str
    namespace: str
    env: Mapping[str, str | None]
    mesh_config: Mapping[str, Any]
    compatibility_version: str | None
    version: IstioVersion | None
    notes: tuple[str, ...] = ()


def _istio_operator_settings(operator: K8sObject) -> _InstallSettings:
    spec = operator.spec
    values = mapping_at(spec, "values")
    env: dict[str, str | None] = {}
    for key, value in mapping_at(mapping_at(values, "pilot"), "env").items():
        env[str(key)] = None if value is None else str(value)
    k8s_env = list_at(mapping_at(mapping_at(mapping_at(spec, "components"), "pilot"), "k8s"), "env")
    for variable in k8s_env:
        if isinstance(variable, Mapping) and isinstance(variable.get("name"), str):
            value = variable.get("value")
            env[variable["name"]] = None if value is None else str(value)
    tag = spec.get("tag")
    compatibility, note = compatibility_version_of(
        values.get("compatibilityVersion") or spec.get("compatibilityVersion"), operator
    )
    return _InstallSettings(
        revision=str(spec.get("revision") or "default"),
        namespace=str(spec.get("namespace") or DEFAULT_ROOT_NAMESPACE),
        env=env,
        mesh_config=mapping_at(spec, "meshConfig"),
        compatibility_version=compatibility,
        version=_maybe_version(tag),
        notes=(note,) if note else (),
    )


def _helm_settings(values_object: K8sObject) -> _InstallSettings:
    values = mapping_at(values_object.body, "values")
    env = {str(k): None if v is None else str(v) for k, v in mapping_at(mapping_at(values, "pilot"), "env").items()}
    global_values = mapping_at(values, "global")
    compatibility, note = compatibility_version_of(values.get("compatibilityVersion"), values_object)
    return _InstallSettings(
        revision=str(values.get("revision") or "default"),
        namespace=str(global_values.get("istioNamespace") or DEFAULT_ROOT_NAMESPACE),
        env=env,
        mesh_config=mapping_at(values, "meshConfig"),
        compatibility_version=compatibility,
        version=_maybe_version(global_values.get("tag") or mapping_at(values, "pilot").get("tag")),
        notes=(note,) if note else (),
    )


def compatibility_version_of(value: Any, source: K8sObject) -> tuple[str | None, str | None]:
    """The compatibilityVersion the user meant, and a warning when YAML read it as a number.

    Unquoted, ``compatibilityVersion: 1.20`` is the float 1.2 (and 1.30 is 1.3). Profiles exist
    only from 1.20 on, so a one-digit minor is read with its trailing zero restored.
    """
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value).strip(), None
    major, _, minor = repr(float(value)).partition(".")
    meant = f"{major}.{minor + '0' if len(minor) == 1 else minor}"
    where = f"{source.source.file}:{source.source.line}" if source.source and source.source.line else str(source.ref)
    return meant, (
        f"{where}: compatibilityVersion {value} is a YAML number; read as \"{meant}\". Quote it "
        f'(compatibilityVersion: "{meant}") so Helm and istioctl read the same.'
    )


def _merge_install_input(revisions: dict[str, Revision], source: K8sObject, settings: _InstallSettings) -> None:
    existing = revisions.get(settings.revision)
    if existing is None:
        revisions[settings.revision] = Revision(
            name=settings.revision,
            namespace=settings.namespace,
            version=settings.version,
            env=dict(settings.env),
            mesh_config=settings.mesh_config,
            compatibility_version=settings.compatibility_version,
            install_sources=(source.ref,),
        )
        return
    # What runs wins over what was asked for; among install inputs the later file wins, as in Helm.
    env = {**settings.env, **existing.env} if existing.deployment else {**existing.env, **settings.env}
    revisions[settings.revision] = Revision(
        name=existing.name,
        namespace=existing.namespace,
        deployment=existing.deployment,
        image=existing.image,
        version=existing.version or settings.version,
        env=env,
        mesh_config=existing.mesh_config or settings.mesh_config,
        mesh_config_source=existing.mesh_config_source,
        compatibility_version=existing.compatibility_version or settings.compatibility_version,
        install_sources=(*existing.install_sources, source.ref),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _maybe_version(value: Any) -> IstioVersion | None:
    if value is None:
        return None
    try:
        return parse_version(str(value))
    except VersionError:
        return None


def webhook_control_plane_namespaces(configuration: K8sObject) -> set[str]:
    """Namespaces of the istiod services an injection or validation webhook configuration calls.

    Istio's webhooks are named ``*.istio.io`` (``namespace.sidecar-injector.istio.io``,
    ``rev.validation.istio.io``) and call the ``istiod[-<rev>]`` service; a revision tag's
    configuration does the same, so its namespace is where that revision's istiod runs.
    """
    namespaces: set[str] = set()
    for webhook in list_at(configuration.body, "webhooks"):
        if not isinstance(webhook, Mapping):
            continue
        service = dig(webhook, "clientConfig", "service")
        if not isinstance(service, Mapping) or not isinstance(service.get("namespace"), str):
            continue  # a URL webhook: an external control plane, nothing to read in this cluster
        service_name = str(service.get("name", ""))
        if str(webhook.get("name", "")).endswith(".istio.io") or service_name.startswith("istiod"):
            namespaces.add(service["namespace"])
    return namespaces
