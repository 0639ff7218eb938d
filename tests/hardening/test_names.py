"""Names Kubernetes would refuse are refused at load (issue 16, item 3).

Each hostile object breaks one rule; the error is one line naming the file, the object's
line and the rule, and points at ``--allow-invalid-names``, which loads the object as it is.
"""

from __future__ import annotations

import pytest

from preflight.errors import InputError
from preflight.snapshot.loader import LoadOptions, _load_bytes, _LoadState

HOSTILE_NAMES: dict[str, tuple[str, str]] = {
    # case: (the object's YAML, words the message must hold to say which rule)
    "service name with newline": ('kind: Service\nmetadata: {name: "a\\nb"}\n', "DNS-1035 label"),
    "service name with backtick and pipe": ("kind: Service\nmetadata: {name: 'a`|b'}\n", "DNS-1035 label"),
    "service name starting with a digit": ("kind: Service\nmetadata: {name: 1abc}\n", "DNS-1035 label"),
    "deployment name with NUL": ('kind: Deployment\nmetadata: {name: "web\\0"}\n', "DNS-1123 subdomain"),
    "upper-case pod name": ("kind: Pod\nmetadata: {name: Web}\n", "DNS-1123 subdomain"),
    "namespace with a dot": ("kind: Pod\nmetadata: {name: web, namespace: a.b}\n", "DNS-1123 label"),
    "namespace name too long": (f"kind: Namespace\nmetadata: {{name: {'a' * 64}}}\n", "DNS-1123 label"),
    "label value with markup": ("kind: Pod\nmetadata: {name: w, labels: {team: '<b>x</b>'}}\n", "label value"),
    "label value too long": (f"kind: Pod\nmetadata: {{name: w, labels: {{team: {'a' * 64}}}}}\n", "label value"),
    "label key with space": ("kind: Pod\nmetadata: {name: w, labels: {'a b': x}}\n", "qualified name"),
    "label key with bad prefix": ("kind: Pod\nmetadata: {name: w, labels: {'Ex_ample/a': x}}\n", "prefix"),
    "role name with control byte": ('kind: ClusterRole\nmetadata: {name: "system:\\e[31m"}\n', "object name"),
    "kind with newline": ('kind: "Serv\\nice"\nmetadata: {name: a}\n', "not a Kubernetes kind"),
}


def load(data: bytes, allow_invalid_names: bool = False) -> _LoadState:
    state = _LoadState()
    _load_bytes("objects.yaml", data, LoadOptions(allow_invalid_names=allow_invalid_names), state)
    return state


@pytest.mark.parametrize("case", sorted(HOSTILE_NAMES))
def test_name_kubernetes_would_refuse_is_an_error_naming_file_line_and_rule(case: str) -> None:
    text, rule = HOSTILE_NAMES[case]
    data = ("kind: ConfigMap\nmetadata: {name: fine}\n---\n" + text).encode()
    with pytest.raises(InputError) as caught:
        load(data)
    message = str(caught.value)
    assert message.startswith("objects.yaml:4 "), message  # the hostile object's own line
    assert rule in message and "\n" not in message and "\x00" not in message and "\x1b" not in message
    if "kind" not in case:
        assert "--allow-invalid-names" in message


@pytest.mark.parametrize("case", sorted(case for case in HOSTILE_NAMES if "kind" not in case))
def test_allow_invalid_names_loads_the_object_as_it_is(case: str) -> None:
    state = load(HOSTILE_NAMES[case][0].encode(), allow_invalid_names=True)
    assert len(state.objects) == 1


@pytest.mark.parametrize(
    "text",
    [
        "kind: ClusterRole\nmetadata: {name: 'system:controller:attachdetach-controller'}\n",
        "kind: Pod\nmetadata: {generateName: web-7d4b9-, namespace: shop}\n",
        "kind: Pod\nmetadata: {name: web-1.v2, labels: {app.kubernetes.io/name: web, version: v1.2_3, empty: ''}}\n",
        "kind: Service\nmetadata: {name: a, namespace: " + "n" * 63 + "}\n",
        "kind: CustomResourceDefinition\nmetadata: {name: virtualservices.networking.istio.io}\n",
    ],
)
def test_names_kubernetes_accepts_load(text: str) -> None:
    assert len(load(text.encode()).objects) == 1
