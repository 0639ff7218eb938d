"""Stage 4: pure renderers, ``render(report) -> str`` each."""
