"""The export itself: discovery, then each served kind page by page into its own file.

Order matters and is fixed: webhook configurations name the Istio namespaces, Services
say which EndpointSlices are worth keeping (those of services without a selector, whose
endpoints nothing else describes), Deployments reveal further istiod namespaces, and
ConfigMaps (mesh config, injector config) are read last, in the Istio namespaces only.

A list the credentials may not read is recorded with what the report loses, and the
export goes on; a cluster that cannot be reached or does not accept the credentials
stops it with nothing written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from preflight import __version__, progress
from preflight.errors import InputError, UsageError
from preflight.export.discovery import (
    CLUSTER_WIDE,
    GATEWAY_API_GROUPS,
    ISTIO_GROUPS,
    MESH_CONFIG,
    WORKLOADS,
    Discovery,
    Wanted,
    discover,
    group_impact,
)
from preflight.export.interface import (
    ApiResource,
    ClusterIdentity,
    ExportedKind,
    ExportRequest,
    ExportResult,
    ForbiddenList,
)
from preflight.export.kubectl import ApiRefusal, Kubectl
from preflight.export.writer import KindStream, SnapshotWriter, check_output
from preflight.istio.control_plane import DEFAULT_ROOT_NAMESPACE, is_istiod, webhook_control_plane_namespaces
from preflight.redaction import REDACTED
from preflight.snapshot.interface import K8sObject, ObjectRef, SourceRef, mapping_at
from preflight.snapshot.loader import MANIFEST_API_VERSION, MANIFEST_KIND
from preflight.snapshot.redact import (
    drop_nested_secrets,
    is_secret,
    looks_like_credential,
    sanitize_exported,
)

SERVICE_NAME_LABEL = "kubernetes.io/service-name"  # set by Kubernetes on every EndpointSlice
# A continue token expires when the server compacts; restarting a kind from its first page
# is the documented remedy, but a cluster that keeps expiring them is not going to settle.
MAX_LIST_ATTEMPTS = 3

Keep = Callable[[dict[str, Any]], bool]


def export_snapshot(request: ExportRequest, kubectl: Kubectl | None = None) -> ExportResult:
    """Export the cluster ``request`` names; ``request.output`` exists only if this returns.

    The kind being read is shown by ``preflight.progress`` (a terminal only, never with ``--quiet``).
    """
    if request.chunk_size < 1:
        raise UsageError("--chunk-size must be at least 1")
    check_output(request.output, request.single_file, request.overwrite)
    kubectl = kubectl or Kubectl(
        request.kubectl, request.context, request.kubeconfig, request.request_timeout, request.timeout
    )
    context, cluster, server = kubectl.identity()
    identity = ClusterIdentity(context, cluster, server, _server_version(kubectl))
    discovery = discover(kubectl)
    with SnapshotWriter(request.output, request.single_file) as writer:
        run = _Export(kubectl, discovery, writer, request)
        with progress.task(lambda: run.status):
            run.everything()
        manifest = _manifest(request, identity, run)
        writer.commit(manifest, [kind.file for kind in run.kinds if kind.count])
    return ExportResult(
        output=request.output,
        identity=identity,
        kinds=tuple(run.kinds),
        forbidden=tuple(run.forbidden),
        not_served=discovery.not_served,
        manifest=manifest,
    )


class _Export:
    def __init__(
        self,
        kubectl: Kubectl,
        discovery: Discovery,
        writer: SnapshotWriter,
        request: ExportRequest,
    ) -> None:
        self.kubectl = kubectl
        self.discovery = discovery
        self.writer = writer
        self.request = request
        self.status = "exporting"  # what the progress line shows
        self.kinds: list[ExportedKind] = []
        self.forbidden: list[ForbiddenList] = []
        self.istio_namespaces: set[str] = {DEFAULT_ROOT_NAMESPACE}
        self.dropped_secrets = 0  # Secrets the API answered with although none were asked for
        self.selectorless_services: set[tuple[str, str]] = set()
        self.services_readable = True

    def everything(self) -> None:
        for wanted in CLUSTER_WIDE:
            resource = self.discovery.get(wanted)
            if resource is None:
                continue
            if resource.resource == "namespaces" and self.request.namespaces:
                self._selected_namespaces(resource, wanted.impact)
            else:
                self._export(resource, wanted.impact, None, self._observe_cluster_object)
        extra_groups = ISTIO_GROUPS + GATEWAY_API_GROUPS
        for resource in self.discovery.of_groups(extra_groups):
            if not resource.namespaced:
                self._export(resource, group_impact(resource.kind), None)
        for wanted in WORKLOADS:
            resource = self.discovery.get(wanted)
            if resource is not None and self._wanted_now(wanted):
                self._export(resource, wanted.impact, self._scope(), self._keep_for(wanted))
        for resource in self.discovery.of_groups(extra_groups):
            if resource.namespaced:
                self._export(resource, group_impact(resource.kind), self._scope())
        config_maps = self.discovery.get(MESH_CONFIG)
        if config_maps is not None:
            self._export(config_maps, MESH_CONFIG.impact, tuple(sorted(self.istio_namespaces)))

    # Which lists, where -------------------------------------------------------------

    def _scope(self) -> tuple[str, ...] | None:
        """``None`` lists cluster-wide; with --namespace, the chosen namespaces plus Istio's own."""
        if not self.request.namespaces:
            return None
        return tuple(sorted({*self.request.namespaces, *self.istio_namespaces}))

    def _wanted_now(self, wanted: Wanted) -> bool:
        if wanted.resource in ("endpointslices", "endpoints"):
            if not self.selectorless_services or not self.services_readable:
                return False
            if wanted.resource == "endpoints":  # the legacy API only where slices are not served
                return self.discovery.get(Wanted("discovery.k8s.io", "endpointslices", "")) is None
        return True

    def _keep_for(self, wanted: Wanted) -> Keep | None:
        if wanted.resource == "endpointslices":
            return lambda body: (
                _namespace(body),
                str((body.get("metadata") or {}).get("labels", {}).get(SERVICE_NAME_LABEL, "")),
            ) in self.selectorless_services
        if wanted.resource == "endpoints":
            return lambda body: (_namespace(body), _name(body)) in self.selectorless_services
        if wanted.resource == "services":
            return self._observe_service
        if wanted.resource == "deployments":
            return self._observe_deployment
        return None

    def _observe_service(self, body: dict[str, Any]) -> bool:
        spec = body.get("spec") or {}
        if isinstance(spec, dict) and not spec.get("selector") and spec.get("type") != "ExternalName":
            self.selectorless_services.add((_namespace(body), _name(body)))
        return True

    def _observe_deployment(self, body: dict[str, Any]) -> bool:
        if is_istiod(_as_object(body)):
            self.istio_namespaces.add(_namespace(body))
        return True

    def _observe_cluster_object(self, body: dict[str, Any]) -> bool:
        if body.get("kind") in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
            self.istio_namespaces.update(webhook_control_plane_namespaces(_as_object(body)))
        return True

    # Listing ----------------------------------------------------------------------

    def _export(
        self,
        resource: ApiResource,
        impact: str,
        namespaces: tuple[str, ...] | None,
        keep: Keep | None = None,
    ) -> None:
        stream = self.writer.open_kind(resource.qualified_name)
        refused: list[ForbiddenList] = []
        try:
            for attempt in range(1, MAX_LIST_ATTEMPTS + 1):
                try:
                    refused = self._list_into(stream, resource, impact, namespaces, keep)
                    break
                except ApiRefusal as refusal:
                    if not refusal.expired or attempt == MAX_LIST_ATTEMPTS:
                        raise InputError(
                            f"listing {resource.qualified_name} failed: {refusal.reason}: {refusal.message}"
                        ) from None
                    stream.restart()
        finally:
            stream.close()
        self.forbidden.extend(refused)
        if refused and stream.count == 0:
            stream.path.unlink()
            if resource.resource == "services":
                self.services_readable = False
            return
        if stream.count == 0:
            stream.path.unlink()
        self.kinds.append(ExportedKind(resource, stream.count, stream.path.name if stream.count else ""))

    def _list_into(
        self,
        stream: KindStream,
        resource: ApiResource,
        impact: str,
        namespaces: tuple[str, ...] | None,
        keep: Keep | None,
    ) -> list[ForbiddenList]:
        refused: list[ForbiddenList] = []
        targets: Iterable[str | None] = [None]
        if namespaces is not None and resource.namespaced:
            targets = namespaces
        for namespace in targets:
            try:
                for page in self.kubectl.list_pages(resource.list_path(namespace), self.request.chunk_size):
                    self._write_page(stream, resource, page, keep)
            except ApiRefusal as refusal:
                if refusal.forbidden:
                    refused.append(
                        ForbiddenList(resource, namespace, refusal.message, self._explain(resource, impact))
                    )
                elif not refusal.not_found:  # a CRD removed since discovery: nothing to export
                    raise
        return refused

    def _explain(self, resource: ApiResource, impact: str) -> str:
        if self.request.namespaces or not resource.namespaced:
            return impact
        return f"{impact} (an account that may read only some namespaces can export them with --namespace)"

    def _write_page(
        self, stream: KindStream, resource: ApiResource, page: Mapping[str, Any], keep: Keep | None
    ) -> None:
        for item in page.get("items") or []:
            if not isinstance(item, dict):
                continue
            # List items from the API carry neither kind nor apiVersion; the loader needs both.
            item = {"apiVersion": resource.group_version, "kind": resource.kind, **item}
            if is_secret(item):
                self.dropped_secrets += 1
                continue
            self.dropped_secrets += drop_nested_secrets(item)
            if keep is not None and not keep(item):
                continue
            if resource.resource == "customresourcedefinitions":
                item = _crd_summary(item)
            sanitize_exported(item)
            stream.write(item)
        self.status = f"exporting {resource.qualified_name}: {stream.count}"

    def _selected_namespaces(self, resource: ApiResource, impact: str) -> None:
        """With --namespace, read just those Namespace objects; a name the cluster lacks is an error."""
        stream = self.writer.open_kind(resource.qualified_name)
        try:
            for name in sorted({*self.request.namespaces, *self.istio_namespaces}):
                try:
                    body = self.kubectl.get_json(f"{resource.list_path()}/{name}")
                except ApiRefusal as refusal:
                    if refusal.forbidden:
                        self.forbidden.append(ForbiddenList(resource, name, refusal.message, impact))
                        continue
                    if refusal.not_found and name not in self.request.namespaces:
                        continue  # no Istio in the default place: nothing to read there
                    if refusal.not_found:
                        raise UsageError(f"--namespace {name}: the cluster has no such namespace") from None
                    raise InputError(f"reading namespace {name} failed: {refusal.message}") from None
                if isinstance(body, dict):
                    self._write_page(stream, resource, {"items": [body]}, None)
        finally:
            stream.close()
        self.kinds.append(ExportedKind(resource, stream.count, stream.path.name if stream.count else ""))
        if not stream.count:
            stream.path.unlink()


