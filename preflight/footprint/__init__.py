"""The mesh footprint: injected pods, what their sidecars reserve, and how the upgrade changes it."""
