"""Who can ever read a case: staff keys, the one door for case keys, pending
grants, leavers, and the organisation's recovery key."""
