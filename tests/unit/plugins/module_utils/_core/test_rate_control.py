"""concurrency / max_errors as the OOS and SSM templates take them, and the waves they make."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import waves
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.rate_control import (
    over_limit, parse_concurrency, parse_max_errors,
)


@pytest.mark.parametrize("value, total, expected", [
    ("10", 25, 10), ("1", 1, 1), ("500", 3, 500), (" 2 ", 10, 2), (3, 10, 3),
    ("10%", 25, 2),   # 2.5 rounded down
    ("10%", 5, 1),    # 0.5 rounded down is 0: at least 1
    ("1%", 10, 1), ("50%", 10, 5), ("100%", 7, 7), ("34%", 3, 1), ("67%", 3, 2),
])
def test_concurrency_numbers_and_percentages(value, total, expected):
    assert parse_concurrency(value, total).value == expected


@pytest.mark.parametrize("value, total, expected", [
    ("0", 10, 0), ("2", 10, 2), ("0%", 10, 0), ("10%", 25, 2), ("10%", 5, 0), ("100%", 4, 4), ("29%", 10, 2),
])
def test_max_errors_numbers_and_percentages_round_down(value, total, expected):
    assert parse_max_errors(value, total).value == expected


@pytest.mark.parametrize("value, shown", [
    ("0", "'0'"), ("0%", "'0%'"), ("101%", "'101%'"), ("-1", "'-1'"), ("ten", "'ten'"), ("", "''"), ("1.5", "'1.5'"),
    ("5 %%", "'5 %%'"), (None, "None"),
])
def test_bad_concurrency_is_an_input_error(value, shown):
    with pytest.raises(InputError) as info:
        parse_concurrency(value, 10)
    assert info.value.message == ("concurrency must be a number of instances (1 or more) or a percentage from 1% to 100%, got "
                                  + shown)


@pytest.mark.parametrize("value", ["-1", "101%", "-5%", "many", "1e3"])
def test_bad_max_errors_is_an_input_error(value):
    with pytest.raises(InputError) as info:
        parse_max_errors(value, 10)
    assert info.value.message == ("max_errors must be a number of instances (0 or more) or a percentage from 0% to 100%, got "
                                  + repr(value))


def test_limit_reads_back_as_asked():
    assert str(parse_max_errors("2", 10)) == "2"
    assert str(parse_max_errors("20%", 10)) == "20% (2)"


def test_waves_keep_the_order_and_the_last_is_short():
    ids = ["i-%d" % n for n in range(7)]
    assert waves(ids, 3) == [ids[0:3], ids[3:6], ids[6:7]]
    assert waves(ids, 10) == [ids]
    assert waves([], 2) == []
    with pytest.raises(ValueError):
        waves(ids, 0)


def test_over_limit_means_strictly_more_errors_than_allowed():
    limit = parse_max_errors("2", 10)
    assert not over_limit(2, limit) and over_limit(3, limit)
    assert over_limit(1, parse_max_errors("0", 10))
