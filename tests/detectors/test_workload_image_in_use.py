from tests.support import run_detector


def deployment(name: str, image: str) -> str:
    return f"""
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: monitoring}}
spec:
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec: {{containers: [{{name: main, image: "{image}"}}]}}
"""


TEXT = deployment("old-grafana", "docker.io/grafana/grafana:7.1.5") + deployment(
    "new-grafana", "grafana/grafana:10.2.0"
) + deployment("prom", "prom/prometheus:v2.50.0")


def test_old_image_is_reported() -> None:
    hits = run_detector("workload_image_in_use", TEXT, {"images": ["grafana/grafana"], "below": "7.2"})
    assert [h.resource.name for h in hits] == ["old-grafana"]


def test_without_version_every_matching_image_is_reported() -> None:
    hits = run_detector("workload_image_in_use", TEXT, {"images": ["grafana/grafana"]})
    assert sorted(h.resource.name for h in hits) == ["new-grafana", "old-grafana"]
