"""Django's database sessions, storing only a keyed hash of each session id.

The cookie carries the session id; the table holds BLAKE2b(id) under a key
derived from the pepper. Someone who copies the database finds no id to present:
the hash presented as a cookie is hashed again and matches nothing. (A staff
session needs its ``ombud_key`` cookie as well: see ``access.session``.)
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db

from ombud.signin.keys import keyed_hash


def stored_key(session_key: str) -> str:
    """What the session table holds for a session id: 40 hexadecimal characters."""
    return keyed_hash("session-id", session_key.encode(), size=20).hex()


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        if self.session_key is None:
            return None
        try:
            return self.model.objects.get(
                session_key=stored_key(self.session_key), expire_date__gt=self._now()
            )
        except self.model.DoesNotExist:
            self._session_key = None
            return None

    async def _aget_session_from_db(self) -> Any:
        if self.session_key is None:
            return None
        try:
            return await self.model.objects.aget(
                session_key=stored_key(self.session_key), expire_date__gt=self._now()
            )
        except self.model.DoesNotExist:
            self._session_key = None
            return None

    @staticmethod
    def _now() -> Any:
        from django.utils import timezone

        return timezone.now()

    def exists(self, session_key: str) -> bool:
        return self.model.objects.filter(session_key=stored_key(session_key)).exists()

    async def aexists(self, session_key: str) -> bool:
        return await self.model.objects.filter(session_key=stored_key(session_key)).aexists()

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        return self.model(
            session_key=stored_key(self._get_or_create_session_key()),  # type: ignore[attr-defined]
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
        )

    async def acreate_model_instance(self, data: dict[str, Any]) -> Any:
        return self.model(
            session_key=stored_key(await self._aget_or_create_session_key()),  # type: ignore[attr-defined]
            session_data=self.encode(data),
            expire_date=await self.aget_expiry_date(),
        )

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key=stored_key(session_key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        await self.model.objects.filter(session_key=stored_key(session_key)).adelete()
