"""The fixed taxonomy of what members trade: stable slugs, English and French labels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    slug: str
    english: str
    french: str

    def label(self, language: str) -> str:
        return self.french if language == "fr" else self.english


# Slugs are part of the API: clients store them, so they never change once released.
CATEGORIES: tuple[Category, ...] = (
    Category("lessons", "Lessons and tutoring", "Cours et soutien scolaire"),
    Category("languages", "Languages", "Langues"),
    Category("legal-help", "Legal and paperwork help", "Aide juridique et administrative"),
    Category("tax-forms", "Tax forms", "Déclarations d'impôts"),
    Category("moving-diy", "Moving and DIY", "Déménagement et bricolage"),
    Category("repairs", "Repairs", "Réparations"),
    Category("it-help", "IT help", "Aide informatique"),
    Category("childcare", "Childcare", "Garde d'enfants"),
    Category("elderly-care", "Elderly care", "Aide aux personnes âgées"),
    Category("cooking", "Cooking", "Cuisine"),
    Category("gardening", "Gardening", "Jardinage"),
    Category("transport", "Transport", "Transport"),
    Category("health-wellbeing", "Health and wellbeing", "Santé et bien-être"),
    Category("furniture", "Furniture", "Meubles"),
    Category("clothes", "Clothes", "Vêtements"),
    Category("books", "Books", "Livres"),
    Category("toys", "Toys", "Jouets"),
    Category("tools", "Tools", "Outils"),
    Category("food", "Food", "Alimentation"),
    Category("other", "Other", "Autre"),
)

SLUGS: frozenset[str] = frozenset(c.slug for c in CATEGORIES)
