"""Bounded contexts refer to each other's records by id, never by a database relation."""

from django.apps import apps

CONTEXTS = {"orders", "payments", "shipping"}


def cross_context_relations() -> list[str]:
    found = []
    for model in apps.get_models():
        owner = model._meta.app_label
        if owner not in CONTEXTS:
            continue
        for field in model._meta.get_fields():
            target = getattr(field, "related_model", None)
            if field.is_relation and target is not None and target._meta.app_label in CONTEXTS - {owner}:
                found.append(f"{model._meta.label}.{field.name} -> {target._meta.label}")
    return found


def test_no_model_relates_to_another_contexts_model():
    assert cross_context_relations() == []


def test_the_contexts_are_installed():
    assert {config.label for config in apps.get_app_configs()} >= CONTEXTS
