"""Every `INDIGO_*` setting, read once from the environment (or `.env`) into one object."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from pathlib import Path, PurePath
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from strawberry.http.websocket_origin import normalize_allowed_origins

from indigo.trusted_documents import load_manifest
from resolvers.economy import Economy
from resolvers.lifetimes import Lifetimes
from resolvers.mail import MailSettings, check_smtp_url
from resolvers.rate_limits import RateLimits
from schema.limits import QueryLimits

NonNegative = Annotated[int, Field(ge=0)]
Positive = Annotated[int, Field(ge=1)]

# The product's defaults live with the rules that use them; settings only read them.
ECONOMY = Economy()
LIFETIMES = Lifetimes()
RATE_LIMITS = RateLimits()
LIMITS = QueryLimits()
MAIL = MailSettings()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INDIGO_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = "sqlite+aiosqlite:///./indigo.db"
    broadcast_url: str = "memory://"
    # What this deployment's channel names start with, on a Redis other deployments may share.
    broadcast_prefix: Annotated[str | None, Field(pattern=r"^[\w.\-]{1,64}$")] = None
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    workers: Annotated[int, Field(ge=1, le=64)] = 1

    welcome_digos: NonNegative = ECONOMY.welcome_digos
    max_price: NonNegative = ECONOMY.max_price
    goodvibe_value: Positive = ECONOMY.goodvibe_value
    max_discount_percent: Annotated[int, Field(ge=0, le=100)] = ECONOMY.max_discount_percent
    max_open_appeals: NonNegative = ECONOMY.max_open_appeals
    max_appeal_rewards_per_month: NonNegative = ECONOMY.max_appeal_rewards_per_month
    max_pair_appeals_per_month: NonNegative = ECONOMY.max_pair_appeals_per_month

    token_ttl_hours: Positive = LIFETIMES.token_ttl_hours
    listing_ttl_days: Annotated[int, Field(ge=4, le=3650)] = LIFETIMES.listing_ttl_days

    login_attempts_per_minute: Positive = RATE_LIMITS.login_attempts_per_minute
    messages_per_minute: Positive = RATE_LIMITS.messages_per_minute
    mutations_per_minute: Positive = RATE_LIMITS.mutations_per_minute

    production: bool = False
    graphiql: bool | None = None
    introspection: bool | None = None

    max_query_depth: Positive = LIMITS.max_depth
    max_query_aliases: NonNegative = LIMITS.max_aliases
    max_query_tokens: Positive = LIMITS.max_tokens
    max_query_characters: Positive = LIMITS.max_characters
    max_query_cost: Positive = LIMITS.max_cost

    # Pages on these origins may open WebSockets (same-origin pages always may).
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    connection_init_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 5.0
    max_subscriptions_per_connection: Positive = 20
    # What one client address may hold of a process's anonymous sockets.
    max_anonymous_sockets_per_address: Positive = 10
    max_anonymous_subscriptions_per_address: Positive = 40

    # Largest request body, and largest WebSocket message.
    max_body_bytes: Positive = 1024 * 1024
    # Proxies whose X-Forwarded-For names the client (rate limits per address).
    forwarded_allow_ips: Annotated[tuple[str, ...], NoDecode] = ()
    # A manifest of the only documents accepted (`indigo manifest` writes it).
    trusted_documents: Path | None = None
    log_format: Literal["text", "json"] = "text"

    smtp_url: str = MAIL.smtp_url
    mail_from: str = MAIL.sender
    public_url: str = MAIL.public_url
    mail_retry_seconds: Annotated[float, Field(gt=0, le=3600)] = MAIL.retry_seconds
    # How often the process that runs the scheduled jobs (mail, digests) looks for work.
    scheduler_tick_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return url

    @field_validator("broadcast_url")
    @classmethod
    def _known_broadcast(cls, url: str) -> str:
        if url != "memory://" and not url.startswith(("redis://", "rediss://")):
            raise ValueError("must be memory:// or redis://host:port/db")
        return url

    @field_validator("smtp_url")
    @classmethod
    def _known_smtp(cls, url: str) -> str:
        return check_smtp_url(url)

    @field_validator("public_url")
    @classmethod
    def _absolute_public_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http:// or https:// URL")
        return url

    @field_validator("allowed_origins", "forwarded_allow_ips", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        normalize_allowed_origins(origins)  # its ValueError names the wrong origin
        return origins

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies(cls, proxies: tuple[str, ...]) -> tuple[str, ...]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"{proxy!r} is not an IP address or network") from None
        return proxies

    @field_validator("trusted_documents", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return value or None

    @field_validator("trusted_documents")
    @classmethod
    def _readable_manifest(cls, path: Path | None) -> Path | None:
        if path is not None:
            load_manifest(path)  # its ValueError says what is wrong
        return path

    @model_validator(mode="after")
    def _workers_share_state(self) -> Settings:
        if self.workers > 1 and (self.uses_sqlite or self.broadcast_url == "memory://"):
            raise ValueError(
                "INDIGO_WORKERS above 1 needs PostgreSQL (INDIGO_DATABASE_URL) "
                "and Redis (INDIGO_BROADCAST_URL): workers share no memory"
            )
        return self

    @property
    def channel_prefix(self) -> str:
        return self.broadcast_prefix or default_broadcast_prefix(self.database_url)

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.production

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.production

    @property
    def query_limits(self) -> QueryLimits:
        return QueryLimits(
            max_depth=self.max_query_depth,
            max_aliases=self.max_query_aliases,
            max_tokens=self.max_query_tokens,
            max_characters=self.max_query_characters,
            max_cost=self.max_query_cost,
        )

    @property
    def mail(self) -> MailSettings:
        return MailSettings(
            smtp_url=self.smtp_url,
            sender=self.mail_from,
            public_url=self.public_url,
            retry_seconds=self.mail_retry_seconds,
        )

    @property
    def economy(self) -> Economy:
        return Economy(
            welcome_digos=self.welcome_digos,
            max_price=self.max_price,
            goodvibe_value=self.goodvibe_value,
            max_discount_percent=self.max_discount_percent,
            max_open_appeals=self.max_open_appeals,
            max_appeal_rewards_per_month=self.max_appeal_rewards_per_month,
            max_pair_appeals_per_month=self.max_pair_appeals_per_month,
        )

    @property
    def lifetimes(self) -> Lifetimes:
        return Lifetimes(
            token_ttl_hours=self.token_ttl_hours, listing_ttl_days=self.listing_ttl_days
        )

    @property
    def rate_limits(self) -> RateLimits:
        return RateLimits(
            login_attempts_per_minute=self.login_attempts_per_minute,
            messages_per_minute=self.messages_per_minute,
            mutations_per_minute=self.mutations_per_minute,
        )


def default_broadcast_prefix(database_url: str) -> str:
    """The database's name (a SQLite file's, without its suffix), and a digest of where it
    is: two deployments on one Redis have databases of their own, maybe of the same name on
    two servers or in two folders, so their channels never meet."""
    url = make_url(database_url)
    name = url.database or "indigo"
    if url.drivername.startswith("sqlite"):
        place = str(Path(name).resolve())
        name = PurePath(name).stem or "indigo"
    else:
        place = f"{url.host}:{url.port}/{name}"
    digest = hashlib.sha256(place.encode()).hexdigest()[:8]
    readable = re.sub(r"[^\w.\-]", "_", name)[:55]
    return f"{readable}-{digest}"


def describe(error: ValidationError) -> str:
    """One line naming each wrong setting, for start-up to print instead of a traceback."""
    parts = []
    for problem in error.errors():
        name = "INDIGO_" + "_".join(str(p) for p in problem["loc"]).upper()
        message = problem["msg"].removeprefix("Value error, ")
        parts.append(f"{name}: {message}" if problem["loc"] else message)
    return "invalid settings: " + "; ".join(parts)
