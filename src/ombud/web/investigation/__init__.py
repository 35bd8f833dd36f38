"""The investigation's staff pages: allegations and findings, minutes, evidence and
its custody log, interim measures, the written outcome, API tokens. They read
through ``ombud.access.reading.case_open_to_read`` and
``ombud.investigation.reading``; their URLs join the case pages' (``cases:``)."""
