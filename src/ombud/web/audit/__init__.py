"""The auditors' pages: the log read as sentences, narrowed by who, what, case and
day. The sentences name people, cases and rule changes, so these pages live in
the web face, above the log (ombud.audit), which is at the bottom."""
