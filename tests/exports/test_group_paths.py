"""Items whose name repeats across groups: the codebook says where the form puts them."""

from pathlib import Path

import pytest

from exports.items import load_items
from surveys.services.questionnaires import import_questionnaire
from tests.builders import make_study
from tests.surveys.kobo_forms import household_form

pytestmark = pytest.mark.django_db


def test_a_derived_export_name_is_documented_with_its_group_path(tmp_path: Path) -> None:
    study = make_study("paths", languages=("en",))
    version = import_questionnaire(household_form(tmp_path / "h.xlsx"), study=study).version
    items = {item.name: item for item in load_items([version.pk])}
    assert items["head_age"].change_notes("en", {version.pk: 1}) == [
        "named in the form by its group path household/head/age (the name repeats across "
        "groups, so this export name joins the groups)"
    ]
    assert items["sex"].change_notes("en", {version.pk: 1}) == []
    assert items["adults"].type == "calculate"


def test_an_items_relevance_includes_its_groups_with_paths_resolved(tmp_path: Path) -> None:
    study = make_study("paths2", languages=("en",))
    version = import_questionnaire(household_form(tmp_path / "h.xlsx"), study=study).version
    items = {item.name: item for item in load_items([version.pk])}
    assert items["spouse_age"].latest.relevant == ("(${consent} = 'yes') and (${head_age} >= 18)")
    assert items["head_age"].latest.relevant == "(${consent} = 'yes')"
