"""Documents that clients registered by their sha256 (automatic persisted queries), kept in
the database so that every process knows a hash any of them learnt."""

from sqlalchemy import Text
from sqlmodel import Field, SQLModel


class PersistedQuery(SQLModel, table=True):
    __tablename__ = "persisted_query"

    sha256: str = Field(primary_key=True, min_length=64, max_length=64)
    document: str = Field(sa_type=Text)
