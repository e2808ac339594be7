from __future__ import annotations

import pytest

from exports.anonymise.pseudonyms import (
    ERROR_SHORT_KEY,
    PID_LENGTH,
    Pseudonymiser,
    PseudonymKeyError,
    new_export_key,
    person_reference,
)


def test_one_key_gives_one_pid_per_person_and_different_keys_do_not_link():
    first, second = Pseudonymiser(new_export_key()), Pseudonymiser(new_export_key())
    people = [person_reference(member_id=i, response_id=1000 + i) for i in range(50)]

    pids_first = [first.pid(p) for p in people]

    assert pids_first == [first.pid(p) for p in people]
    assert len(set(pids_first)) == 50
    assert not set(pids_first) & {second.pid(p) for p in people}
    assert {len(p) for p in pids_first} == {PID_LENGTH}


def test_pids_of_many_people_are_their_pids_one_by_one():
    pseudonymiser = Pseudonymiser(new_export_key())
    people = [person_reference(member_id=i, response_id=i) for i in range(2000)] + [
        person_reference(member_id=None, response_id=i) for i in range(2000)
    ]

    assert pseudonymiser.pids(people) == [pseudonymiser.pid(p) for p in people]
    assert pseudonymiser.pids([]) == []


def test_open_link_responses_are_their_own_person():
    assert person_reference(member_id=None, response_id=7) == "response:7"
    assert person_reference(member_id=7, response_id=9) == "member:7"


def test_pseudonymiser_refuses_a_short_key_and_hides_its_key():
    with pytest.raises(PseudonymKeyError) as error:
        Pseudonymiser(b"short")
    assert str(error.value) == ERROR_SHORT_KEY.format(minimum=16, length=5)
    key = b"s" * 32
    assert "sss" not in repr(Pseudonymiser(key))
