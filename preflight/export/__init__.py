"""The live export: a complete, scrubbed snapshot of a cluster through the user's kubectl."""
