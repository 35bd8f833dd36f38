"""The organisation: people, units, reporting lines, accounts and staff roles."""
