"""`indigo seed`: a demo network around Paris, Lyon and Marseille, so GraphiQL shows
something on first run.

Deterministic (a fixed random seed). Every member joins through the ledger's welcome grant,
so `indigo audit` holds. They all sign in with DEMO_PASSWORD, hashed once in advance because
hashing it 500 times would take most of a minute.
"""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import select

from models import Database, Listing, ListingKind, ListingType, Member
from resolvers import ledger
from resolvers.categories import CATEGORIES
from resolvers.economy import Economy
from resolvers.geo import GeoPoint
from resolvers.lifetimes import Lifetimes
from resolvers.listings import ListingDraft, new_listing

DEMO_PASSWORD = "indigo-demo-2026"
DEMO_PASSWORD_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$q71jlduFvZuCItqx9clH1w$"
    "y01KfF1dJApFHJMDDrTBYj8b8EiPyY36HSJ4Fw+/W+E"
)
RANDOM_SEED = 2026

# Each city: its centre and how far (km) its members live from it, and its share of them.
CITIES = (
    ("paris", GeoPoint(48.8566, 2.3522), 8.0, 0.5),
    ("lyon", GeoPoint(45.7640, 4.8357), 6.0, 0.25),
    ("marseille", GeoPoint(43.2965, 5.3698), 7.0, 0.25),
)
FIRST_NAMES = [
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Jade",
    "Louise",
    "Emma",
    "Zoé",
    "Nora",
    "Yasmine",
    "Aïcha",
    "Fatou",
    "Lina",
    "Hugo",
    "Lucas",
    "Louis",
    "Nathan",
    "Karim",
    "Mehdi",
    "Théo",
    "Jules",
    "Adam",
    "Omar",
    "Paul",
    "Arthur",
    "Samuel",
    "Ibrahim",
    "Tom",
]
SURNAME_INITIALS = "ABCDEFGHIJKLMNOPRSTVW"

# What members trade, per category: its kind, then a few titles.
TITLES: dict[str, tuple[ListingKind, tuple[str, ...]]] = {
    "lessons": (ListingKind.SERVICE, ("Maths tutoring", "Piano lessons", "Help with homework")),
    "languages": (
        ListingKind.SERVICE,
        (
            "Spanish conversation",
            "French for beginners",
            "English exam practice",
            "Arabic lessons",
        ),
    ),
    "legal-help": (
        ListingKind.SERVICE,
        (
            "Help with a tenancy dispute",
            "Residence permit paperwork",
            "Reading a work contract together",
        ),
    ),
    "tax-forms": (
        ListingKind.SERVICE,
        (
            "Filling in the income tax return",
            "Help with a CAF form",
            "Self-employed tax questions",
        ),
    ),
    "moving-diy": (
        ListingKind.SERVICE,
        ("Help moving house", "Putting up shelves", "Painting a room"),
    ),
    "repairs": (
        ListingKind.SERVICE,
        ("Bike repair", "Fixing a leaking tap", "Sewing machine repairs"),
    ),
    "it-help": (
        ListingKind.SERVICE,
        ("Setting up a new phone", "Laptop cleanup", "Learning to use email"),
    ),
    "childcare": (
        ListingKind.SERVICE,
        ("Babysitting on weekday evenings", "School pick-up", "Wednesday afternoon childcare"),
    ),
    "elderly-care": (
        ListingKind.SERVICE,
        ("Shopping for an elderly neighbour", "Afternoon company and a walk", "Doctor visits"),
    ),
    "cooking": (
        ListingKind.SERVICE,
        ("Couscous cooking class", "Batch cooking for the week", "Baking bread together"),
    ),
    "gardening": (
        ListingKind.SERVICE,
        ("Balcony garden help", "Mowing a small lawn", "Pruning fruit trees"),
    ),
    "transport": (
        ListingKind.SERVICE,
        ("Lift to the station", "Van for a day of moving", "Airport run"),
    ),
    "health-wellbeing": (
        ListingKind.SERVICE,
        ("Yoga in the park", "Running partner", "Relaxation and breathing session"),
    ),
    "furniture": (
        ListingKind.GOOD,
        ("Sofa, good condition", "Wooden dining table", "Chest of drawers"),
    ),
    "clothes": (
        ListingKind.GOOD,
        ("Winter coats, size M", "Baby clothes 0-6 months", "Hiking boots, size 42"),
    ),
    "books": (
        ListingKind.GOOD,
        ("Box of detective novels", "Children's picture books", "University law textbooks"),
    ),
    "toys": (ListingKind.GOOD, ("Wooden train set", "Board games", "Lego bricks by the kilo")),
    "tools": (ListingKind.GOOD, ("Cordless drill to lend", "Ladder to lend", "Sewing kit")),
    "food": (
        ListingKind.GOOD,
        ("Jams from my garden", "Surplus vegetables", "Homemade bread on Sundays"),
    ),
    "other": (ListingKind.SERVICE, ("Help writing a CV", "Dog walking", "Photography")),
}
TYPE_WEIGHTS = ((ListingType.OFFER, 0.6), (ListingType.NEED, 0.35), (ListingType.APPEAL, 0.05))


