"""Talking to the cluster through the user's own ``kubectl``.

Using kubectl rather than a client library means the user's kubeconfig, contexts, exec
auth plugins and proxies all work exactly as they do at the terminal. Every request is
``kubectl get --raw <path>``: JSON straight from the API server, lists read page by
page with ``limit``/``continue`` so no single call holds a whole large list.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from preflight.errors import InputError
from preflight.redaction import redact_credentials_in_text

# A call that has not answered in this long is hanging (an auth plugin waiting for a browser,
# a proxy that accepted the connection and went silent); the export would otherwise wait forever.
DEFAULT_CALL_TIMEOUT = 120.0
# The whole export: generous for the largest clusters, finite so a CI job gets an answer.
DEFAULT_DEADLINE = 3600.0
# A list longer than this many pages is a server that never stops paging.
MAX_PAGES_PER_LIST = 100_000

_SERVER_ERROR = re.compile(r"Error from server \((?P<reason>[A-Za-z]+)\): (?P<message>.*)")


class ApiRefusal(Exception):
    """The API server answered a request with an error status (not a transport failure)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message

    @property
    def forbidden(self) -> bool:
        return self.reason == "Forbidden"

    @property
    def not_found(self) -> bool:
        return self.reason == "NotFound"

    @property
    def expired(self) -> bool:
        """A ``continue`` token outlived the server's compaction window (HTTP 410)."""
        return self.reason in ("Expired", "Gone", "ResourceExpired")


class Kubectl:
    def __init__(
        self,
        executable: str = "kubectl",
        context: str | None = None,
        kubeconfig: str | None = None,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        self.executable = executable
        self.context = context
        self.kubeconfig = kubeconfig
        self.call_timeout = call_timeout
        self.deadline_seconds = deadline
        self._ends_at = time.monotonic() + deadline

    def _global_flags(self) -> list[str]:
        flags = []
        if self.kubeconfig:
            flags += ["--kubeconfig", self.kubeconfig]
        if self.context:
            flags += ["--context", self.context]
        return flags

    def _describe(self) -> str:
        return f"kubectl --context {self.context}" if self.context else "kubectl"

    def run(self, *arguments: str) -> bytes:
        """stdout of one kubectl call; ``ApiRefusal`` for API errors, ``InputError`` for the rest."""
        executable = shutil.which(self.executable)
        if executable is None:
            raise InputError(f"'{self.executable}' not found on PATH: the snapshot command needs kubectl")
        remaining = self._ends_at - time.monotonic()
        if remaining <= 0:
            raise InputError(f"the export did not finish within --timeout {self.deadline_seconds:g}s")
        timeout = min(self.call_timeout, remaining)
        try:
            returncode, stdout, stderr_bytes = _run_bounded([executable, *self._global_flags(), *arguments], timeout)
        except OSError as error:
            raise InputError(f"cannot run {self.executable}: {error.strerror or error}") from None
        except subprocess.TimeoutExpired:
            if timeout < self.call_timeout:
                raise InputError(f"the export did not finish within --timeout {self.deadline_seconds:g}s") from None
            raise InputError(
                f"{self._describe()} {' '.join(arguments)} did not answer within {timeout:g}s "
                "(--request-timeout); is the cluster reachable and the login current?"
            ) from None
        if returncode == 0:
            return stdout
        # kubectl's stderr may echo a token or a password from a kubeconfig or an auth plugin.
        stderr = redact_credentials_in_text(stderr_bytes.decode("utf-8", "replace").strip())
        refusal = _SERVER_ERROR.search(stderr)
        if refusal is not None:
            raise ApiRefusal(refusal.group("reason"), refusal.group("message").strip())
        first_line = next((line for line in stderr.splitlines() if line.strip()), "no message")
        if "(Unauthorized)" in first_line:
            raise InputError(
                f"{self._describe()}: the cluster does not accept these credentials ({first_line}); "
                "log in again or choose another --context"
            )
        raise InputError(f"{self._describe()} {' '.join(arguments)} failed: {first_line}")

    def get_json(self, path: str) -> Any:
        output = self.run("get", "--raw", path)
        try:
            return json.loads(output)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InputError(f"{self._describe()} get --raw {path}: the answer is not JSON") from None

    def list_pages(self, path: str, chunk_size: int) -> Iterator[Mapping[str, Any]]:
        """Each page of a list, following ``metadata.continue`` until the server has no more."""
        token: str | None = None
        seen_tokens: set[str] = set()
        for _ in range(MAX_PAGES_PER_LIST):
            query = f"limit={chunk_size}"
            if token:
                query += f"&continue={quote(token, safe='')}"
            page = self.get_json(f"{path}?{query}")
            if not isinstance(page, Mapping) or not isinstance(page.get("items", []), list | None):
                raise InputError(f"{self._describe()} get --raw {path}: the answer is not a list")
            yield page
            metadata = page.get("metadata")
            token = metadata.get("continue") if isinstance(metadata, Mapping) else None
            if not token:
                return
            if not isinstance(token, str):
                raise InputError(f"{self._describe()} get --raw {path}: the continue token is not a string")
            if token in seen_tokens:
                raise InputError(
                    f"{self._describe()} get --raw {path}: the server sent the same continue token twice "
                    "(it would page forever)"
                )
            seen_tokens.add(token)
        raise InputError(f"{self._describe()} get --raw {path}: more than {MAX_PAGES_PER_LIST} pages")

    def identity(self) -> tuple[str | None, str | None, str | None]:
        """(context, cluster, server) of the kubeconfig entry in use; names only, never credentials."""
        try:
            config = json.loads(self.run("config", "view", "--minify", "-o", "json"))
        except (InputError, ApiRefusal, json.JSONDecodeError, UnicodeDecodeError):
            return self.context, None, None  # e.g. in-cluster config: the export still works
        if not isinstance(config, Mapping):
            return self.context, None, None
        context = config.get("current-context") or self.context
        cluster_name = server = None
        for entry in config.get("contexts") or []:
            if isinstance(entry, Mapping) and entry.get("name") == context:
                cluster_name = (entry.get("context") or {}).get("cluster")
        for entry in config.get("clusters") or []:
            if isinstance(entry, Mapping) and entry.get("name") == cluster_name:
                server = (entry.get("cluster") or {}).get("server")
        return (
            str(context) if context else None,
            str(cluster_name) if cluster_name else None,
            str(server) if server else None,
        )


def _run_bounded(command: list[str], timeout: float) -> tuple[int, bytes, bytes]:
    """Run ``command``, killed when it outlives ``timeout``.

    kubectl stays in the terminal's process group, so an auth plugin that asks for a login
    on the terminal still can; only kubectl itself is killed on a timeout.
    """
    with subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:
            process.kill()
            process.wait()
            raise
        return process.returncode, stdout, stderr
