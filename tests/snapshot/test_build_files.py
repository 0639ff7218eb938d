"""Kustomize and Helm sources in a GitOps tree, as a user passes them to ``check`` (issue 11)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from preflight.cli import main
from preflight.resources import demo_cluster_dir

TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
spec:
  replicas: {{ .Values.replicas }}
"""


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args, "--to", "1.22", "--format", "json", "--no-timestamp"])


def chart(directory: Path, marker: str = "Chart.yaml") -> Path:
    (directory / "templates").mkdir(parents=True)
    (directory / marker).write_text("apiVersion: v2\nname: shop\nversion: 0.1.0\n" if marker == "Chart.yaml"
                                    else "replicas: 1\n")
    (directory / "templates" / "deployment.yaml").write_text(TEMPLATE)
    return directory


def gitops_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "gitops"
    shutil.copytree(demo_cluster_dir(), tree / "base")
    return tree


def notes(result: Result) -> list[str]:
    assert result.exit_code in (0, 1), result.output
    notes: list[str] = json.loads(result.output)["notes"]
    return notes


def test_a_plain_kustomization_is_skipped_with_a_note(tmp_path: Path) -> None:
    tree = gitops_tree(tmp_path)
    (tree / "base" / "kustomization.yaml").write_text("resources:\n  - istio-config.yaml\n")
    found = [n for n in notes(check(str(tree))) if "kustomization.yaml" in n]
    assert found == [f"{tree / 'base' / 'kustomization.yaml'}: a Kustomization (build instructions, not a cluster "
                     "object) was skipped; the manifests it lists are read as they are"]


def test_a_kustomization_with_patches_or_remote_bases_hints_at_kustomize_build(tmp_path: Path) -> None:
    tree = gitops_tree(tmp_path)
    overlay = tree / "overlays" / "prod"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n  - ../../base\n  - https://github.com/example/base?ref=v1\n  - ../../../elsewhere\n"
        "patches:\n  - path: replicas.yaml\n"
    )
    (overlay / "replicas.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: reviews\n")
    [note] = [n for n in notes(check(str(tree))) if "Kustomization" in n]
    assert "sets patches" in note
    assert "https://github.com/example/base?ref=v1" in note and "../../../elsewhere" in note
    assert "../../base" not in note  # inside what was passed: read as it is
    assert f"pass `kustomize build {overlay}` output" in note


def test_a_kustomization_passed_as_a_file_is_not_an_object_without_a_name(tmp_path: Path) -> None:
    kustomization = tmp_path / "kustomization.yaml"
    kustomization.write_text("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: shop\n")
    result = check(str(demo_cluster_dir()), str(kustomization))
    assert any("sets namespace" in note for note in notes(result))


def test_an_unrendered_chart_in_a_tree_is_left_out_with_one_line(tmp_path: Path) -> None:
    tree = gitops_tree(tmp_path)
    shop = chart(tree / "charts" / "shop")
    report = check(str(tree))
    found = [n for n in notes(report) if "helm template" in n]
    assert found == [f"{shop}: an unrendered Helm chart (templates/ beside Chart.yaml or values.yaml) was not "
                     "read; run `helm template` and pass its output instead"]
    assert not any(str(shop) in source for source in json.loads(report.output)["snapshot"]["sources"])


def test_a_chart_alone_exits_2_saying_to_run_helm_template(tmp_path: Path) -> None:
    for marker in ("Chart.yaml", "values.yaml"):
        shop = chart(tmp_path / marker.split(".")[0], marker)
        for given in (shop, shop / marker):
            result = check(str(given))
            assert result.exit_code == 2, result.output
            assert "run `helm template` and pass its output instead" in result.output
            assert "{{" not in result.output and "Traceback" not in result.output


def test_a_kustomization_under_another_name_is_known_by_its_api_group(tmp_path: Path) -> None:
    tree = gitops_tree(tmp_path)
    (tree / "base" / "overlay.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamePrefix: prod-\n"
    )
    [note] = [n for n in notes(check(str(tree))) if "overlay.yaml" in n]
    assert "sets namePrefix" in note


def test_a_flux_kustomization_is_a_cluster_object_and_is_read(tmp_path: Path) -> None:
    tree = gitops_tree(tmp_path)
    (tree / "base" / "flux.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps\n"
    )
    result = check(str(tree))
    assert not any("flux.yaml" in n for n in notes(result))
