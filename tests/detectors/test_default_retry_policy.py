from tests.support import istiod, run_detector

CALLER = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 80, name: http}]
"""

TCP_SERVICE = """
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  selector: {app: db}
  ports: [{port: 5432, name: tcp-postgres}]
"""


def _virtual_service(*retries: str) -> str:
    routes = "\n".join(f"  - route: [{{destination: {{host: api}}}}]\n{r}" for r in retries)
    return f"""
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: api, namespace: shop}}
spec:
  hosts: [api]
  http:
{routes}
"""


def _mesh(policy: str) -> str:
    return istiod("1.23.2", mesh=f"defaultHttpRetryPolicy: {policy}")


def _reported(text: str) -> list[str]:
    return [str(h.resource) for h in run_detector("default_retry_policy", text)]


def test_service_without_virtual_service_is_reported() -> None:
    assert _reported(CALLER) == ["Service shop/api"]


def test_tcp_only_service_is_not_reported() -> None:
    assert _reported(CALLER + TCP_SERVICE) == ["Service shop/api"]


def test_no_sidecar_caller_reports_nothing() -> None:
    assert _reported(CALLER.replace("istio-injection: enabled", "team: shop")) == []


def test_every_route_with_own_retry_on_is_not_reported() -> None:
    text = CALLER + _virtual_service(
        "    retries: {attempts: 3, retryOn: 'connect-failure,503'}",
        "    retries: {attempts: 0}",
    )
    assert _reported(text) == []


def test_one_route_without_retries_is_reported() -> None:
    text = CALLER + _virtual_service("    retries: {attempts: 3, retryOn: 5xx}", "    timeout: 5s")
    assert _reported(text) == ["Service shop/api"]


def test_attempts_without_retry_on_keep_the_default_codes() -> None:
    assert _reported(CALLER + _virtual_service("    retries: {attempts: 5}")) == ["Service shop/api"]


def test_mesh_default_with_retry_on_reports_nothing() -> None:
    assert _reported(CALLER + _mesh("{attempts: 2, retryOn: 'connect-failure,refused-stream'}")) == []


def test_mesh_default_with_attempts_only_still_reports() -> None:
    assert _reported(CALLER + _mesh("{attempts: 4}")) == ["Service shop/api"]
