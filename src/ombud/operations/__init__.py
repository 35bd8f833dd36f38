"""Running Ombud: the background worker, its heartbeat and the health check."""
