import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LIST_URLS = [
    "regions:region_list",
    "industries:industryclass_list",
    "organisations:organisation_list",
    "organisations:person_list",
    "accounts:user_list",
    "accounts:grant_list",
    "chains:chain_list",
    "chains:segment_list",
    "chains:segmentlink_list",
    "chains:position_list",
    "chains:chainattribute_list",
    "chains:chainstatistic_list",
    "enterprises:enterprise_list",
    "enterprises:membership_list",
    "enterprises:product_list",
    "enterprises:contact_list",
    "enterprises:abovesizestatus_list",
    "enterprises:indicator_list",
    "projects:project_list",
    "projects:projectplan_list",
    "projects:milestone_list",
    "projects:schedulinground_list",
    "projects:progressreport_list",
    "investment:lead_list",
    "investment:leadcontact_list",
    "investment:team_list",
    "investment:teammember_list",
    "investment:target_list",
    "investment:event_list",
    "investment:visit_list",
    "investment:followup_list",
    "investment:macroregion_list",
]


@pytest.mark.parametrize(
    "username",
    ["chief", "office", "county", "investment", "enterprise", "auditor", "admin", "security_admin"],
)
def test_every_page_a_role_reaches_from_its_menu_renders(client, world, username):
    client.force_login(world.users[username])
    home = client.get(reverse("home"))
    assert home.status_code == 200
    for group in home.context["menu"]:
        for item in group["items"]:
            response = client.get(item["url"])
            assert response.status_code == 200, item["url"]
            rows = response.context.get("rows") or []
            for row in rows[:2]:
                detail = client.get(row["object"].get_absolute_url())
                assert detail.status_code == 200, row["object"].get_absolute_url()
