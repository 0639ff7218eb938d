from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from preflight.errors import KnowledgeBaseError
from preflight.platform.facts import bundled_facts, default_facts_path, load_facts


def test_bundled_facts_cover_every_minimum_and_release() -> None:
    facts = bundled_facts()
    assert facts.minimum_kubernetes["1.24"] == (1, 28)
    assert facts.minimum_kubernetes["1.30"] == (1, 32)
    assert facts.releases["1.24"].released == date(2024, 11, 7)
    assert all(r.url.startswith("https://istio.io/") for r in facts.releases.values())
    assert (facts.control_plane_ahead_max, facts.data_plane_ahead_max) == (1, 0)
    assert (facts.support_minors_after, facts.support_weeks_after) == (2, 6)


def test_platform_file_is_outside_the_kb_glob() -> None:
    path = default_facts_path()
    assert path.parent.name == "platform"
    assert path not in set(path.parent.parent.glob("*.yaml"))


def _pair(text: str) -> tuple[str, str]:
    old, new = text.split(" => ")
    return old, new


def _broken(tmp_path: Path, text: str) -> Path:
    target = tmp_path / "platform.yaml"
    target.write_text(default_facts_path().read_text(encoding="utf-8").replace(*_pair(text)), encoding="utf-8")
    return target


def test_bad_release_date_names_file_and_line(tmp_path: Path) -> None:
    path = _broken(tmp_path, '"1.24": {date: 2024-11-07 => "1.24": {date: soon')
    with pytest.raises(KnowledgeBaseError) as raised:
        load_facts(path)
    expected_line = next(
        n for n, line in enumerate(path.read_text().splitlines(), 1) if line.strip().startswith('"1.24": {date: soon')
    )
    assert str(raised.value).startswith(f"{path}:{expected_line}: ")
    assert "1.24" in str(raised.value)


def test_bad_minimum_names_the_entry(tmp_path: Path) -> None:
    path = _broken(tmp_path, '"1.26": "1.29" => "1.26": "one-twenty-nine"')
    with pytest.raises(KnowledgeBaseError, match="one-twenty-nine"):
        load_facts(path)


def test_invalid_yaml_is_a_knowledge_base_error(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text("schema: 1\nkubernetes: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=str(path)):
        load_facts(path)


def test_missing_file_is_a_knowledge_base_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="cannot read"):
        load_facts(tmp_path / "absent.yaml")
