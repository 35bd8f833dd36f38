"""Signals of the directory, for the parts of Ombud that must react to people."""

from django.dispatch import Signal

# Sent inside the transaction that deactivated the users; arguments: actor, users.
users_left = Signal()

# Sent inside the transaction that changed people (reporting lines, flags, who is
# who): conflicts of interest are computed again. Arguments: actor.
people_changed = Signal()

# Sent inside the transaction that created an account, (de)activated it, or gave or
# took away a role: conflicts and keys are worked out again for these accounts.
# Arguments: actor, users.
accounts_changed = Signal()
