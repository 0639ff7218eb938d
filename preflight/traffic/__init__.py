"""Traffic: who talks to whom, observed (Prometheus, Kiali, edge lists) or declared by configuration."""
