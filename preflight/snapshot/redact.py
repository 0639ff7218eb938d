"""Keeping credentials out of the model, and therefore out of every report.

Secrets are dropped whole at load. Container ``env`` values are replaced by a marker,
except the Istio flags on istiod and proxy containers that mitigation detection reads,
and even those only when the value does not look like a credential.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "<redacted>"

# Containers whose env carries Istio feature flags (istiod's ``discovery``, the proxy).
FLAG_CONTAINERS = frozenset({"discovery", "istio-proxy", "istiod"})
_FLAG_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_HARMLESS_VALUE = re.compile(r"^[A-Za-z0-9_.:/,|=*-]{0,200}$")
_CREDENTIAL_MARKERS = re.compile(
    r"-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----|"
    r"\b(eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})|"  # JWT
    r"\b(AKIA|ASIA)[A-Z0-9]{16}\b|"  # AWS access key id
    r"\bgh[pousr]_[A-Za-z0-9]{20,}|"  # GitHub token
    r"\bxox[abprs]-[A-Za-z0-9-]{10,}|"  # Slack token
    r"://[^/\s:@]+:[^/\s@]+@",  # credentials inside a URL
)
_CREDENTIAL_NAMES = re.compile(r"(PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|PRIVATE|CERT)", re.IGNORECASE)


def looks_like_credential(value: str) -> bool:
    """True for strings shaped like keys, certificates, tokens or URLs with passwords."""
    if _CREDENTIAL_MARKERS.search(value):
        return True
    # Long unbroken base64 runs are keys or certificates more often than anything else.
    return bool(re.search(r"[A-Za-z0-9+/]{64,}={0,2}", value))


def redact_env_value(container: str, name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return REDACTED if value is not None else None
    if (
        container in FLAG_CONTAINERS
        and _FLAG_NAME.match(name)
        and not _CREDENTIAL_NAMES.search(name)
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
