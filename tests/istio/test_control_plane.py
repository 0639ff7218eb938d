from preflight.istio.control_plane import read_control_plane
from tests.support import snapshot_from_yaml


def istiod(name: str = "istiod", revision: str | None = None, image: str = "docker.io/istio/pilot:1.22.3") -> str:
    labels = "{app: istiod" + (f", istio.io/rev: {revision}" if revision else "") + "}"
    return f"""
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: istio-system, labels: {labels}}}
spec:
  template:
    spec:
      containers:
      - name: discovery
        image: {image}
        env:
        - {{name: PILOT_TRACE_SAMPLING, value: "1.0"}}
        - {{name: POD_NAME, valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}}}
"""


MESH = """
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    rootNamespace: mesh-root
    trustDomain: example.org
    defaultConfig:
      tracing: {zipkin: {address: "zipkin.istio-system:9411"}}
"""


def test_istiod_revision_version_env_and_mesh_config_are_read() -> None:
    plane = read_control_plane(snapshot_from_yaml(istiod() + MESH))
    revision = plane.revisions[0]
    assert revision.name == "default"
    assert str(revision.version) == "1.22.3"
    assert revision.env == {"PILOT_TRACE_SAMPLING": "1.0", "POD_NAME": None}
    assert revision.mesh_value("defaultConfig.tracing.zipkin.address") == "zipkin.istio-system:9411"
    assert plane.root_namespace == "mesh-root"
    assert plane.trust_domain == "example.org"


def test_revisioned_istiod_reads_its_own_mesh_config_map() -> None:
    revisioned_mesh = MESH.replace("name: istio,", "name: istio-canary,")
    plane = read_control_plane(snapshot_from_yaml(istiod("istiod-canary", "canary") + revisioned_mesh))
    assert plane.revision("canary") is not None
    assert plane.revision("canary").has_mesh_key("trustDomain")  # type: ignore[union-attr]


def test_detected_version_is_the_oldest_revision_and_says_so() -> None:
    text = istiod() + istiod("istiod-old", "old", "gcr.io/istio-release/pilot:1.21.1-distroless")
    version, how = read_control_plane(snapshot_from_yaml(text)).detected_version()
    assert str(version) == "1.21.1"
    assert "oldest of 2" in how and "--from" in how


def test_install_inputs_fill_what_the_running_istiod_does_not_show() -> None:
    operator = """
---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: installed, namespace: istio-system}
spec:
  values: {compatibilityVersion: "1.21", pilot: {env: {PILOT_TRACE_SAMPLING: "50", EXTRA: "yes"}}}
"""
    revision = read_control_plane(snapshot_from_yaml(istiod() + operator)).revisions[0]
    assert revision.compatibility_version == "1.21"
    assert revision.env["PILOT_TRACE_SAMPLING"] == "1.0"  # what runs wins
    assert revision.env["EXTRA"] == "yes"


def test_later_helm_values_file_wins_among_install_inputs() -> None:
    values = """
---
apiVersion: preflight/v1
kind: HelmValues
metadata: {{name: {name}, namespace: istio-system}}
values: {{pilot: {{env: {{FLAG: "{value}"}}}}}}
"""
    text = values.format(name="a.yaml", value="first") + values.format(name="b.yaml", value="second")
    revision = read_control_plane(snapshot_from_yaml(text)).revisions[0]
    assert revision.env["FLAG"] == "second"


def test_version_comes_from_labels_when_the_image_has_no_tag() -> None:
    text = istiod(image="docker.io/istio/pilot@sha256:" + "a" * 64).replace(
        "labels: {app: istiod}", "labels: {app: istiod, operator.istio.io/version: 1.20.2}"
    )
    assert str(read_control_plane(snapshot_from_yaml(text)).revisions[0].version) == "1.20.2"
