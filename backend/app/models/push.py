"""Push devices: the app installs of a signed-in user that get push notifications.

A device token (FCM registration token) belongs to one user at a time: the same phone
signed in as someone else moves it. Tokens the push service answers as unregistered
are deleted when that answer comes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.models.base import CreatedAtField, EnumColumn, IdField, enum_check


class PushPlatform(StrEnum):
    ANDROID = "android"
    IOS = "ios"
    WEB = "web"


class PushDevice(SQLModel, table=True):
    __tablename__ = "push_device"
    __table_args__ = (enum_check("platform", PushPlatform),)

    id: uuid.UUID = IdField()
    user_id: uuid.UUID = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    # FCM registration tokens are about 160 characters; 4096 leaves room for others.
    token: str = Field(max_length=4096, unique=True)
    platform: PushPlatform = Field(sa_column=EnumColumn(PushPlatform))
    created_at: datetime = CreatedAtField()
    last_seen_at: datetime = CreatedAtField()
