"""Reports written piece by piece: the same text as rendered whole, and all files written or none."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from preflight.formats.interface import FORMATS, piecewise_renderer, renderer
from preflight.output import write_all_atomic
from tests.formats.test_golden import fixture_report


@pytest.mark.parametrize("format_name", FORMATS)
def test_pieces_join_to_the_rendered_report(format_name: str) -> None:
    report = fixture_report()
    assert "".join(piecewise_renderer(format_name)(report)) == renderer(format_name)(report)


def test_json_is_produced_in_several_pieces() -> None:
    assert len(list(piecewise_renderer("json")(fixture_report()))) > 3


class RenderFailed(Exception):
    pass


def test_a_report_failing_half_way_leaves_every_target_as_it_was(tmp_path: Path) -> None:
    kept = tmp_path / "report.html"
    kept.write_text("previous report")

    def fails_half_way() -> Iterator[str]:
        yield '{"schema": '
        raise RenderFailed

    with pytest.raises(RenderFailed):
        write_all_atomic([(str(kept), lambda: ["new report"]), (str(tmp_path / "out" / "r.json"), fails_half_way)])
    assert kept.read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["report.html"]


def test_every_report_is_in_place_after_a_successful_write(tmp_path: Path) -> None:
    write_all_atomic([(str(tmp_path / "a.txt"), lambda: ["a", "b"]), (str(tmp_path / "b.json"), lambda: iter(["{}"]))])
    assert (tmp_path / "a.txt").read_text() == "ab" and (tmp_path / "b.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.json"]
