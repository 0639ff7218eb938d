from tests.support import run_detector

ENTRY = """
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: vm-10.0.0.5
  namespace: legacy
  annotations: {istio.io/autoRegistrationGroup: vms}
  labels: {app: billing%s}
spec: {address: 10.0.0.5}
"""


def test_auto_registered_entry_without_label_is_reported() -> None:
    assert len(run_detector("autoregistered_workload_entries", ENTRY % "")) == 1


def test_labelled_entry_is_not_reported() -> None:
    assert run_detector("autoregistered_workload_entries", ENTRY % ", networking.istio.io/tunnel: http") == []
