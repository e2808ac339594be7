"""Load the harmonised item bank into the database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from surveys.itembank import ITEM_BANK_PATH, read_item_bank
from surveys.models import ItemBankConcept


@dataclass(frozen=True)
class ItemBankLoad:
    created: int
    updated: int
    total: int


@transaction.atomic
def load_item_bank(path: Path = ITEM_BANK_PATH) -> ItemBankLoad:
    """Create or update one ItemBankConcept per concept; safe to run again."""
    concepts = read_item_bank(path)
    created = 0
    for concept in concepts:
        # Dates in the YAML become strings so the definition is plain JSON.
        definition = json.loads(json.dumps(concept.definition, default=str))
        _, was_created = ItemBankConcept.objects.update_or_create(
            key=concept.key,
            defaults={
                "label": concept.label,
                "domain": concept.domain,
                "wvs7_item": concept.wvs7_item,
                "ess_variable": concept.ess_variable,
                "equivalence": concept.equivalence,
                "definition": definition,
            },
        )
        created += int(was_created)
    return ItemBankLoad(created=created, updated=len(concepts) - created, total=len(concepts))
