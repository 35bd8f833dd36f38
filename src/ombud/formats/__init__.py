"""How dates and times are written, one way per language (FORMAT_MODULE_PATH).

Templates name a format (``{{ value|date:"DATE_FORMAT" }}``, ``DATETIME_FORMAT``)
and Python uses ``django.utils.formats.date_format``; nobody builds a date string
by hand. Times are shown in the organisation's time zone (OMBUD_TIME_ZONE).
What a module here leaves out (input formats, numbers) comes from Django's own
module for the language."""
