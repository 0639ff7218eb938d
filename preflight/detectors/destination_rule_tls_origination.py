"""DestinationRules that originate TLS with settings a new default reads differently.

Looks at every ``tls`` block of every DestinationRule (top level, per port in
``portLevelSettings``, in ``subsets`` and their port settings) whose ``mode`` is
``SIMPLE`` or ``MUTUAL``, i.e. where the sidecar starts TLS towards the destination
with settings the user wrote. ``ISTIO_MUTUAL`` and ``DISABLE`` blocks are never reported.

Parameter ``missing`` chooses what makes a block affected:

* ``trust_anchor``: neither ``caCertificates`` nor ``credentialName`` is set and
  ``insecureSkipVerify`` is not ``true``. Once the client verifies server certificates by
  default, such a block checks the server against the operating system's CA bundle, so
  a server with a private or self-signed certificate is refused.
* ``sni``: no ``sni`` is set. Once SNI is set automatically, HTTP requests send the
  request's Host/authority as SNI instead of none, which can change which certificate or
  backend a TLS-terminating server picks.

Each hit is the DestinationRule and names the blocks concerned. What changes is the TLS
the *callers'* proxies originate, so a hit names the destination only in its message
("calls to istio-system/istiod"), never as the service that changes: a DestinationRule on
istiod's host makes istiod's callers fail, not istiod. The engine adds the calling
services the simulated edges show (``--traffic``, or the callers the snapshot declares).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text
from preflight.istio.destination_rules import TLSBlock, tls_blocks

PARAMETERS: Parameters = {
    "missing": text(
        "what an affected TLS block lacks: a trust anchor (CA or credential) or an SNI",
        required=True,
        choices=("trust_anchor", "sni"),
    ),
}


def _lacks_trust_anchor(block: TLSBlock) -> bool:
    return not block.has_trust_anchor and not block.skips_verification


def _lacks_sni(block: TLSBlock) -> bool:
    return block.sni is None


_CHECKS: Mapping[str, tuple[Callable[[TLSBlock], bool], str]] = {
    "trust_anchor": (
        _lacks_trust_anchor,
        "sets neither caCertificates nor credentialName (nor insecureSkipVerify): the server certificate "
        "will be verified against the OS CA bundle and a private or self-signed one is refused",
    ),
    "sni": (_lacks_sni, "sets no sni: HTTP requests will send their Host/authority as SNI"),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    missing = str(params.get("missing", ""))
    if missing not in _CHECKS:
        raise ValueError(f"destination_rule_tls_origination: 'missing' must be one of {', '.join(_CHECKS)}")
    affected_by, consequence = _CHECKS[missing]
    scope = context.cluster.scope
    for rule in context.snapshot.of_kind("DestinationRule"):
        blocks: list[TLSBlock] = [b for b in tls_blocks(rule) if b.originates_user_tls and affected_by(b)]
        if not blocks:
            continue
        places = ", ".join(f"{b.where} ({b.mode})" for b in blocks)
        destinations = ", ".join(str(s) for s in scope.services_for(rule))
        callers = f"callers of {destinations}" if destinations else "callers"
        yield Hit(
            rule.ref,
            f"DestinationRule {rule.namespace}/{rule.name} makes the proxies of {callers} originate TLS to "
            f"{rule.spec.get('host')}, and it {consequence} — at {places}",
            source=rule.source,
            services=(),  # the callers change, not the destination; the engine adds those the edges show
            details={"tls blocks": places, "destination": destinations or str(rule.spec.get("host"))},
        )
