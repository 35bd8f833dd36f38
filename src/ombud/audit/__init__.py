"""The hash-chained audit log: every service writes here in its own transaction."""
