"""``preflight traffic export``: count who called whom over a window, from a Prometheus HTTP API.

Runs two instant queries against ``<URL>/api/v1/query``, ``increase()`` of
``istio_requests_total`` and of ``istio_tcp_connections_opened_total`` over ``--window``,
summed by the labels an edge needs, and writes one Prometheus query result (the
metric name put back on each sample) that ``--traffic`` reads.

Authentication: ``--header 'Authorization: Bearer ...'`` (repeatable, any header),
``--bearer-token-file``, or ``user:password@`` in the URL (sent as basic auth). Credentials
are sent to the Prometheus host only (never along a redirect) and never printed or written.
TLS: ``--ca-file`` to trust a private CA, ``--insecure-skip-tls-verify`` to not verify.
"""

from __future__ import annotations

import base64
import json
import re
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from preflight import safe_json
from preflight.errors import InputError, Location, UsageError
from preflight.output import write_atomic
from preflight.traffic.prometheus import METRICS, query

DEFAULT_WINDOW = "7d"
DEFAULT_TIMEOUT_SECONDS = 60.0
MAX_RESPONSE_BYTES = 512 * 1024 * 1024
_WINDOW = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


@dataclass(frozen=True)
class PrometheusClient:
    """Where and how to ask. ``headers`` may hold credentials: never print them."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    ca_file: str | None = None
    insecure_skip_tls_verify: bool = False
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @property
    def display_url(self) -> str:
        """The URL without any ``user:password@``."""
        parts = urllib.parse.urlsplit(self.url)
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))

    def instant_query(self, promql: str) -> dict[str, Any]:
        """The decoded ``/api/v1/query`` answer; ``InputError`` for every failure."""
        endpoint = self.display_url.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        request = urllib.request.Request(endpoint, headers={"Accept": "application/json"})
        for name, value in self._auth_headers().items():
            request.add_unredirected_header(name, value)
        where = Location(self.display_url)
        try:
            body = _fetch_within(request, self.timeout, self._tls())
        except _DeadlinePassed:
            raise InputError(f"Prometheus did not answer in full within --timeout {self.timeout:g}s", where) from None
        except urllib.error.HTTPError as error:
            raise InputError(_http_failure(error), where) from None
        except urllib.error.URLError as error:
            raise InputError(f"cannot reach Prometheus: {error.reason}", where) from None
        except (TimeoutError, OSError) as error:
            raise InputError(f"cannot reach Prometheus: {error}", where) from None
        if len(body) > MAX_RESPONSE_BYTES:
            raise InputError(f"answer is larger than {MAX_RESPONSE_BYTES // (1024 * 1024)} MiB", where)
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("the answer is not UTF-8 JSON: is this a Prometheus HTTP API URL?", where) from None
        answer = safe_json.parse(self.display_url, text, what="JSON from Prometheus")
        if not isinstance(answer, dict) or answer.get("status") != "success":
            reason = answer.get("error") if isinstance(answer, dict) else None
            raise InputError(f"the query failed: {reason or 'no success status'}", where)
        data = answer.get("data")
        if not isinstance(data, dict) or data.get("resultType") != "vector" or not isinstance(
            data.get("result"), list
        ):
            raise InputError("the answer is not an instant-query vector", where)
        return answer

    def _auth_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        parts = urllib.parse.urlsplit(self.url)
        if parts.username is not None and not any(k.lower() == "authorization" for k in headers):
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        return headers

    def _tls(self) -> ssl.SSLContext | None:
        if not self.display_url.lower().startswith("https:"):
            return None
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as error:
            raise InputError(f"cannot use the CA file: {error}", Location(self.ca_file or "")) from None
        if self.insecure_skip_tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


class _DeadlinePassed(Exception):
    pass


def _fetch_within(request: urllib.request.Request, timeout: float, tls: ssl.SSLContext | None) -> bytes:
    """The whole answer, or ``_DeadlinePassed`` once ``timeout`` seconds have gone by since the start.

    A socket timeout bounds each read only: a server sending a byte every half second would
    keep a request alive for days. The request runs in a worker thread that the caller stops
    waiting for at the deadline (a daemon, so it cannot keep the process alive); the worker
    also checks the deadline between reads and gives up by itself.
    """
    ends_at = time.monotonic() + timeout
    outcome: list[bytes | BaseException] = []

    def fetch() -> None:
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=tls) as response:
                pieces: list[bytes] = []
                size = 0
                while size <= MAX_RESPONSE_BYTES:
                    if time.monotonic() > ends_at:
                        raise _DeadlinePassed
                    piece = response.read1(1024 * 1024)
                    if not piece:
                        break
                    pieces.append(piece)
                    size += len(piece)
                outcome.append(b"".join(pieces))
        except BaseException as error:  # handed to the waiting thread, which raises it
            outcome.append(error)

    worker = threading.Thread(target=fetch, name="prometheus-query", daemon=True)
    worker.start()
    worker.join(max(0.0, ends_at - time.monotonic()))
    if not outcome:
        raise _DeadlinePassed
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def export_traffic(client: PrometheusClient, window: str) -> dict[str, Any]:
    """One Prometheus query result holding both metrics' samples, each with its metric name."""
    check_window(window)
    samples: list[Any] = []
    queries: list[str] = []
    for metric in METRICS:
        promql = query(metric, window)
        queries.append(promql)
        for sample in client.instant_query(promql)["data"]["result"]:
            if isinstance(sample, dict) and isinstance(sample.get("metric"), dict):
                sample["metric"] = {"__name__": metric, **sample["metric"]}
            samples.append(sample)
    return {
        "status": "success",
        "data": {"resultType": "vector", "result": samples},
        "preflight": {"source": client.display_url, "window": window, "queries": queries},
    }


