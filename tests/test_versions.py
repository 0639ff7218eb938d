import pytest

from preflight.errors import VersionError
from preflight.versions import parse_version, upgrade_path, version_from_image

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
