import pytest

from preflight.errors import VersionError
from preflight.versions import ReleaseLines, parse_version, upgrade_path, version_from_image

KNOWN = [f"1.{n}" for n in range(10, 32)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.21", "1.21"), ("v1.21.3", "1.21.3"), ("1.20.3-distroless", "1.20.3"), ("1.22.0-beta.1", "1.22.0-beta.1")],
)
def test_versions_parse(text: str, expected: str) -> None:
    assert str(parse_version(text)) == expected


@pytest.mark.parametrize("text", ["", "latest", "one.two", "1"])
def test_garbage_is_a_version_error(text: str) -> None:
    with pytest.raises(VersionError):
        parse_version(text)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("docker.io/istio/pilot:1.20.3", "1.20.3"),
        ("gcr.io/istio-release/pilot:1.22.1-distroless", "1.22.1"),
        ("registry.local:5000/mirror/pilot:1.21.0@sha256:abcd", "1.21.0"),
        ("docker.io/istio/pilot@sha256:abcd", None),
        ("docker.io/istio/pilot:latest", None),
    ],
)
def test_versions_come_from_image_tags(image: str, expected: str | None) -> None:
    found = version_from_image(image)
    assert (str(found) if found else None) == expected


def test_path_covers_every_minor_in_between() -> None:
    path = upgrade_path(parse_version("1.20.3"), parse_version("1.22.0"), KNOWN)
    assert path.minors == ("1.21", "1.22")


def test_patch_entries_apply_inside_their_minor() -> None:
    path = upgrade_path(parse_version("1.21.0"), parse_version("1.21.4"), KNOWN)
    assert path.includes(parse_version("1.21.2"))
    assert not path.includes(parse_version("1.21.0"))
    assert not path.includes(parse_version("1.21.5"))


def test_target_without_patch_means_any_patch_of_that_minor() -> None:
    path = upgrade_path(parse_version("1.20.3"), parse_version("1.22"), KNOWN)
    assert path.includes(parse_version("1.22.4"))
    assert not path.includes(parse_version("1.20.3"))


def test_same_version_is_an_empty_path() -> None:
    path = upgrade_path(parse_version("1.22.1"), parse_version("1.22.1"), KNOWN)
    assert path.minors == ()


def test_downgrade_is_an_error() -> None:
    with pytest.raises(VersionError, match="downgrade"):
        upgrade_path(parse_version("1.22.0"), parse_version("1.21.0"), KNOWN)
    with pytest.raises(VersionError, match="downgrade"):
        upgrade_path(parse_version("1.22.3"), parse_version("1.22.1"), KNOWN)


@pytest.mark.parametrize(("source", "target"), [("1.8.0", "1.12.0"), ("1.20.0", "1.40.0"), ("2.0.0", "2.1.0")])
def test_versions_outside_the_knowledge_base_are_errors(source: str, target: str) -> None:
    with pytest.raises(VersionError, match="outside the knowledge base"):
        upgrade_path(parse_version(source), parse_version(target), KNOWN)


def lines(*versions: str) -> ReleaseLines:
    return ReleaseLines(tuple(parse_version(v) for v in versions))


# 45415-overlapping-wildcards: upstream shipped the fix on three older lines before 1.21.0.
WILDCARDS = ("1.18.7", "1.19.6", "1.20.2", "1.21.0")


@pytest.mark.parametrize(
    ("version", "has_it"),
    [
        ("1.17.9", False),  # before every listed line
        ("1.18.6", False),
        ("1.18.7", True),
        ("1.19.5", False),
        ("1.19.6", True),
        ("1.20.1", False),
        ("1.20.2", True),
        ("1.21.0-rc.0", False),  # a pre-release of the main line's .0 comes before it
        ("1.21.0", True),
        ("1.23.0", True),  # past the main line
    ],
)
def test_a_version_has_a_backported_change_from_its_own_lines_listed_patch(version: str, has_it: bool) -> None:
    assert lines(*WILDCARDS).present_in(parse_version(version)) is has_it


@pytest.mark.parametrize(
    ("source", "target", "applies"),
    [
        ("1.20.1", "1.20.5", True),  # patch to patch across the backport
        ("1.20.1", "1.20.2", True),
        ("1.20.2", "1.20.5", False),  # already there
        ("1.20.5", "1.21.0", False),  # backport already present: nothing new at the main line
        ("1.19.6", "1.22.0", False),
        ("1.19.5", "1.20.1", False),  # neither side has it, although 1.19.6 lies in between
        ("1.19.5", "1.21.3", True),  # mixed: a patch line, then minors
        ("1.17.2", "1.18.7", True),
        ("1.20", "1.20.5", True),  # --from without patch is .0
        ("1.20.5", "1.21", False),
        ("1.20.1", "1.20", True),  # --to without patch is the newest patch of 1.20
        ("1.21.0", "1.22.3", False),
    ],
)
def test_a_backported_change_applies_when_the_source_lacks_it_and_the_target_has_it(
    source: str, target: str, applies: bool
) -> None:
    path = upgrade_path(parse_version(source), parse_version(target), KNOWN)
    assert path.applies(lines(*WILDCARDS)) is applies


