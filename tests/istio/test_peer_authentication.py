"""PeerAuthentication mode resolution: mesh, namespace, workload and port level."""

from __future__ import annotations

from preflight.istio.cluster import build_cluster
from preflight.istio.peer_authentication import MtlsMode, PeerAuthentications
from preflight.snapshot.interface import Workload
from tests.support import snapshot_from_yaml

WORKLOADS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web}]}
"""


def _setup(policies: str) -> tuple[PeerAuthentications, Workload, Workload]:
    snapshot = snapshot_from_yaml(WORKLOADS + "---\n" + policies if policies else WORKLOADS)
    index = build_cluster(snapshot).peer_authentications
    api = snapshot.workloads_in("payments")[0]
    web = snapshot.workloads_in("shop")[0]
    return index, api, web


def test_mesh_default_is_permissive_without_any_policy() -> None:
    index, api, _ = _setup("")
    setting = index.setting_for(api, 8080)
    assert setting.mode is MtlsMode.PERMISSIVE and setting.policy is None


def test_mesh_wide_policy_lives_in_root_namespace_without_selector() -> None:
    index, api, web = _setup(
        """
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
"""
    )
    assert index.setting_for(api, 8080).mode is MtlsMode.STRICT
    assert index.setting_for(web, 80).level == "mesh"


def test_namespace_policy_overrides_mesh_policy() -> None:
    index, api, web = _setup(
        """
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: relaxed, namespace: payments}
spec: {mtls: {mode: PERMISSIVE}}
"""
    )
    assert index.setting_for(api, 8080).mode is MtlsMode.PERMISSIVE
    assert index.setting_for(api, 8080).policy == "payments/relaxed"
    assert index.setting_for(web, 80).mode is MtlsMode.STRICT


def test_unset_mode_inherits_from_the_level_above() -> None:
    index, api, _ = _setup(
        """
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: strict, namespace: payments}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: api, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
  mtls: {mode: UNSET}
"""
    )
    assert index.setting_for(api, 8080).mode is MtlsMode.STRICT


def test_port_level_mtls_overrides_workload_mode() -> None:
    index, api, _ = _setup(
        """
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: api, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
  mtls: {mode: STRICT}
  portLevelMtls:
    "9090": {mode: DISABLE}
"""
    )
    assert index.setting_for(api, 8080).mode is MtlsMode.STRICT
    on_9090 = index.setting_for(api, 9090)
    assert on_9090.mode is MtlsMode.DISABLE and on_9090.level == "port"
    assert "port 9090" in on_9090.reason


def test_port_level_mtls_is_ignored_without_a_selector() -> None:
    index, api, _ = _setup(
        """
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ns, namespace: payments}
spec:
  mtls: {mode: STRICT}
  portLevelMtls:
    "9090": {mode: DISABLE}
"""
    )
    assert index.setting_for(api, 9090).mode is MtlsMode.STRICT


def test_oldest_policy_wins_between_two_namespace_policies() -> None:
    index, api, _ = _setup(
        """
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: newer, namespace: payments, creationTimestamp: "2024-05-01T00:00:00Z"}
spec: {mtls: {mode: DISABLE}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: older, namespace: payments, creationTimestamp: "2023-01-01T00:00:00Z"}
spec: {mtls: {mode: STRICT}}
"""
    )
    assert index.setting_for(api, 8080).policy == "payments/older"


def test_root_namespace_policy_with_selector_applies_in_every_namespace() -> None:
    index, _, web = _setup(
        """
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: web-strict, namespace: istio-system}
spec:
  selector: {matchLabels: {app: web}}
  mtls: {mode: STRICT}
"""
    )
    setting = index.setting_for(web, 80)
    assert setting.mode is MtlsMode.STRICT and setting.level == "workload"


def test_workloads_of_one_namespace_keep_their_own_workload_and_port_levels() -> None:
    snapshot = snapshot_from_yaml(
        WORKLOADS
        + """---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: payments}
spec:
  template:
    metadata: {labels: {app: worker}}
    spec: {containers: [{name: worker}]}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: payments, namespace: payments}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: api-ports, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
  portLevelMtls: {"9090": {mode: DISABLE}}
"""
    )
    index = build_cluster(snapshot).peer_authentications
    api = snapshot.workloads_in("payments", {"app": "api"})[0]
    worker = snapshot.workloads_in("payments", {"app": "worker"})[0]
    for _ in range(2):  # asked twice: answers computed once and kept must not leak between workloads or ports
        assert index.setting_for(api, 9090).mode is MtlsMode.DISABLE
        assert index.setting_for(api, 9090).level == "port"
        assert index.setting_for(api, 8080).mode is MtlsMode.STRICT
        assert index.setting_for(api, 8080).level == "namespace"
        assert index.setting_for(api, None).level == "namespace"
        assert index.setting_for(worker, 9090).mode is MtlsMode.STRICT
        assert index.setting_for(worker, 9090).policy == "payments/payments"
