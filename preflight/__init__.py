"""Istio Preflight: which services an Istio upgrade changes, and why."""

__version__ = "0.1.0"
