"""The `indigo` command: serve, migrate, schema, audit."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import uvicorn

from indigo import logs, metrics, migrations
from indigo.app import load_settings
from indigo.seed import seed_command
from indigo.serving import APP_FACTORY, uvicorn_options
from indigo.settings import Settings
from indigo.trusted_documents import manifest
from indigo.workers import serve_workers
from models import Database
from resolvers.audit import audit
from schema import build_schema


def serve(settings: Settings) -> int:
    options = {
        "host": settings.host,
        "port": settings.port,
        "log_config": logs.config(settings.log_format),
        **uvicorn_options(settings.max_body_bytes),
    }
    if settings.workers > 1:
        config = uvicorn.Config(APP_FACTORY, factory=True, **options)
        with metrics.shared_across_workers():
            return serve_workers(config, settings.workers)
    uvicorn.run(APP_FACTORY, factory=True, **options)
    return 0


def migrate(settings: Settings) -> int:
    migrations.upgrade(settings.database_url)
    return 0


def seed(settings: Settings, *, if_empty: bool = False) -> int:
    return seed_command(settings.database_url, settings.economy, if_empty=if_empty)


def print_schema(settings: Settings) -> int:
    print(build_schema().as_str())
    return 0


def print_manifest(settings: Settings, *, clients: Path = Path("docs/clients")) -> int:
    print(json.dumps(manifest(clients), indent=2))
    return 0


def audit_ledger(settings: Settings) -> int:
    async def run() -> list[str]:
        database = Database(settings.database_url)
        try:
            async with database.read() as session:
                return await audit(session)
        finally:
            await database.dispose()

    violations = asyncio.run(run())
    for violation in violations:
        print(violation)
    print(f"ledger audit: {len(violations)} violation(s)")
    return 1 if violations else 0


COMMANDS = {
    "serve": (serve, "serve the API (INDIGO_HOST, INDIGO_PORT, INDIGO_WORKERS)"),
    "migrate": (migrate, "bring the database to the newest schema"),
    "schema": (print_schema, "print the GraphQL SDL"),
    "manifest": (
        print_manifest,
        "print the trusted documents' manifest (INDIGO_TRUSTED_DOCUMENTS) of docs/clients",
    ),
    "audit": (audit_ledger, "check the ledger's invariants; exit 1 on a violation"),
    "seed": (seed, "add a demo network (500 members, 3,000 listings) to an empty database"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="indigo", description="The Indigo API.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        commands.add_parser(name, help=help_text)
    commands.choices["seed"].add_argument(
        "--if-empty", action="store_true", help="do nothing if the database has members"
    )
    commands.choices["manifest"].add_argument(
        "--clients", type=Path, default=Path("docs/clients"), help="the clients' .graphql files"
    )
    arguments = parser.parse_args(argv)
    settings = load_settings()
    if arguments.command == "seed":
        return seed(settings, if_empty=arguments.if_empty)
    if arguments.command == "manifest":
        return print_manifest(settings, clients=arguments.clients)
    return COMMANDS[arguments.command][0](settings)
