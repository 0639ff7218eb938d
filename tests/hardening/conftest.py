"""Fixtures the hardening tests share with the stages they attack."""

from tests.export.conftest import fake_kubectl  # noqa: F401  (the recorded kubectl, for export attacks)
