"""Every model change comes with its migration."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db(databases=["default", "payments"])  # makemigrations checks every database's history
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
