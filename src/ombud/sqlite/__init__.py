"""SQLite with its writers served in turn (``ombud.sqlite`` as the database ENGINE)."""
