import pytest

from respondents.quality.config import (
    CONFIG_BAD_VALUE,
    CONFIG_NOT_MAPPING,
    CleaningConfig,
    CleaningConfigError,
)


def test_overrides_apply_in_order_over_the_defaults():
    config = CleaningConfig.from_overrides(
        {"speeder_rsi_threshold": 2.5}, {"speeder_rsi_threshold": 1.75}
    )

    assert config.speeder_rsi_threshold == 1.75
    assert config.straightliner_min_batteries == 2


def test_unknown_key_is_refused_with_its_name():
    with pytest.raises(CleaningConfigError, match="unknown key 'speeder_rsi'"):
        CleaningConfig.from_overrides({"speeder_rsi": 2})


@pytest.mark.parametrize(
    ("_case", "key", "value", "kind"),
    [
        ("bool as int", "straightliner_min_batteries", True, "a positive integer"),
        ("float as int", "duplicate_min_items", 2.5, "a positive integer"),
        ("text", "speeder_rsi_threshold", "2", "a positive number"),
        ("negative", "duplicate_match_floor", -0.1, "a positive number"),
    ],
)
def test_bad_values_are_refused(_case, key, value, kind):
    with pytest.raises(CleaningConfigError) as error:
        CleaningConfig.from_overrides({key: value})

    assert str(error.value) == CONFIG_BAD_VALUE.format(key=key, kind=kind, value=value)


def test_config_must_be_an_object():
    with pytest.raises(CleaningConfigError, match=CONFIG_NOT_MAPPING.format(kind="list")):
        CleaningConfig.from_overrides([1, 2])  # type: ignore[arg-type]
