"""What happens to a case that the layers above act on.

Cases sits below deadlines and operations, so it does not call them: it sends
these signals, in the transaction of the change, and those apps connect their
receivers in ``ready()`` (``ombud.deadlines.receivers``, ``ombud.operations.receivers``).
A receiver's exception propagates, so the change rolls back with it.
"""

from django.dispatch import Signal

# The case was received, changed state ("reopened" when it reopens) or gave the
# reporter news ("update"): its deadlines start, are met or restart.
# Arguments: case, event, at.
case_event = Signal()

# The reporter has news on her status page: she is told by e-mail if she left
# an address. Argument: case.
reporter_news = Signal()
