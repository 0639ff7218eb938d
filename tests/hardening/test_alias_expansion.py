"""Alias bombs are refused by the YAML reader itself, in every YAML input, however the anchors are spelled.

The earlier guard looked for ``&`` after a space or a bracket in the raw bytes; a U+2028 line
separator (a line break to libyaml, not to a bytes regex) in front of each anchor slipped past it,
and KB overlays, waiver files, edge lists and mesh ConfigMaps had no guard at all.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from preflight import safe_yaml
from preflight.errors import InputError, KnowledgeBaseError
from preflight.kb.loader import load_file
from preflight.snapshot.loader import LoadOptions, _load_bytes, _LoadState
from preflight.traffic.edgelist import parse_yaml as parse_edge_list
from preflight.waivers.loader import parse_waivers

LEVELS = 9  # 9 references per level over 9 levels: 9**9 (387 million) nodes once expanded


def flow_chain(separator: str) -> str:
    """An exponential alias chain as one flow sequence, ``separator`` written before every anchor."""
    parts = [f"{separator}&l0 [" + ", ".join(["lol"] * 9) + "]"]
    for level in range(1, LEVELS):
        parts.append(f"{separator}&l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "[" + ", ".join(parts) + "]"


def merge_key_chain() -> str:
    """The same growth through merge keys: each level merges the one below nine times."""
    lines = ["l0: &l0 {" + ", ".join(f"k{i}: v" for i in range(9)) + "}"]
    for level in range(1, LEVELS):
        merged = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} {{<<: [{merged}], own{level}: x}}")
    return "\n".join(lines) + "\n"


SEPARATORS = {"space": " ", "line-separator": "\u2028", "paragraph-separator": "\u2029", "next-line": "\x85"}


def snapshot_with(value: str) -> bytes:
    header = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb, namespace: default}\n"
    return (header + f"data: {{x: {value}}}\n").encode()


def load(name: str, data: bytes) -> _LoadState:
    state = _LoadState()
    _load_bytes(name, data, LoadOptions(), state)
    return state


@pytest.mark.parametrize("separator", sorted(SEPARATORS))
def test_snapshot_bomb_is_refused_whatever_precedes_the_anchors(separator: str) -> None:
    with pytest.raises(InputError) as caught:
        load("bomb.yaml", snapshot_with(flow_chain(SEPARATORS[separator])))
    assert "alias bomb" in caught.value.message
    assert caught.value.location is not None and caught.value.location.file == "bomb.yaml"
    # The line counts "\n" only, as an editor and `sed -n` do, although libyaml breaks at U+2028 too.
    assert caught.value.location.line == 4


def test_merge_key_bomb_is_refused() -> None:
    with pytest.raises(yaml.MarkedYAMLError, match="alias bomb"):
        safe_yaml.load(merge_key_chain())


def test_anchors_and_aliases_within_the_bound_load() -> None:
    text = "base: &base {app: web}\ncopies: [*base, *base]\nmerged: {<<: *base, tier: front}\n"
    assert safe_yaml.load(text) == {
        "base": {"app": "web"},
        "copies": [{"app": "web"}, {"app": "web"}],
        "merged": {"app": "web", "tier": "front"},
    }


def test_ampersands_and_stars_that_are_not_yaml_syntax_load() -> None:
    data = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: q, namespace: default}\ndata: {url: 'a=1&b=*'}\n"
    state = load("q.yaml", data)
    assert state.objects[0].body["data"] == {"url": "a=1&b=*"}


def test_kb_overlay_bomb_is_a_knowledge_base_error_with_its_line(tmp_path: Path) -> None:
    overlay = tmp_path / "1.31.yaml"
    overlay.write_text(f'minor: "1.31"\nentries: []\nextra: {flow_chain(chr(0x2028))}\n', encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="alias bomb") as caught:
        load_file(overlay)
    assert caught.value.location is not None and caught.value.location.line == 3


def test_waiver_file_bomb_is_an_input_error() -> None:
    with pytest.raises(InputError, match="alias bomb"):
        parse_waivers(f"waivers: {flow_chain(' ')}\n", "waivers.yaml")


def test_edge_list_bomb_is_an_input_error() -> None:
    with pytest.raises(InputError, match="alias bomb"):
        parse_edge_list("edges.yaml", f"edges: {flow_chain(' ')}\n")


def run_cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # The timeout only keeps a regression from hanging the suite; refusing is expected at once.
    return subprocess.run(
        [sys.executable, "-m", "preflight", *arguments], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_cli_refuses_a_mesh_config_map_bomb(tmp_path: Path) -> None:
    mesh = textwrap.indent(merge_key_chain(), "    ")
    snapshot = tmp_path / "mesh.yaml"
    snapshot.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istiod, namespace: istio-system}\n"
        "spec: {template: {spec: {containers: [{name: discovery, image: 'docker.io/istio/pilot:1.30.1'}]}}}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\n"
        "data:\n  mesh: |\n" + mesh,
        encoding="utf-8",
    )
    result = run_cli("check", str(snapshot), "--to", "1.31", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "alias bomb" in result.stderr and "mesh.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_refuses_a_kb_overlay_bomb(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "1.31.yaml").write_text(
        f'minor: "1.31"\nentries: []\nextra: {flow_chain(chr(0x2028))}\n', encoding="utf-8"
    )
    result = run_cli("kb", "validate", str(tmp_path / "kb"), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "alias bomb" in result.stderr and "1.31.yaml:3" in result.stderr
