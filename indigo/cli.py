"""The `indigo` command: serve, migrate, schema, audit, moderators."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path

import uvicorn
from sqlmodel import col, select

from indigo import logs, metrics, migrations
from indigo.app import load_settings
from indigo.seed import seed_command
from indigo.serving import APP_FACTORY, uvicorn_options
from indigo.settings import Settings
from indigo.trusted_documents import manifest
from indigo.workers import serve_workers
from models import Database, Member
from resolvers import collusion, moderators
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
    return seed_command(
        settings.database_url, settings.economy, settings.lifetimes, if_empty=if_empty
    )


def print_schema(settings: Settings) -> int:
    print(build_schema().as_str())
    return 0


def print_manifest(settings: Settings, *, clients: Path = Path("docs/clients")) -> int:
    print(json.dumps(manifest(clients), indent=2))
    return 0


def print_patterns(settings: Settings) -> int:
    """The appeal pairs and rings of the last 30 days nearest the collusion bounds."""
    economy = settings.economy

    async def run() -> tuple[collusion.Patterns, dict[int, str]]:
        database = Database(settings.database_url)
        try:
            async with database.read() as session:
                found = await collusion.patterns(session, economy)
                ids = {h.helper_id for h in found.pairs} | {h.member_id for h in found.pairs}
                ids |= {m for ring in found.rings for m in ring.member_ids}
                rows = await session.execute(
                    select(col(Member.id), col(Member.email)).where(col(Member.id).in_(ids))
                )
                return found, {i: f"#{i} <{email}>" for i, email in rows.all() if i}
        finally:
            await database.dispose()

    found, names = asyncio.run(run())
    pair_bound, reward_bound = (
        economy.max_pair_appeals_per_month,
        economy.max_appeal_rewards_per_month,
    )
    print(f"appeal pairs, last 30 days (bound: {pair_bound} per helper and member)")
    for h in found.pairs:
        print(
            f"  {names[h.helper_id]} helped {names[h.member_id]}: {h.appeals}/{pair_bound} "
            f"appeals, {h.goodvibes} goodvibes (helper's total "
            f"{found.earned[h.helper_id]}/{reward_bound})"
        )
    print("rings of members answering each other's appeals, last 30 days")
    for ring in found.rings:
        members = " -> ".join(names[m] for m in (*ring.member_ids, ring.member_ids[0]))
        print(f"  {members}: {ring.appeals} appeals, {ring.goodvibes} goodvibes")
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


def change_moderators(settings: Settings, *, add: bool, email: str) -> int:
    async def run() -> bool:
        database = Database(settings.database_url)
        try:
            change = moderators.grant if add else moderators.revoke
            return await change(database, email)
        finally:
            await database.dispose()

    try:
        changed = asyncio.run(run())
    except moderators.UnknownMember:
        print(f"indigo: no member has the email {email}", file=sys.stderr)
        return 1
    if add:
        print(f"{email} is a moderator" if changed else f"{email} already was a moderator")
    else:
        print(f"{email} is no longer a moderator" if changed else f"{email} was not a moderator")
    return 0


# Each takes the settings; seed and moderators take their arguments too.
COMMANDS: dict[str, tuple[Callable[..., int], str]] = {
    "serve": (serve, "serve the API (INDIGO_HOST, INDIGO_PORT, INDIGO_WORKERS)"),
    "migrate": (migrate, "bring the database to the newest schema"),
    "schema": (print_schema, "print the GraphQL SDL"),
    "manifest": (
        print_manifest,
        "print the trusted documents' manifest (INDIGO_TRUSTED_DOCUMENTS) of docs/clients",
    ),
    "audit": (
        audit_ledger,
        "check the ledger's invariants; exit 1 on a violation (--patterns: the appeal pairs "
        "and rings nearest the collusion bounds)",
    ),
    "moderators": (change_moderators, "moderators add|remove EMAIL: grant or take the role"),
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
    commands.choices["audit"].add_argument(
        "--patterns",
        action="store_true",
        help="list the appeal pairs and rings nearest the collusion bounds",
    )
    commands.choices["moderators"].add_argument("change", choices=["add", "remove"])
    commands.choices["moderators"].add_argument("email")
    arguments = parser.parse_args(argv)
    settings = load_settings()
    if arguments.command == "seed":
        return seed(settings, if_empty=arguments.if_empty)
    if arguments.command == "manifest":
        return print_manifest(settings, clients=arguments.clients)
    if arguments.command == "audit" and arguments.patterns:
        return print_patterns(settings)
    if arguments.command == "moderators":
        return change_moderators(settings, add=arguments.change == "add", email=arguments.email)
    return COMMANDS[arguments.command][0](settings)
