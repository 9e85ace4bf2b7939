"""Outgoing email: a console backend (logs, and keeps an outbox for tests) and SMTP.

    send_email(to="a@b.c", template="verify_email", context={...})

renders `app/templates/email/{template}.html` (Jinja2, autoescaped) whose first
`{% block subject %}` gives the subject line.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage as MimeMessage
from email.utils import formataddr
from typing import Any, Protocol

from app.core import templates
from app.core.config import Settings, settings
from app.core.errors import ServiceUnavailable

logger = logging.getLogger(__name__)
TEMPLATES = templates.TEMPLATES_DIR / "email"


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    html: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


class EmailBackend(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class ConsoleBackend:
    """Writes messages to the log; `outbox` keeps them for tests and local use."""

    def __init__(self) -> None:
        self.outbox: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.outbox.append(message)
        logger.info("email to %s: %s\n%s", message.to, message.subject, message.text)


class SMTPBackend:
    def __init__(self, cfg: Settings) -> None:
        if not cfg.SMTP_HOST:
            raise ValueError("EMAIL_BACKEND=smtp needs SMTP_HOST")
        self.cfg = cfg

    def send(self, message: EmailMessage) -> None:
        cfg = self.cfg
        mime = MimeMessage()
        mime["From"] = formataddr((cfg.EMAILS_FROM_NAME, str(cfg.EMAILS_FROM_EMAIL)))
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime.set_content(message.text)
        mime.add_alternative(message.html, subtype="html")
        host, port = str(cfg.SMTP_HOST), cfg.SMTP_PORT
        try:
            smtp: smtplib.SMTP
            if cfg.SMTP_SSL:
                smtp = smtplib.SMTP_SSL(
                    host, port, timeout=10, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(host, port, timeout=10)
            with smtp:
                if cfg.SMTP_TLS and not cfg.SMTP_SSL:
                    smtp.starttls(context=ssl.create_default_context())
                if cfg.SMTP_USER and cfg.SMTP_PASSWORD:
                    smtp.login(cfg.SMTP_USER, cfg.SMTP_PASSWORD.get_secret_value())
                smtp.send_message(mime)
        except (OSError, smtplib.SMTPException) as exc:
            logger.error("SMTP delivery to %s failed: %s", message.to, exc)
            raise ServiceUnavailable("Email could not be sent right now; try again later") from exc


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, html, text) for an email template."""
    tpl = templates.environment("email").get_template(f"{template}.html")
    ctx = {"project_name": settings.PROJECT_NAME, **context}
    subject = "".join(tpl.blocks["subject"](tpl.new_context(ctx))).strip()
    html = tpl.render(ctx)
    text_tpl = f"{template}.txt"
    if (TEMPLATES / text_tpl).exists():
        text = templates.environment("email").get_template(text_tpl).render(ctx)
    else:
        text = "\n".join(f"{k}: {v}" for k, v in context.items())
    return subject, html, text


_backend: EmailBackend | None = None


def get_backend() -> EmailBackend:
    global _backend
    if _backend is None:
        _backend = SMTPBackend(settings) if settings.EMAIL_BACKEND == "smtp" else ConsoleBackend()
    return _backend


def set_backend(backend: EmailBackend | None) -> None:
    global _backend
    _backend = backend


def send_email(*, to: str, template: str, context: dict[str, Any]) -> EmailMessage:
    subject, html, text = render(template, context)
    message = EmailMessage(to=to, subject=subject, html=html, text=text, meta=dict(context))
    get_backend().send(message)
    return message