def demo_email(index: int) -> str:
    """Members sign in as demo0@indigo.example, demo1@…, with DEMO_PASSWORD."""
    return f"demo{index}@indigo.example"


@dataclass(frozen=True, slots=True)
class Seeded:
    members: int
    listings: int
    appeals: int


async def has_members(database: Database) -> bool:
    async with database.read() as session:
        return (await session.scalar(select(func.count()).select_from(Member))) != 0


def _near(rng: random.Random, centre: GeoPoint, spread_km: float) -> GeoPoint:
    """A point around a centre, denser towards it, as people are in a city."""
    distance = spread_km * rng.random() ** 1.5
    bearing = rng.uniform(0, 2 * math.pi)
    north = distance * math.cos(bearing) / 111.2
    east = distance * math.sin(bearing) / (111.2 * math.cos(math.radians(centre.latitude)))
    return GeoPoint(round(centre.latitude + north, 6), round(centre.longitude + east, 6))


async def seed_demo(
    database: Database,
    economy: Economy,
    lifetimes: Lifetimes,
    *,
    members: int = 500,
    listings: int = 3000,
) -> Seeded:
    rng = random.Random(RANDOM_SEED)
    homes = [
        (city, _near(rng, centre, spread))
        for i in range(members)
        for city, centre, spread, _ in [_city_of(i, members)]
    ]
    appeals_of: dict[int, int] = {}
    async with database.write() as session:
        rows = [
            Member(
                email=demo_email(i),
                password_hash=DEMO_PASSWORD_HASH,
                display_name=f"{FIRST_NAMES[i % len(FIRST_NAMES)]} "
                f"{SURNAME_INITIALS[i % len(SURNAME_INITIALS)]}.",
                latitude=home.latitude,
                longitude=home.longitude,
            )
            for i, (_, home) in enumerate(homes)
        ]
        session.add_all(rows)
        await session.flush()
        for member in rows:
            assert member.id is not None
            await ledger.open_accounts(session, member.id, economy.welcome_digos)
        drafts: list[Listing] = []
        for _ in range(listings):
            author = rng.randrange(members)
            author_id = rows[author].id
            assert author_id is not None
            category = CATEGORIES[rng.randrange(len(CATEGORIES))].slug
            kind, titles = TITLES[category]
            type_ = rng.choices([t for t, _ in TYPE_WEIGHTS], [w for _, w in TYPE_WEIGHTS])[0]
            if type_ is ListingType.APPEAL and appeals_of.get(author, 0) >= min(
                1, economy.max_open_appeals
            ):
                type_ = ListingType.NEED
            digos = rng.randint(0, min(30, economy.max_price))
            if type_ is ListingType.APPEAL:
                appeals_of[author] = appeals_of.get(author, 0) + 1
                digos = min(economy.max_price, economy.welcome_digos + rng.randint(1, 30))
            title = rng.choice(titles)
            drafts.append(
                new_listing(
                    author_id,
                    ListingDraft(
                        type=type_,
                        kind=kind,
                        category=category,
                        title=title,
                        description=_description(type_, title, homes[author][0]),
                        digos=digos,
                        location=_near(rng, homes[author][1], 0.8),
                    ),
                    lifetimes.listing_ttl_days,
                )
            )
        session.add_all(drafts)
        await session.flush()
    return Seeded(members=members, listings=listings, appeals=sum(appeals_of.values()))


def _city_of(index: int, members: int) -> tuple[str, GeoPoint, float, float]:
    share = index / members
    for city in CITIES:
        if share < city[3]:
            return city
        share -= city[3]
    return CITIES[-1]


def _description(type_: ListingType, title: str, city: str) -> str:
    where = city.capitalize()
    if type_ is ListingType.OFFER:
        return f"{title}, in {where}. Message me to agree on a time."
    if type_ is ListingType.NEED:
        return f"Looking for: {title.lower()}, in {where}. I pay in digos."
    return f"I am short of digos and would be grateful for: {title.lower()}, in {where}."


def seed_command(
    database_url: str, economy: Economy, lifetimes: Lifetimes, *, if_empty: bool
) -> int:
    """`indigo seed [--if-empty]`: seed an empty database; exit 1 if it has members, unless
    --if-empty asks to leave such a database alone."""

    async def run() -> tuple[int, str]:
        database = Database(database_url)
        try:
            if await has_members(database):
                if if_empty:
                    return 0, "seed: the database has members already: nothing added"
                return 1, "seed: the database has members already: seed an empty one"
            seeded = await seed_demo(database, economy, lifetimes)
        finally:
            await database.dispose()
        return 0, (
            f"seed: {seeded.members} members and {seeded.listings} listings "
            f"({seeded.appeals} appeals) around Paris, Lyon and Marseille; sign in as "
            f"{demo_email(0)} … {demo_email(seeded.members - 1)}, password {DEMO_PASSWORD}"
        )

    status, message = asyncio.run(run())
    print(message)
    return status
