"""The expectation table itself: the fake may play either cloud, fact by fact, but nothing neither does."""
import pytest

from expectations import BEHAVIOUR


@pytest.mark.parametrize("fact", sorted(BEHAVIOUR["fake"]))
def test_every_answer_of_the_fake_is_one_cloud_gives(fact):
    assert BEHAVIOUR["fake"][fact] in (BEHAVIOUR["aws"][fact], BEHAVIOUR["alicloud"][fact])


def test_every_subject_has_every_fact():
    assert set(BEHAVIOUR["aws"]) == set(BEHAVIOUR["alicloud"]) == set(BEHAVIOUR["fake"])
