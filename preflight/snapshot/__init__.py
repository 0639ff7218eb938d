"""Stage 1: read an exported cluster into an indexed, secret-free model."""
