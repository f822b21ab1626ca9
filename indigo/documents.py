"""Which document a request runs: the one it sends, one persisted by its hash (Apollo's
automatic persisted queries), or, in trusted-documents mode, only one of the manifest.

Apollo's `PersistedQueryLink` sends the sha256 alone first; `PersistedQueryNotFound` (a 200,
so every client reads it) makes it send the hash and the document, which is kept once it has
validated, in the database, so the next request with the hash alone runs on any process.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse
from strawberry.exceptions import MissingQueryError

from indigo.trusted_documents import load_manifest, sha256_of
from models import Database, PersistedQuery
from models.database import upsert
from resolvers.rate_limits import count_hit
from resolvers.translations import N_
from schema.errors import LocalisedError
from schema.limits import QueryLimits

NOT_FOUND = "PersistedQueryNotFound"
NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
KNOWN_HASHES_CACHED = 2000
# Documents whose text a process shares between the requests that send it.
SHARED_TEXTS = 200


class DocumentRefused(Exception):
    """A request refused before it runs: `error` is what it answers, with `status` (None:
    the status of any request error, which depends on the media type the client accepts)."""

    def __init__(self, error: GraphQLError, status: int | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.status = status


def refused(message: str, code: str, status: int | None = None) -> DocumentRefused:
    """A refusal in the request's language, once the transport localises it."""
    return DocumentRefused(LocalisedError(message, extensions={"code": code}), status)


@dataclass(frozen=True, slots=True)
class Document:
    text: str
    # The sha256 a client registers with this document, to keep once it validates.
    to_persist: str | None = None


class Documents:
    def __init__(
        self,
        database: Database,
        limits: QueryLimits,
        trusted_manifest: Path | None,
        registrations_per_minute: int,
    ) -> None:
        self.database = database
        self.limits = limits
        self.registrations_per_minute = registrations_per_minute
        self.trusted = load_manifest(trusted_manifest) if trusted_manifest else None
        # A hash names one document forever, so a process may remember what it has read.
        self._known: OrderedDict[str, str] = OrderedDict()
        self._texts: OrderedDict[str, str] = OrderedDict()

    async def resolve(
        self, query: object, operation_name: object, extensions: dict[str, object] | None
    ) -> Document:
        """The document to run, or DocumentRefused saying why there is none (MissingQueryError
        when the request has neither a document nor a hash)."""
        sha256 = _persisted_hash(extensions)
        if self.trusted is not None:
            document = self._trusted(query, sha256)
        elif sha256 is not None:
            document = await self._persisted(query, sha256)
        elif isinstance(query, str):
            document = Document(query)
        else:
            raise MissingQueryError
        too_long = self.limits.document_too_long(document.text)
        if too_long is not None:
            raise DocumentRefused(too_long)
        if operation_name is None and _operation_count(document.text, self.limits) > 1:
            raise refused(
                N_("The document has several operations: say which to run with operationName"),
                "BAD_REQUEST",
            )
        return Document(self._shared(document.text), document.to_persist)

    def _shared(self, text: str) -> str:
        """The copy of `text` (of an accepted length) that earlier requests sent, if it is
        among the latest: each subscriber of a live feed keeps its document's text for as
        long as it listens, and thousands send the same one."""
        shared = self._texts.setdefault(text, text)
        self._texts.move_to_end(text)
        if len(self._texts) > SHARED_TEXTS:
            self._texts.popitem(last=False)
        return shared

    def _trusted(self, query: object, sha256: str | None) -> Document:
        assert self.trusted is not None
        key = sha256_of(query) if isinstance(query, str) else sha256
        document = self.trusted.get(key) if key else None
        if document is None:
            raise refused(N_("Only trusted documents are accepted here"), NOT_IN_LIST, 400)
        return Document(document)

    async def _persisted(self, query: object, sha256: str) -> Document:
        if isinstance(query, str):
            if sha256_of(query) != sha256:
                raise refused(N_("provided sha does not match query"), "BAD_REQUEST", 400)
            return Document(query, to_persist=None if sha256 in self._known else sha256)
        document = self._known.get(sha256) or await self._stored(sha256)
        if document is None:
            # Never translated: Apollo's clients recognise this message, and then send the
            # document with its hash.
            not_found = GraphQLError(NOT_FOUND, extensions={"code": "PERSISTED_QUERY_NOT_FOUND"})
            raise DocumentRefused(not_found, 200)
        return Document(document)

    async def _stored(self, sha256: str) -> str | None:
        async with self.database.lookups() as session:
            row = await session.get(PersistedQuery, sha256)
        if row is None:
            return None
        self._remember(sha256, row.document)
        return row.document

    async def persist(self, document: Document, client_address: str) -> None:
        """Keep a registered document, once it has parsed and validated.

        Registrations are counted per client address like anonymous mutations: a client
        registers each of its operations once, and no one fills the table. Past the limit the
        document still ran; it is only not kept, so the client sends it whole next time.
        """
        if document.to_persist is None:
            return
        async with self.database.write() as session:
            key = f"persisted-query:client:{client_address}"
            if await count_hit(session, key, limit=self.registrations_per_minute) is not None:
                return
            insert = upsert(session)
            await session.execute(
                insert(PersistedQuery)
                .values(sha256=document.to_persist, document=document.text)
                .on_conflict_do_nothing()
            )
        self._remember(document.to_persist, document.text)

    def _remember(self, sha256: str, document: str) -> None:
        self._known[sha256] = document
        self._known.move_to_end(sha256)
        if len(self._known) > KNOWN_HASHES_CACHED:
            self._known.popitem(last=False)


def _persisted_hash(extensions: dict[str, object] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if (
        not isinstance(persisted, dict)
        or persisted.get("version") != 1
        or not isinstance(persisted.get("sha256Hash"), str)
    ):
        raise refused(N_("Unsupported persistedQuery extension"), "BAD_REQUEST", 400)
    sha256: str = persisted["sha256Hash"]
    return sha256


def _operation_count(document: str, limits: QueryLimits) -> int:
    parsed = parsed_document(document, limits.max_tokens)
    if parsed is None:  # the parse error is reported when the operation runs
        return 1
    return sum(isinstance(d, OperationDefinitionNode) for d in parsed.definitions)


@lru_cache(maxsize=256)
def parsed_document(document: str, max_tokens: int) -> DocumentNode | None:
    try:
        return parse(document, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return None
