"""Kubernetes' own rules for names, namespaces and labels, checked when a snapshot is loaded.

An API server never stores a Service called ``a`b|c`` or a label value with a newline, so
a snapshot holding one did not come from a cluster as it is: it was edited, or it is an
attack on whoever reads the report. ``check_object_names`` names the first rule broken;
the loader refuses the snapshot unless ``--allow-invalid-names``.

The rules are those of the Kubernetes API machinery: DNS-1123 labels and subdomains,
DNS-1035 labels for Services, qualified names for label keys, label values of at most 63
characters. Names of kinds whose rules are looser (RBAC roles such as
``system:controller:foo``, kinds this tool does not know) are held to the rule every
object name follows: a path segment, with no ``/`` or ``%``, and not ``.`` or ``..``; and
to no control characters, which reports would otherwise have to carry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL = re.compile(_LABEL)
DNS1123_SUBDOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
DNS1035_LABEL = re.compile(r"[a-z](?:[-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?")
_PATH_SEGMENT_FORBIDDEN = re.compile(r"[/%\x00-\x1f\x7f-\x9f]")
KIND = re.compile(r"[A-Za-z][A-Za-z0-9]*")

_SERVICE_KINDS = frozenset({"Service"})
_LABEL_NAMED_KINDS = frozenset({"Namespace"})
# Kinds whose names Kubernetes checks as DNS-1123 subdomains (core and apps kinds, and the
# Istio and Gateway API CRDs, whose names the API server checks the same way).
_SUBDOMAIN_NAMED_KINDS = frozenset(
    {
        "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ConfigMap",
        "ServiceAccount", "EndpointSlice", "Endpoints", "Node", "CustomResourceDefinition",
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "PodDisruptionBudget",
        "HorizontalPodAutoscaler", "NetworkPolicy", "Ingress", "IngressClass",
        "VirtualService", "DestinationRule", "Gateway", "ServiceEntry", "Sidecar", "WorkloadEntry",
        "WorkloadGroup", "EnvoyFilter", "ProxyConfig", "AuthorizationPolicy", "PeerAuthentication",
        "RequestAuthentication", "Telemetry", "WasmPlugin", "IstioOperator", "GatewayClass", "HTTPRoute",
        "GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute", "ReferenceGrant", "BackendTLSPolicy",
        "InferencePool",
    }
)  # fmt: skip
_MAX_NAME = 253
_MAX_LABEL = 63


class InvalidName(Exception):
    """A name, namespace or label that Kubernetes would refuse; the message says which rule."""


def check_kind(kind: str) -> None:
    if not KIND.fullmatch(kind):
        raise InvalidName(f"kind {_shown(kind)} is not a Kubernetes kind (letters and digits, starting with a letter)")


def check_object_names(kind: str, name: str, namespace: str, metadata: Mapping[str, Any], generated: bool) -> None:
    """Raise ``InvalidName`` for the first of ``metadata``'s names that Kubernetes would refuse."""
    _check_name(kind, name, generated)
    if namespace and namespace not in _GOOD_NAMESPACES:
        if len(namespace) > _MAX_LABEL or not DNS1123_LABEL.fullmatch(namespace):
            raise InvalidName(f"metadata.namespace {_shown(namespace)} is not a DNS-1123 label ({_LABEL_RULE})")
        _GOOD_NAMESPACES.add(namespace)
    labels = metadata.get("labels")
    if isinstance(labels, Mapping):
        for key, value in labels.items():
            check_label(key, value)


def check_label(key: Any, value: Any) -> None:
    if key not in _GOOD_LABEL_KEYS:
        if not isinstance(key, str):
            raise InvalidName(f"label key {_shown(key)} is not a string")
        problem = _label_key_problem(key)
        if problem:
            raise InvalidName(f"label key {_shown(key)} {problem}")
        _GOOD_LABEL_KEYS.add(key)
    if isinstance(value, str) and value not in _GOOD_LABEL_VALUES:
        if len(value) > _MAX_LABEL or (value and not _QUALIFIED_NAME.fullmatch(value)):
            raise InvalidName(
                f"label value {_shown(value)} of {_shown(key)} is not a valid label value (at most 63 letters, "
                "digits, '-', '_' or '.', starting and ending with a letter or digit)"
            )
        _GOOD_LABEL_VALUES.add(value)


_LABEL_RULE = "lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"
# Names repeat across a snapshot (namespaces, label keys, values such as app names and
# versions): each distinct string is checked once per process.
_GOOD_NAMESPACES: set[str] = set()
_GOOD_LABEL_KEYS: set[str] = set()
_GOOD_LABEL_VALUES: set[str] = set()


def _check_name(kind: str, name: str, generated: bool) -> None:
    if generated or kind not in _SERVICE_KINDS | _LABEL_NAMED_KINDS | _SUBDOMAIN_NAMED_KINDS:
        # generateName is a prefix (it may end in '-'); other kinds follow the path-segment rule.
        if name in (".", "..") or _PATH_SEGMENT_FORBIDDEN.search(name):
            raise InvalidName(
                f"metadata.name {_shown(name)} of {kind} is not a valid object name "
                "(no '/', '%' or control characters, not '.' or '..')"
            )
        return
    if kind in _SERVICE_KINDS:
        if len(name) > _MAX_LABEL or not DNS1035_LABEL.fullmatch(name):
            raise InvalidName(
                f"metadata.name {_shown(name)} of Service is not a DNS-1035 label (lower-case letters, digits and "
                "'-', starting with a letter and ending with a letter or digit, at most 63 characters)"
            )
    elif kind in _LABEL_NAMED_KINDS:
        if len(name) > _MAX_LABEL or not DNS1123_LABEL.fullmatch(name):
            raise InvalidName(f"metadata.name {_shown(name)} of {kind} is not a DNS-1123 label ({_LABEL_RULE})")
    elif len(name) > _MAX_NAME or not DNS1123_SUBDOMAIN.fullmatch(name):
        raise InvalidName(
            f"metadata.name {_shown(name)} of {kind} is not a DNS-1123 subdomain (lower-case letters, digits, "
            "'-' and '.', starting and ending with a letter or digit, at most 253 characters)"
        )


def _label_key_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > _MAX_NAME or not DNS1123_SUBDOMAIN.fullmatch(prefix)):
        return "has a prefix that is not a DNS-1123 subdomain"
    if not name or len(name) > _MAX_LABEL or not _QUALIFIED_NAME.fullmatch(name):
        return (
            "is not a qualified name (an optional DNS subdomain prefix and '/', then at most 63 letters, digits, "
            "'-', '_' or '.', starting and ending with a letter or digit)"
        )
    return None


def _shown(value: Any) -> str:
    """A value quoted for a one-line message: escapes visible, long values cut."""
    text = repr(value if not isinstance(value, str) or len(value) <= 80 else value[:80] + "…")
    return text
