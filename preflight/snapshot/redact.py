"""Keeping credentials out of the model, and therefore out of every report.

Secrets are dropped whole at load. Container ``env`` values are replaced by a marker,
except the Istio flags on istiod and proxy containers that mitigation detection reads,
and even those only when the value does not look like a credential.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from preflight.redaction import REDACTED, SHORTEST_CREDENTIAL, contains_credential, redact_credentials_in_text


def is_secret(document: Mapping[str, Any], list_kind: str | None = None) -> bool:
    """Whether ``document`` is a Secret: by its own ``kind``, or, when it names none, by the List it came in.

    Decided per object, never per list asked for: an export that asked for Pods and got a
    Secret back, or a hand-made List mixing kinds, still drops it.
    """
    kind = document.get("kind")
    if isinstance(kind, str) and kind:
        return kind.casefold() == "secret"
    return list_kind is not None and list_kind.casefold() == "secretlist"


def is_list(document: Mapping[str, Any]) -> bool:
    """A ``kind: List`` or ``*List`` wrapper: its objects are its ``items``."""
    kind = document.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and "items" in document


def drop_nested_secrets(document: dict[str, Any]) -> int:
    """Remove Secrets from the ``items`` of ``document`` (and of Lists within it); how many were removed."""
    items = document.get("items")
    if not is_list(document) or not isinstance(items, list):
        return 0
    kept: list[Any] = []
    dropped = 0
    for item in items:
        if isinstance(item, dict) and is_secret(item, str(document.get("kind"))):
            dropped += 1
            continue
        if isinstance(item, dict):
            dropped += drop_nested_secrets(item)
        kept.append(item)
    document["items"] = kept
    return dropped

# Containers whose env carries Istio feature flags (istiod's ``discovery``, the proxy).
FLAG_CONTAINERS = frozenset({"discovery", "istio-proxy", "istiod"})
_FLAG_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_HARMLESS_VALUE = re.compile(r"^[A-Za-z0-9_.:/,|=*-]{0,200}$")
# Whole words of a variable name that say its value is a credential. Matched per word, so
# Istio flags such as VERIFY_CERTIFICATE_AT_CLIENT or ENABLE_DEBUG_ENDPOINT_AUTH keep their values.
_CREDENTIAL_WORDS = frozenset(
    {
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PWD",
        "SECRET",
        "SECRETS",
        "TOKEN",
        "TOKENS",
        "KEY",
        "KEYS",
        "APIKEY",
        "CREDENTIAL",
        "CREDENTIALS",
        "PRIVATE",
    }
)


def looks_like_credential(value: str) -> bool:
    """True for strings holding anything the rule set (``preflight.redaction``) takes for a credential."""
    return contains_credential(value)


def redact_env_value(container: str, name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return REDACTED if value is not None else None
    if (
        container in FLAG_CONTAINERS
        and _FLAG_NAME.match(name)
        and not _names_a_credential(name)
        and _HARMLESS_VALUE.match(value)
        and not looks_like_credential(value)
    ):
        return value
    return REDACTED


def redact_pod_spec(pod_spec: Any) -> None:
    """Replace env values in place (the documents are freshly parsed and owned by the loader)."""
    if not isinstance(pod_spec, dict):
        return
    for key in ("containers", "initContainers", "ephemeralContainers"):
        containers = pod_spec.get(key)
        if not isinstance(containers, list):
            continue
        for container in containers:
            if not isinstance(container, dict):
                continue
            env = container.get("env")
            if not isinstance(env, list):
                continue
            name = str(container.get("name", ""))
            for variable in env:
                if isinstance(variable, dict) and "value" in variable:
                    variable["value"] = redact_env_value(name, str(variable.get("name", "")), variable["value"])


def pod_specs_of(body: Mapping[str, Any]) -> list[Any]:
    """Pod specs inside a workload body: a Pod's own, a template's, a CronJob's job template's."""
    spec = body.get("spec")
    if not isinstance(spec, dict):
        return []
    if body.get("kind") == "Pod":
        return [spec]
    found = []
    template = spec.get("template")
    if isinstance(template, dict):
        found.append(template.get("spec"))
    job_template = spec.get("jobTemplate")
    if isinstance(job_template, dict):
        job_spec = job_template.get("spec")
        if isinstance(job_spec, dict) and isinstance(job_spec.get("template"), dict):
            found.append(job_spec["template"].get("spec"))
    return found


def strip_noise(body: dict[str, Any]) -> None:
    """Drop what only makes a snapshot larger or leaks: managedFields, last-applied config."""
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
        annotations = metadata.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)


def redact_free_text(body: dict[str, Any]) -> None:
    """Credential-looking parts of the free text detectors may quote, replaced at load.

    Annotations (the object's and its pod template's), ConfigMap data, EnvoyFilter patches
    (inline keys) and container command lines hold arbitrary text that reports may echo;
    a key, certificate or token pasted there must not reach a report. Only these places
    are scanned so that loading a large cluster stays one cheap pass.
    """
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        _redact_mapping_values(metadata.get("annotations"))
    kind = body.get("kind")
    if kind == "ConfigMap":
        _redact_mapping_values(body.get("data"))
        if isinstance(body.get("binaryData"), dict):
            body["binaryData"] = {key: REDACTED for key in body["binaryData"]}
    elif kind == "EnvoyFilter":
        redact_strings(body.get("spec"))
    for pod_spec in pod_specs_of(body):
        if not isinstance(pod_spec, dict):
            continue
        for key in ("containers", "initContainers", "ephemeralContainers"):
            containers = pod_spec.get(key)
            for container in containers if isinstance(containers, list) else []:
                if isinstance(container, dict):
                    redact_strings([container.get("command"), container.get("args")])
    template = body.get("spec")
    template = template.get("template") if isinstance(template, dict) else None
    if isinstance(template, dict) and isinstance(template.get("metadata"), dict):
        _redact_mapping_values(template["metadata"].get("annotations"))


def _redact_mapping_values(mapping: Any) -> None:
    if isinstance(mapping, dict):
        for key, value in mapping.items():
            if isinstance(value, str) and len(value) >= SHORTEST_CREDENTIAL:
                mapping[key] = redact_credentials_in_text(value)


# Exported objects ---------------------------------------------------------------------
# The live export (``preflight snapshot``) writes files users keep and share, so it
# scrubs harder than loading does: every string of an object is scanned, not only env.

_CREDENTIAL_FLAG = re.compile(r"^(--?[A-Za-z0-9_.-]+)(=(.*))?$", re.DOTALL)
# Status fields later stages may read (running images, addresses); the rest is churn.
_KEPT_STATUS: dict[str, tuple[str, ...]] = {
    "Pod": ("phase", "podIP", "containerStatuses", "initContainerStatuses"),
    "Service": ("loadBalancer",),
    "Namespace": ("phase",),
    "Node": ("nodeInfo",),  # the kubelet version decides whether native sidecars take effect
}
_KEPT_CONTAINER_STATUS = ("name", "image", "imageID", "ready")


def redact_strings(node: Any) -> None:
    """Apply ``redact_credentials_in_text`` to every string value (never to keys) in place."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                if isinstance(value, str):
                    current[key] = redact_credentials_in_text(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(current, list):
            for index, value in enumerate(current):
                if isinstance(value, str):
                    current[index] = redact_credentials_in_text(value)
                elif isinstance(value, dict | list):
                    stack.append(value)


def redact_credential_arguments(pod_spec: Any) -> None:
    """``--password=x`` and ``--token x`` in container command lines keep the flag, lose the value.

    File paths are kept: a flag pointing at a mounted key file names where it is, not what it is.
    """
    if not isinstance(pod_spec, dict):
        return
    for key in ("containers", "initContainers", "ephemeralContainers"):
        containers = pod_spec.get(key)
        for container in containers if isinstance(containers, list) else []:
            if not isinstance(container, dict):
                continue
            for field_name in ("command", "args"):
                arguments = container.get(field_name)
                if isinstance(arguments, list):
                    container[field_name] = _redact_argument_list(arguments)


def _redact_argument_list(arguments: list[Any]) -> list[Any]:
    redacted: list[Any] = []
    value_is_secret = False
    for argument in arguments:
        if not isinstance(argument, str):
            redacted.append(argument)
            value_is_secret = False
            continue
        if value_is_secret and not argument.startswith(("-", "/")):
            redacted.append(REDACTED)
            value_is_secret = False
            continue
        value_is_secret = False
        flag = _CREDENTIAL_FLAG.match(argument)
        if flag is not None and _names_a_credential(flag.group(1)):
            value = flag.group(3)
            if value is None:
                value_is_secret = True
            elif value and not value.startswith("/"):
                argument = f"{flag.group(1)}={REDACTED}"
        redacted.append(argument)
    return redacted


def trim_status(body: dict[str, Any]) -> None:
    """Keep the few status fields of Pods, Services and Namespaces; drop every other status."""
    status = body.get("status")
    if status is None:
        return
    kept = _KEPT_STATUS.get(str(body.get("kind", "")))
    if kept is None or not isinstance(status, dict):
        body.pop("status", None)
        return
    trimmed = {key: status[key] for key in kept if key in status}
    for key in ("containerStatuses", "initContainerStatuses"):
        if isinstance(trimmed.get(key), list):
            trimmed[key] = [
                {name: item[name] for name in _KEPT_CONTAINER_STATUS if name in item}
                for item in trimmed[key]
                if isinstance(item, dict)
            ]
    body["status"] = trimmed


def sanitize_exported(body: dict[str, Any]) -> None:
    """Everything the live export does to an object before writing it, in place.

    Noise and status go; env values are redacted as at load; credential-looking flag
    values, ConfigMap binary data and credential-looking substrings anywhere are replaced
    by the marker, keeping names and keys.
    """
    strip_noise(body)
    trim_status(body)
    for pod_spec in pod_specs_of(body):
        redact_pod_spec(pod_spec)
        redact_credential_arguments(pod_spec)
    if body.get("kind") == "ConfigMap" and isinstance(body.get("binaryData"), dict):
        body["binaryData"] = {key: REDACTED for key in body["binaryData"]}
    redact_strings(body)


def _names_a_credential(name: str) -> bool:
    return any(word in _CREDENTIAL_WORDS for word in re.split(r"[^A-Za-z0-9]+", name.upper()))
