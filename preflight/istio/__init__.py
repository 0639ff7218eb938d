"""Istio semantics, each in one place: selectors, hosts, injection, control plane, scoping, authz."""
