"""Plain edge lists, for clusters without Prometheus or Kiali: CSV or YAML.

CSV has a header row; YAML is a list of mappings (or a mapping with an ``edges`` list).
Columns (keys):

* ``source`` (required): ``<namespace>/<workload>``; ``<namespace>/*`` for any caller of a
  namespace; an identity ``spiffe://<trust-domain>/ns/<ns>/sa/<sa>`` (or without the
  scheme); ``unknown`` or ``external`` for a caller outside the mesh.
* ``destination`` (required): ``<namespace>/<service>``, a cluster name
  ``<service>.<namespace>.svc[.<domain>]``, or any other host (a ServiceEntry host).
* ``port``: the Service port dialled. ``protocol``: ``http``, ``grpc``, ``tcp``...
  (``http`` when a method or path is given, else ``unknown``). ``method``, ``path``.
* ``requests``: the count (1 when omitted). ``mtls``: whether the call used Istio mutual TLS:
  ``mutual_tls``/``true``/``yes``, ``none``/``false``/``no``, or ``unknown`` (any case).

A source that names a Service rather than a workload is resolved to the Service's workloads
once the snapshot is known (``preflight.traffic.resolve``).

Lines starting with ``#`` are comments in CSV files too.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from typing import Any

import yaml

from preflight import safe_yaml
from preflight.errors import InputError, Location
from preflight.istio.identity import parse_identity
from preflight.traffic.interface import Destination, Edge, Mtls, Origin, Source

COLUMNS = ("source", "destination", "port", "protocol", "method", "path", "requests", "mtls")
_OUTSIDE = frozenset({"unknown", "external"})
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_CLUSTER_HOST = re.compile(r"^(?P<service>[^.]+)\.(?P<namespace>[^.]+)\.svc(\..+)?$")


def looks_like_csv(name: str, text: str) -> bool:
    if name.lower().endswith(".csv"):
        return True
    first = next((line for line in text.splitlines() if line.strip() and not line.startswith("#")), "")
    cells = {cell.strip().lower() for cell in first.split(",")}
    return {"source", "destination"} <= cells and ":" not in first


def parse_csv(name: str, text: str) -> list[Edge]:
    # Comment lines become blank lines so the reader's line numbers stay the file's.
    lines = ["" if line.lstrip().startswith("#") else line for line in text.splitlines()]
    reader = csv.reader(lines)
    header: list[str] | None = None
    edges: list[Edge] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in row]
                _check_header(name, reader.line_num, header)
                continue
            if len(row) > len(header):
                where = Location(name, reader.line_num)
                raise InputError(f"{len(row)} cells for {len(header)} columns", where)
            record = {key: cell.strip() for key, cell in zip(header, row, strict=False) if cell.strip()}
            edges.append(_edge(name, reader.line_num, record))
    except csv.Error as error:
        raise InputError(f"invalid CSV: {error}", Location(name, reader.line_num)) from None
    if header is None:
        raise InputError("empty edge list: expected a header row with source,destination", Location(name, 1))
    return edges


def parse_yaml(name: str, text: str) -> list[Edge]:
    try:
        root = safe_yaml.compose(text)
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        raise InputError(f"invalid YAML: {error.problem}", Location(name, line)) from None
    except yaml.YAMLError as error:
        raise InputError(f"invalid YAML: {error}", Location(name)) from None
    if root is None:
        raise InputError("empty edge list", Location(name, 1))
    items: yaml.Node = root
    if isinstance(root, yaml.MappingNode):
        found = next((value for key, value in root.value if key.value == "edges"), None)
        if found is None:
            raise InputError(
                "not a traffic file: expected a Prometheus query result, a Kiali graph or an edge list",
                Location(name, root.start_mark.line + 1),
            )
        items = found
    if not isinstance(items, yaml.SequenceNode):
        raise InputError("an edge list must be a list of edges", Location(name, items.start_mark.line + 1))
    edges: list[Edge] = []
    for item in items.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            raise InputError("an edge must be a mapping with source and destination", Location(name, line))
        record: dict[str, str] = {}
        for key, value in item.value:
            if not isinstance(value, yaml.ScalarNode):
                where = Location(name, value.start_mark.line + 1)
                raise InputError(f"'{key.value}' must be a single value", where)
            if value.value != "" and value.tag != "tag:yaml.org,2002:null":
                record[str(key.value).strip().lower()] = str(value.value).strip()
        _check_header(name, line, list(record))
        edges.append(_edge(name, line, record))
    return edges


def _check_header(name: str, line: int, keys: list[str]) -> None:
    unknown = [key for key in keys if key not in COLUMNS]
    if unknown:
        raise InputError(f"unknown column {unknown[0]!r}; known: {', '.join(COLUMNS)}", Location(name, line))
    for required in ("source", "destination"):
        if required not in keys:
            raise InputError(f"missing '{required}'", Location(name, line))


def _edge(name: str, line: int, record: Mapping[str, str]) -> Edge:
    where = Location(name, line)
    for required in ("source", "destination"):
        if not record.get(required):
            raise InputError(f"missing '{required}'", where)
    method = record.get("method", "").upper() or None
    path = record.get("path") or None
    if path is not None and not path.startswith("/"):
        raise InputError(f"path {path!r} must start with '/'", where)
    protocol = record.get("protocol", "").lower() or ("http" if method or path else "unknown")
    return Edge(
        source=parse_source(record["source"], where),
        destination=_with_port(parse_destination(record["destination"], where), record.get("port"), where),
        protocol=protocol,
        requests=_requests(record.get("requests"), where),
        method=method,
        path=path,
        mtls=_mtls(record.get("mtls"), where),
        origin=Origin.EDGE_LIST,
        evidence=(str(where),),
    )


def parse_source(text: str, where: Location) -> Source:
    value = text.strip()
    if value.lower() in _OUTSIDE:
        return Source(in_mesh=False)
    identity = parse_identity(value)
    if identity is not None:
        return Source(namespace=identity.namespace, principal=identity.spiffe_id, in_mesh=True)
    namespace, slash, workload = value.partition("/")
    if slash and _NAME.match(namespace) and (workload == "*" or _NAME.match(workload)):
        return Source(namespace=namespace, workload=None if workload == "*" else workload)
    raise InputError(
        f"source {text!r}: expected <namespace>/<workload>, <namespace>/*, a spiffe:// identity or 'unknown'",
        where,
    )


def parse_destination(text: str, where: Location) -> Destination:
    value = text.strip().lower()
    namespace, slash, service = value.partition("/")
    if slash:
        if _NAME.match(namespace) and _NAME.match(service) and "." not in service:
            return Destination(namespace=namespace, service=service)
        raise InputError(f"destination {text!r}: expected <namespace>/<service> or a host name", where)
    cluster = _CLUSTER_HOST.match(value)
    if cluster:
        return Destination(namespace=cluster["namespace"], service=cluster["service"])
    if _NAME.match(value) or (value.startswith("*.") and _NAME.match(value[2:])):
        return Destination(host=value)
    raise InputError(f"destination {text!r}: expected <namespace>/<service> or a host name", where)


def _with_port(destination: Destination, port: str | None, where: Location) -> Destination:
    if port is None:
        return destination
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"port {port!r} is not a port number", where)
    return Destination(
        namespace=destination.namespace,
        service=destination.service,
        workload=destination.workload,
        service_port=int(port),
        host=destination.host,
    )


def _requests(value: str | None, where: Location) -> int:
    if value is None:
        return 1
    if not value.isdigit():
        raise InputError(f"requests {value!r} is not a whole number", where)
    return int(value)


_MTLS_WORDS = {
    "mutual_tls": Mtls.MUTUAL, "true": Mtls.MUTUAL, "yes": Mtls.MUTUAL,
    "none": Mtls.NONE, "false": Mtls.NONE, "no": Mtls.NONE,
    "unknown": Mtls.UNKNOWN,
}


def _mtls(value: str | None, where: Location) -> Mtls:
    if value is None:
        return Mtls.UNKNOWN
    found = _MTLS_WORDS.get(value.strip().lower())
    if found is None:
        raise InputError(f"mtls {value!r}: expected true/yes/mutual_tls, false/no/none or unknown", where)
    return found


def is_edge_list(document: Any) -> bool:
    """A parsed JSON document shaped like an edge list."""
    if isinstance(document, Mapping):
        document = document.get("edges")
    return isinstance(document, list)
