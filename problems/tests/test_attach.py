"""Files added to a problem or task after it was raised (docs/closed-loop.md, Roles): the enterprise to the
problem it raised (a photo the office asks for), the handling unit to what it handles (a reply letter);
removing one stays with those who may change the record. Each try goes through the detail page's form
route, as a browser posts it."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chainboard.models import Attachment, AuditEntry
from chainboard.tests.test_attachments import image

from .conftest import assigned, make_problem, make_task

pytestmark = pytest.mark.django_db


def attach(client, record, name="现场.png"):
    route = f"problems:{record._meta.model_name}_attachments"
    photo = SimpleUploadedFile(name, image("PNG"), content_type="image/png")
    return client.post(
        reverse(route, kwargs={"pk": record.pk}), {"kind": "photo", "title": "现场照片", "file": photo}
    )


def attachments_of(record) -> list[Attachment]:
    ct = ContentType.objects.get_for_model(record)
    return list(Attachment.objects.filter(content_type=ct, object_id=str(record.pk)))


def test_the_enterprise_adds_a_photo_to_the_problem_it_raised_but_does_not_remove_files(client, world):
    problem = make_problem(world, "jingbai")
    client.force_login(world.users["enterprise"])
    page = client.get(problem.get_absolute_url()).content.decode()
    assert reverse("problems:problem_attachments", kwargs={"pk": problem.pk}) in page  # the upload form

    assert attach(client, problem).status_code == 302
    [added] = attachments_of(problem)
    assert added.uploaded_by == world.users["enterprise"]
    entry = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(Attachment)).latest("pk")
    assert entry.object_id == str(added.pk) and entry.user_id == world.users["enterprise"].pk

    removal = reverse("problems:problem_attachment", kwargs={"pk": problem.pk, "attachment_id": added.pk})
    page = client.get(problem.get_absolute_url()).content.decode()
    assert f'href="{removal}"' in page  # listed, to download
    assert f'action="{removal}"' not in page  # but no remove button
    assert client.post(removal).status_code == 403
    assert attachments_of(problem) == [added]


def test_the_enterprise_cannot_attach_to_another_enterprises_problem(client, world):
    other = make_problem(world, "luanfu")
    client.force_login(world.users["enterprise"])
    assert attach(client, other).status_code == 404
    assert attachments_of(other) == []


def test_the_handling_unit_attaches_to_what_it_handles_and_only_that(client, world):
    bureau = world.organisations["bureau"]
    problem = make_problem(world, "luanfu", handling_unit=bureau, **assigned(world))
    task = make_task(world, **assigned(world))
    client.force_login(world.users["unit"])
    assert attach(client, problem, "复函.png").status_code == 302
    assert attach(client, task, "进展.png").status_code == 302
    assert [a.file_name for a in attachments_of(problem)] == ["复函.png"]
    assert [a.file_name for a in attachments_of(task)] == ["进展.png"]

    client.force_login(world.users["unit_college"])  # another unit: the records are not in its scope
    assert attach(client, problem).status_code == 404
    assert len(attachments_of(problem)) == 1


def test_a_chief_who_only_reads_gets_no_upload_form_and_is_refused(client, world):
    problem = make_problem(world, "jingbai")
    client.force_login(world.users["chief"])
    page = client.get(problem.get_absolute_url()).content.decode()
    assert reverse("problems:problem_attachments", kwargs={"pk": problem.pk}) not in page
    assert attach(client, problem).status_code == 403
    assert attachments_of(problem) == []
