from tests.support import run_detector

AMBIENT = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{port: 8080}, {port: 9090}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: "example/api:1"}]}
"""


def policy(mode: str, ports: str, namespace_mode: str = "") -> str:
    text = f"""
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {{name: api-ports, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: api}}}}
  mtls: {{mode: {mode}}}
  portLevelMtls: {ports}
"""
    if namespace_mode:
        text += f"""
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {{name: default, namespace: shop}}
spec: {{mtls: {{mode: {namespace_mode}}}}}
"""
    return text


TWO_STRICT = '{"8080": {mode: STRICT}, "9090": {mode: STRICT}}'


def test_two_strict_ports_under_permissive_are_reported() -> None:
    hits = run_detector("ambient_port_level_strict", AMBIENT + policy("PERMISSIVE", TWO_STRICT))
    assert [str(h.resource) for h in hits] == ["PeerAuthentication shop/api-ports"]
    assert "ports 8080, 9090 STRICT" in hits[0].message
    assert [str(s) for s in hits[0].services or ()] == ["shop/api"]


def test_one_strict_port_or_a_strict_parent_is_not_reported() -> None:
    one = '{"8080": {mode: STRICT}, "9090": {mode: PERMISSIVE}}'
    assert run_detector("ambient_port_level_strict", AMBIENT + policy("PERMISSIVE", one)) == []
    assert run_detector("ambient_port_level_strict", AMBIENT + policy("STRICT", TWO_STRICT)) == []
    inherited = policy("UNSET", TWO_STRICT, namespace_mode="STRICT")
    assert run_detector("ambient_port_level_strict", AMBIENT + inherited) == []


def test_unset_mode_under_a_permissive_namespace_is_reported() -> None:
    text = AMBIENT + policy("UNSET", TWO_STRICT, namespace_mode="PERMISSIVE")
    assert len(run_detector("ambient_port_level_strict", text)) == 1


def test_sidecar_workloads_are_not_reported() -> None:
    sidecar = AMBIENT.replace("istio.io/dataplane-mode: ambient", "istio-injection: enabled")
    assert run_detector("ambient_port_level_strict", sidecar + policy("PERMISSIVE", TWO_STRICT)) == []