def test_one_listed_version_is_the_old_rule_from_before_v_up_to_to() -> None:
    for source, target, version in [("1.20.3", "1.22.0", "1.21.0"), ("1.21.0", "1.21.4", "1.21.2")]:
        path = upgrade_path(parse_version(source), parse_version(target), KNOWN)
        assert path.applies(lines(version)) == path.includes(parse_version(version))
        assert path.applies(lines(version))


def test_source_has_decides_what_the_simulator_already_applies_before() -> None:
    path = upgrade_path(parse_version("1.20.5"), parse_version("1.21.0"), KNOWN)
    assert path.source_has(lines(*WILDCARDS))
    assert not path.source_has(lines("1.21.0"))


@pytest.mark.parametrize(
    ("source", "target", "arrival"),
    [("1.20.1", "1.20.5", "1.20.2"), ("1.20.1", "1.21.0", "1.21.0"), ("1.19.5", "1.22.1", "1.21.0")],
)
def test_the_release_that_brings_a_change_is_on_the_newest_line_the_path_reaches(
    source: str, target: str, arrival: str
) -> None:
    path = upgrade_path(parse_version(source), parse_version(target), KNOWN)
    assert str(path.arrival(lines(*WILDCARDS))) == arrival


@pytest.mark.parametrize(
    ("source", "target", "crossed"),
    [
        ("1.22.1", "1.22.6", ["1.22.2 to 1.22.6"]),
        ("1.22.1", "1.22.2", ["1.22.2"]),
        ("1.22.1", "1.22", ["1.22.2 and later patches"]),
        ("1.22", "1.22.3", ["1.22.1 to 1.22.3"]),
        ("1.22.0-rc.0", "1.22.1", ["1.22.0 to 1.22.1"]),
        ("1.22.4", "1.22.4", []),
        ("1.20.1", "1.22.3", ["1.20.2 and later patches", "1.21 (every patch)", "1.22.0 to 1.22.3"]),
        ("1.20.1", "1.21", ["1.20.2 and later patches", "1.21 (every patch)"]),
        ("1.20.1", "1.21.0", ["1.20.2 and later patches", "1.21.0"]),
    ],
)
def test_the_path_says_which_patch_releases_it_crosses(source: str, target: str, crossed: list[str]) -> None:
    path = upgrade_path(parse_version(source), parse_version(target), KNOWN)
    assert [line.label for line in path.crossed] == crossed


@pytest.mark.parametrize(
    ("versions", "problem"),
    [
        (("1.20.2", "1.21.0"), None),
        (("1.26.1", "1.27.0"), None),
        (("1.29.6", "1.30.3"), None),  # the main line may be a patch, when no .0 has it yet
        (("1.21.0", "1.20.2"), "ascending"),
        (("1.20.2", "1.20.5"), "one minor line twice"),
        (("1.20.0", "1.21.0"), ".0 release before the main line"),
        (("1.20", "1.21.0"), "patch number"),
        (("1.20.2", "1.21.0-rc.0"), "patch number"),
        ((), "at least one"),
    ],
)
def test_release_lines_must_be_one_full_version_per_minor_ascending(
    versions: tuple[str, ...], problem: str | None
) -> None:
    found = lines(*versions).problem()
    assert found is None if problem is None else (found is not None and problem in found)


def test_remembered_versions_are_what_parsing_gives() -> None:
    from preflight import versions

    for text in ("1.21", "v1.21.3", "1.22.0-beta.1", "1.20.3-distroless", "1.24.0-abc123"):
        assert parse_version(text) == versions._parse(text)
        assert parse_version(text) is parse_version(text)


@pytest.mark.parametrize("value", [["1.21"], {"version": "1.21"}, None])
def test_a_value_that_is_not_text_is_still_a_version_error(value: object) -> None:
    # Values read from a snapshot or KB file can be any YAML type; the memo must not turn them into a TypeError.
    with pytest.raises(VersionError):
        parse_version(value)  # type: ignore[arg-type]


def test_garbage_is_refused_every_time_not_only_the_first() -> None:
    for _ in range(2):
        with pytest.raises(VersionError):
            parse_version("latest")
