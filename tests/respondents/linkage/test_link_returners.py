"""link_returners end to end on the database: candidates, accepted links, the report, the
export sample seeing one person, undo, and the refusals."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from exports.sampling import select_sample
from respondents.models import LinkHow, LinkStatus, Response, ResponseLink
from respondents.services.linkage import link_response, run_linkage, undo_link
from tests.respondents.fieldwork import make_member

pytestmark = pytest.mark.django_db


def test_accepted_links_make_one_person_in_the_panel_sample(two_waves, tmp_path):
    study, first, second, earlier, returners, _ = two_waves
    report = tmp_path / "links.csv"
    call_command(
        "link_returners",
        "--wave",
        str(second.pk),
        "--accept-above",
        "0.9",
        "--report",
        str(report),
        "--json",
        stdout=io.StringIO(),
    )
    links = ResponseLink.objects.filter(status=LinkStatus.LINKED)
    linked_pairs = {(link.response_id, link.earlier_response_id) for link in links}
    # every accepted link is right, and the distinct returners are all found
    assert linked_pairs <= {(r.pk, e.pk) for r, e in zip(returners, earlier, strict=False)}
    assert len(linked_pairs) == len(returners)
    assert {link.how for link in links} == {LinkHow.ACCEPTED}
    panel = select_sample(study.pk, [first.pk, second.pk], sample="panel", include_flagged=True)
    assert panel.people == len(returners)
    with report.open() as handle:
        rows = list(csv.DictReader(handle))
    assert {row["how"] for row in rows} == {"accepted"}
    assert len(rows) == len(returners)
    assert all(row["source_id"].startswith("pw-") and row["linked_source_id"] for row in rows)


def test_without_accept_above_candidates_wait_and_nothing_is_linked(two_waves, capsys):
    _, _, second, _, _, _ = two_waves
    call_command("link_returners", "--wave", str(second.pk), "--json")
    summary = json.loads(capsys.readouterr().out)
    assert summary["candidates"] >= 8
    assert summary["linked"] == 0
    assert not Response.objects.filter(wave=second, member__isnull=False).exists()


def test_a_link_is_undone_and_the_response_is_its_own_person_again(two_waves):
    study, first, second, _, returners, _ = two_waves
    run_linkage(second)
    link = ResponseLink.objects.get(response=returners[0])
    link_response(link, how=LinkHow.REVIEWED, user=None, reason="same birth year and region")
    returners[0].refresh_from_db()
    assert returners[0].member_id is not None
    undo_link(link, user=None, reason="reviewer mistook the region")
    returners[0].refresh_from_db()
    link.refresh_from_db()
    assert returners[0].member_id is None
    assert link.status == LinkStatus.UNLINKED
    panel = select_sample(study.pk, [first.pk, second.pk], sample="panel", include_flagged=True)
    assert panel.people == 0


def test_a_returner_who_rejoined_the_panel_keeps_one_member(two_waves):
    _, _, second, _, returners, _ = two_waves
    newcomer_record = make_member(second.study, email="back@example.org", recruited_in=second)
    Response.objects.filter(pk=returners[1].pk).update(member=newcomer_record)
    run_linkage(second)
    link = ResponseLink.objects.get(response=returners[1])
    link_response(link, how=LinkHow.REVIEWED, user=None)
    newcomer_record.refresh_from_db()
    returners[1].refresh_from_db()
    assert returners[1].member_id != newcomer_record.pk
    assert newcomer_record.possible_duplicate_of_id == returners[1].member_id


@pytest.mark.parametrize(
    ("_case", "args", "message"),
    [
        ("unknown item", ["--on", "trust,shoe_size"], "'shoe_size' is not asked in wave"),
        ("bad probability", ["--accept-above", "1.5"], "between 0 and 1"),
    ],
)
def test_bad_requests_are_refused_in_one_line(two_waves, _case, args, message):
    _, _, second, _, _, _ = two_waves
    with pytest.raises(CommandError, match=message):
        call_command("link_returners", "--wave", str(second.pk), *args)
    assert not ResponseLink.objects.exists()


def test_the_first_wave_has_nothing_to_link_to(two_waves):
    _, first, _, _, _, _ = two_waves
    with pytest.raises(CommandError, match="no earlier wave"):
        call_command("link_returners", "--wave", str(first.pk))