def check_window(window: str) -> None:
    if not _WINDOW.match(window):
        raise UsageError(f"--window {window!r}: expected a Prometheus duration such as 7d, 36h or 1w")


def check_url(url: str) -> None:
    try:
        parts = urllib.parse.urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 1) > 0
    except ValueError:
        valid = False
    if not valid or parts.query or parts.fragment:
        raise UsageError("--prometheus: expected an http:// or https:// base URL without a query")


def parse_headers(values: Sequence[str], bearer_token_file: str | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    for position, value in enumerate(values, start=1):
        name, colon, content = value.partition(":")
        # The value is never echoed: it is likely a credential.
        if not colon or not _HEADER_NAME.match(name.strip()) or not content.strip():
            raise UsageError(f"--header number {position}: expected 'Name: value'")
        if "\n" in content or "\r" in content:
            raise UsageError(f"--header number {position}: a header value cannot span lines")
        headers[name.strip()] = content.strip()
    if bearer_token_file is not None:
        if any(name.lower() == "authorization" for name in headers):
            raise UsageError("--bearer-token-file and an Authorization --header cannot both be given")
        try:
            token = Path(bearer_token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read the token: {error}", Location(bearer_token_file)) from None
        if not token or any(c in token for c in "\r\n"):
            raise InputError("the token file must hold one non-empty line", Location(bearer_token_file))
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _http_failure(error: urllib.error.HTTPError) -> str:
    if error.code in (401, 403):
        return f"Prometheus refused the request (HTTP {error.code}): check the credentials"
    try:
        answer = json.loads(error.read(64 * 1024))
        reason = answer.get("error") if isinstance(answer, dict) else None
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        reason = None
    return f"Prometheus answered HTTP {error.code}" + (f": {reason}" if reason else "")


@click.group("traffic")
def traffic() -> None:
    """Traffic data for --traffic: who calls whom."""


@traffic.command("export")
@click.option("--prometheus", "url", required=True, metavar="URL", help="Prometheus HTTP API base URL.")
@click.option("--window", default=DEFAULT_WINDOW, show_default=True, help="How far back to count calls.")
@click.option("-o", "--output", default="-", metavar="FILE", help="Where to write (default: stdout).")
@click.option("--header", "headers", multiple=True, metavar="'NAME: VALUE'", help="Extra HTTP header.")
@click.option("--bearer-token-file", type=click.Path(dir_okay=False), help="Send this file's token.")
@click.option("--ca-file", type=click.Path(dir_okay=False), help="Trust this CA bundle (PEM).")
@click.option("--insecure-skip-tls-verify", is_flag=True, help="Do not verify the server certificate.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=DEFAULT_TIMEOUT_SECONDS, show_default=True,
              help="Seconds each query may take, from connecting to its last byte.")
def export_command(
    url: str,
    window: str,
    output: str,
    headers: tuple[str, ...],
    bearer_token_file: str | None,
    ca_file: str | None,
    insecure_skip_tls_verify: bool,
    timeout: float,
) -> None:
    """Write Istio call counts from Prometheus as a file for --traffic."""
    check_window(window)
    check_url(url)
    client = PrometheusClient(
        url=url,
        headers=parse_headers(headers, bearer_token_file),
        ca_file=ca_file,
        insecure_skip_tls_verify=insecure_skip_tls_verify,
        timeout=timeout,
    )
    document = export_traffic(client, window)
    text = json.dumps(document, indent=1, sort_keys=False) + "\n"
    write_atomic(output, text)
    count = len(document["data"]["result"])
    click.echo(f"preflight: {count} series over {window} from {client.display_url}", err=True)
