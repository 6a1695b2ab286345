"""seed_demo: a customer with a token, an admin operator, one order per path — in development only."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from orders.models import Order

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_a_customer_an_operator_and_an_order_per_path(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    users = get_user_model().objects
    assert users.get(username="operator").is_superuser
    demo = users.get(username="demo")
    assert not demo.is_staff
    assert Token.objects.get(user=demo).key in out.getvalue()
    assert Order.objects.filter(customer=demo).count() == 5


def test_seed_demo_refuses_outside_development(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()
