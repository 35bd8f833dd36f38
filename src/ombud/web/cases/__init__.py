"""The case pages: the inbox, a case, its console. They join cases, access, intake
and deadlines, so they live in the web face, above all of them."""
