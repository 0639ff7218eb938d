"""The JSON report encoded batch by batch is byte for byte the document encoded whole."""

import orjson
import pytest

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import Report
from preflight.formats import json_format
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.resources import demo_cluster_dir, demo_traffic_file
from preflight.snapshot.loader import load_snapshot
from preflight.traffic.loader import load_traffic
from preflight.versions import parse_version
from tests.formats.test_golden import fixture_report
from tests.formats.test_html_scale import large_report


def whole(report: Report) -> bytes:
    return orjson.dumps(json_format.to_document(report), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"


def demo_report() -> Report:
    snapshot = load_snapshot([str(demo_cluster_dir())])
    options = CheckOptions(target=parse_version("1.22"), timestamp=False)
    return run_check(snapshot, load_knowledge_base(), options, load_traffic([str(demo_traffic_file())]))


@pytest.mark.parametrize("batch", [1, 3, 2000])
@pytest.mark.parametrize("build", [fixture_report, demo_report, large_report])
def test_streamed_bytes_equal_the_whole_document(build: object, batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_format, "_BATCH", batch)
    report = build()  # type: ignore[operator]
    streamed = b"".join(json_format.chunks(report))
    assert streamed == whole(report)
    assert json_format.render(report) == streamed.decode()
    assert orjson.loads(streamed)["findings"]  # every report here has findings, all of them in the stream


def test_an_empty_long_list_is_written_as_orjson_writes_it() -> None:
    assert b"".join(json_format._list_chunks([])) == b"[]"


@pytest.mark.parametrize("build", [fixture_report, demo_report, large_report])
def test_sarif_is_what_the_standard_encoder_writes(build: object) -> None:
    import json

    from preflight.formats import sarif_format

    report = build()  # type: ignore[operator]
    expected = json.dumps(sarif_format.to_document(report), indent=2, ensure_ascii=False) + "\n"
    assert sarif_format.render(report) == expected
