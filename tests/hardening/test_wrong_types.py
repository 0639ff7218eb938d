"""Wrong types at any field of realistic objects: the check gives a report or a one-line input error.

The seed is the bundled demo cluster; hypothesis replaces one to four fields anywhere in
its objects (a list where a mapping belongs, a mapping where a string belongs, numbers,
booleans, nulls, nesting) and runs the whole check over the full KB path 1.10 → 1.31,
simulation included, then renders every format. Anything but a ``Report`` or an
``InputError`` is a crash a gate would have to map to an internal error.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preflight.errors import InputError
from tests.hardening.support import demo_objects, field_paths, full_check, render_all, replace_at, snapshot_of

SEED_OBJECTS = demo_objects()
PATHS = [(index, path) for index, obj in enumerate(SEED_OBJECTS) for path in field_paths(obj)]

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["", "*", "-1", "true", "null", "1.22", "*.svc.cluster.local", "a/b/c", "::1", "10.0.0.0/8"]),
)
WRONG_VALUES = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers(0, 9)), inner, max_size=3),
    ),
    max_leaves=6,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations=st.lists(st.tuples(st.sampled_from(PATHS), WRONG_VALUES), min_size=1, max_size=4))
def test_wrong_types_give_a_report_or_an_input_error(mutations: list[tuple[tuple[int, Any], Any]]) -> None:
    objects = demo_objects()
    for (index, path), value in mutations:
        try:
            replace_at(objects[index], path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced a parent of this path
    try:
        # The mesh ConfigMap's embedded YAML is read with the control plane, after loading.
        report = full_check(snapshot_of(objects))
    except InputError as error:
        assert error.location is not None and error.location.file == "mutated.yaml"
        return
    rendered = render_all(report)
    assert all(isinstance(text, str) and text for text in rendered.values())


def test_the_unmutated_seed_gives_findings() -> None:
    """The seed is meaningful: the same check on the untouched demo cluster finds affected services."""
    report = full_check(snapshot_of(demo_objects()))
    assert report.findings
    assert any(impact.affected for impact in report.services)


# The loader validates these itself (a wrong type there is an InputError naming the line), so
# the sweep below leaves them to the random test and mutates everything the detectors read.
_LOADER_CHECKED = {("kind",), ("apiVersion",), ("metadata",), ("spec",), ("items",)} | {
    ("metadata", key) for key in ("name", "namespace", "labels", "annotations", "generateName")
}
# A list where a mapping or string belongs, a mapping where a list or string belongs, a number, nothing.
SWEEP_VALUES = ([{"x": 1}], {"x": [1]}, 7, None)


def sweep_rounds() -> list[list[tuple[int, tuple[str | int, ...]]]]:
    """Round r mutates the r-th field of every object at once, so every field is covered in few checks."""
    per_object = [[p for p in field_paths(obj) if p not in _LOADER_CHECKED] for obj in SEED_OBJECTS]
    longest = max(len(paths) for paths in per_object)
    return [
        [(index, paths[round_]) for index, paths in enumerate(per_object) if round_ < len(paths)]
        for round_ in range(longest)
    ]


def test_every_field_of_every_object_survives_each_wrong_type() -> None:
    crashes: dict[str, str] = {}
    for round_ in sweep_rounds():
        for value in SWEEP_VALUES:
            objects = demo_objects()
            for index, path in round_:
                try:
                    replace_at(objects[index], path, value)
                except (KeyError, IndexError, TypeError):
                    continue  # a parent of this path was replaced in the same round
            try:
                render_all(full_check(snapshot_of(objects)))
            except InputError:
                pass
            except Exception as error:  # collected so one run names every crashing place
                frame = error.__traceback__
                while frame is not None and frame.tb_next is not None:
                    frame = frame.tb_next
                where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame else "?"
                crashes.setdefault(where, f"{type(error).__name__}: {error} (value {value!r}, {round_[:3]}...)")
    assert not crashes, "\n".join(f"{where}: {what}" for where, what in crashes.items())
