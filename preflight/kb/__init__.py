"""Stage 2: the knowledge base of Istio behaviour changes, read and validated once."""
