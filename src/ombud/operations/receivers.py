"""The reporter's news mail follows the case: connected in OperationsConfig.ready()."""

from typing import Any

from django.dispatch import receiver

from ombud.cases.signals import reporter_news as reporter_news_signal
from ombud.operations.notify import reporter_news


@receiver(reporter_news_signal, dispatch_uid="ombud.operations.reporter_news")
def on_reporter_news(sender: Any, *, case: Any, **kwargs: Any) -> None:
    reporter_news(case)