def _crd_summary(body: Mapping[str, Any]) -> dict[str, Any]:
    """Only what tells which API versions exist: names and served versions, no schemas."""
    spec = mapping_at(body, "spec")
    names = mapping_at(spec, "names")
    versions = [
        {key: version[key] for key in ("name", "served", "storage", "deprecated") if key in version}
        for version in spec.get("versions") or []
        if isinstance(version, Mapping)
    ]
    metadata = mapping_at(body, "metadata")
    return {
        "apiVersion": body.get("apiVersion"),
        "kind": body.get("kind"),
        "metadata": {key: metadata[key] for key in ("name", "labels") if key in metadata},
        "spec": {
            "group": spec.get("group"),
            "scope": spec.get("scope"),
            "names": {key: names[key] for key in ("kind", "plural") if key in names},
            "versions": versions,
        },
    }


def _server_version(kubectl: Kubectl) -> str | None:
    try:
        version = kubectl.get_json("/version")
    except ApiRefusal:
        return None
    if isinstance(version, Mapping) and isinstance(version.get("gitVersion"), str):
        return str(version["gitVersion"])
    return None


def _manifest(request: ExportRequest, identity: ClusterIdentity, run: _Export) -> dict[str, Any]:
    server = identity.server
    if server is not None and looks_like_credential(server):
        server = REDACTED
    return {
        "apiVersion": MANIFEST_API_VERSION,
        "kind": MANIFEST_KIND,
        "cluster": identity.cluster or identity.context,
        "context": identity.context,
        "server": server,
        "kubernetesVersion": identity.kubernetes_version,
        "exportedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": {"name": "istio-preflight", "version": __version__},
        "namespaces": sorted(request.namespaces) if request.namespaces else "all",
        "istioNamespaces": sorted(run.istio_namespaces),
        "complete": not run.forbidden,
        "kinds": [kind.as_manifest() for kind in run.kinds],
        "forbidden": [entry.as_manifest() for entry in run.forbidden],
        "notServed": list(run.discovery.not_served),
        "droppedSecrets": run.dropped_secrets,
        "scope": {
            "secrets": "never exported",
            "configMaps": "Istio namespaces only",
            "endpoints": "only for services without a selector",
            "customResourceDefinitions": "names and served versions only",
            "redaction": f"container env values and credential-looking values replaced by {REDACTED}",
        },
    }


def _as_object(body: Mapping[str, Any]) -> K8sObject:
    ref = ObjectRef(str(body.get("kind", "")), _namespace(body), _name(body))
    return K8sObject(ref, body, SourceRef("<cluster>"))


def _namespace(body: Mapping[str, Any]) -> str:
    metadata = body.get("metadata")
    return str(metadata.get("namespace") or "") if isinstance(metadata, Mapping) else ""


def _name(body: Mapping[str, Any]) -> str:
    metadata = body.get("metadata")
    return str(metadata.get("name") or "") if isinstance(metadata, Mapping) else ""
