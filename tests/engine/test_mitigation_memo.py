"""The parsed-version memo behind ``advice_at`` changes no advice: every bundled entry and target, with and without."""

from __future__ import annotations

import pytest

from preflight import versions
from preflight.engine import mitigation
from preflight.kb.loader import load_knowledge_base
from preflight.versions import parse_version


def test_advice_of_every_entry_at_every_target_is_the_same_without_the_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    kb = load_knowledge_base()
    targets = [parse_version(t) for t in ("1.22", "1.24.2", "1.26", "1.28.0", "1.31")]
    remembered = [mitigation.advice_at(entry, target) for entry in kb.entries for target in targets]
    monkeypatch.setattr(versions, "_remembered", versions._parse)
    computed = [mitigation.advice_at(entry, target) for entry in kb.entries for target in targets]
    assert remembered == computed
    # The walk back through earlier tags ran: some profile advice names the last version that kept it.
    assert any(
        "compatibilityVersion" in advice.mitigation.text and "only up to" in advice.mitigation.text
        for advice in remembered
    )
