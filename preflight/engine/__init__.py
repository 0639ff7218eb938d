"""Stage 3: apply the knowledge base to a snapshot for an upgrade path."""
