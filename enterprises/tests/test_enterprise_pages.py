import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_enterprise_page_shows_indicator_money_in_chinese_units(client, world):
    client.force_login(world.users["office"])
    page = client.get(reverse("enterprises:enterprise_detail", args=[world.enterprises["jingbai"].pk]))
    html = page.content.decode()
    assert "100万元" in html  # output value 1,000,000 yuan
    assert "1000000.00" not in html
