"""The fixed taxonomy of what members trade: stable slugs, labels in the message catalogues."""

from __future__ import annotations

from dataclasses import dataclass

from resolvers.languages import ENGLISH
from resolvers.translations import N_, translate


@dataclass(frozen=True, slots=True)
class Category:
    slug: str
    english: str

    def label(self, language: str = ENGLISH) -> str:
        return translate(self.english, language=language)


# Slugs are part of the API: clients store them, so they never change once released.
CATEGORIES: tuple[Category, ...] = (
    Category("lessons", N_("Lessons and tutoring")),
    Category("languages", N_("Languages")),
    Category("legal-help", N_("Legal and paperwork help")),
    Category("tax-forms", N_("Tax forms")),
    Category("moving-diy", N_("Moving and DIY")),
    Category("repairs", N_("Repairs")),
    Category("it-help", N_("IT help")),
    Category("childcare", N_("Childcare")),
    Category("elderly-care", N_("Elderly care")),
    Category("cooking", N_("Cooking")),
    Category("gardening", N_("Gardening")),
    Category("transport", N_("Transport")),
    Category("health-wellbeing", N_("Health and wellbeing")),
    Category("furniture", N_("Furniture")),
    Category("clothes", N_("Clothes")),
    Category("books", N_("Books")),
    Category("toys", N_("Toys")),
    Category("tools", N_("Tools")),
    Category("food", N_("Food")),
    Category("other", N_("Other")),
)

SLUGS: frozenset[str] = frozenset(c.slug for c in CATEGORIES)
