"""The bus's settings: one object holds every default, the environment overrides a field, the docs list them all."""

import dataclasses
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from eventbus import conf
from tests.processes import ROOT


def test_a_django_setting_overrides_its_field_and_the_rest_keep_their_defaults():
    with override_settings(EVENTBUS_BATCH_SIZE=7):
        assert conf.current().batch_size == 7
        assert conf.current().pump_seconds == conf.DEFAULTS.pump_seconds
    assert conf.current().batch_size == conf.DEFAULTS.batch_size


def test_environment_variables_are_parsed_as_their_fields_types():
    found = conf.environment_overrides(
        {"EVENTBUS_BATCH_SIZE": "7", "EVENTBUS_LEASE_SECONDS": "2.5", "EVENTBUS_CHECK_PUBLISHES": "off", "PATH": "/"}
    )
    assert found == {"EVENTBUS_BATCH_SIZE": 7, "EVENTBUS_LEASE_SECONDS": 2.5, "EVENTBUS_CHECK_PUBLISHES": False}


@pytest.mark.parametrize(("name", "raw"), [("EVENTBUS_BATCH_SIZE", "many"), ("EVENTBUS_CHECK_PUBLISHES", "perhaps")])
def test_a_malformed_variable_is_refused_by_name(name, raw):
    with pytest.raises(ImproperlyConfigured, match=name):
        conf.environment_overrides({name: raw})


def test_the_configuration_docs_list_every_bus_setting_with_its_default():
    table = (ROOT / "docs" / "configuration.md").read_text()
    for field in dataclasses.fields(conf.BusSettings):
        name = "EVENTBUS_" + field.name.upper()
        row = re.search(rf"^\| `{name}`[^|]*\| ([^|]+) \|", table, re.MULTILINE)
        assert row, f"{name} is missing from docs/configuration.md"
        assert _documented(field.default) in row.group(1), f"{name}: the docs say {row.group(1)!r}"


def _documented(default: object) -> str:
    if default is None:
        return "DEBUG"
    if default == "":
        return "empty"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    return f"`{default}`"
