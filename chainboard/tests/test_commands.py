"""Management commands users run: purge-samples removes sample data (audited) and the CLI explains itself."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from chainboard import actions
from chainboard.cli import main
from chainboard.models import AuditEntry
from chainboard.models.audit import AuditAction
from chainboard.scope import SystemActor
from chains.models import ChainAttribute, Segment
from enterprises.models import Contact, Enterprise, Indicator, Product


@pytest.fixture
def samples(world):
    """Sample rows beside the world's real ones: a sample attribute, segment, product and indicator."""
    actor = SystemActor("test")
    silk = world.chains["silk"]
    jingbai = world.enterprises["jingbai"]
    return {
        "attribute": actions.create_direct(
            actor, ChainAttribute(chain=silk, kind="fact", name="示例事实", is_sample=True)
        ),
        "segment": actions.create_direct(actor, Segment(chain=silk, name="示例环节", is_sample=True)),
        "product": actions.create_direct(actor, Product(enterprise=jingbai, name="示例产品", is_sample=True)),
        "indicator": actions.create_direct(
            actor,
            Indicator(
                enterprise=jingbai, period_type="year", year=2022, output_value=Decimal("1"), is_sample=True
            ),
        ),
    }


def real_counts():
    return {
        "enterprises": Enterprise.objects.count(),
        "segments": Segment.objects.filter(is_sample=False).count(),
        "products": Product.objects.filter(is_sample=False).count(),
        "indicators": Indicator.objects.filter(is_sample=False).count(),
        "contacts": Contact.objects.count(),
    }


def test_purge_samples_removes_every_sample_row(world, samples):
    call_command("purge_samples", stdout=io.StringIO())
    for obj in samples.values():
        assert not type(obj)._base_manager.filter(pk=obj.pk).exists(), obj


def test_purge_samples_keeps_every_real_row(world, samples):
    before = real_counts()
    call_command("purge_samples", stdout=io.StringIO())
    assert real_counts() == before
    assert Segment.objects.filter(name="缫丝").exists()
    assert Indicator.objects.filter(pk=world.indicators["jingbai"].pk).exists()


def test_purge_samples_audits_each_deleted_row_with_the_row_as_it_was(world, samples):
    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    call_command("purge_samples", stdout=io.StringIO())
    new = AuditEntry.objects.filter(id__gt=start)
    deletes = new.filter(action=AuditAction.DELETE)
    assert {(e.content_type.model_class(), e.object_id) for e in deletes} == {
        (type(obj), str(obj.pk)) for obj in samples.values()
    }
    product_row = deletes.get(object_id=str(samples["product"].pk), content_type__model="product")
    assert product_row.before["name"] == "示例产品"
    assert product_row.after is None
    assert {e.source for e in new} == {"command"}
    assert len({e.operation_id for e in new}) == 1, "one purge is one operation"


def test_purge_samples_writes_one_summary_row_with_the_counts(world, samples):
    call_command("purge_samples", stdout=io.StringIO())
    summary = AuditEntry.objects.get(action=AuditAction.PURGE)
    assert summary.after == {
        "chains.ChainAttribute": 1,
        "chains.Segment": 1,
        "enterprises.Product": 1,
        "enterprises.Indicator": 1,
    }
    assert summary.user_name == "command:purge_samples"


def test_purge_samples_dry_run_changes_nothing(world, samples, capsys):
    audit_rows = AuditEntry.objects.count()
    call_command("purge_samples", "--dry-run")
    for obj in samples.values():
        assert type(obj)._base_manager.filter(pk=obj.pk).exists(), obj
    assert AuditEntry.objects.count() == audit_rows
    out = capsys.readouterr().out
    assert "would remove 4 sample rows" in out


def test_purge_samples_with_nothing_to_purge_removes_nothing(world):
    before = real_counts()
    call_command("purge_samples", stdout=io.StringIO())
    assert real_counts() == before


def test_purge_samples_audits_sample_rows_removed_together_with_their_sample_parent(world):
    actor = SystemActor("test")
    parent = actions.create_direct(
        actor, Enterprise(name="示例企业", region=world.regions["140581"], is_sample=True)
    )
    child = actions.create_direct(actor, Product(enterprise=parent, name="示例企业产品", is_sample=True))
    call_command("purge_samples", stdout=io.StringIO())
    assert not Product.objects.filter(pk=child.pk).exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.DELETE, content_type__model="product", object_id=str(child.pk)
    ).exists()
    assert AuditEntry.objects.get(action=AuditAction.PURGE).after["enterprises.Product"] == 1


# ---- the chainboard console command -------------------------------------------------------------------


def test_chainboard_help_lists_the_commands_users_run(capsys):
    main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: chainboard COMMAND")
    for command in ("demo-users", "setup", "purge-samples", "serve", "load-demo", "load-regions"):
        assert f"  {command} " in out, command


def test_chainboard_without_arguments_prints_the_same_help(capsys):
    main([])
    assert "purge-samples" in capsys.readouterr().out


def test_chainboard_help_hides_commands_users_should_not_run(capsys):
    main(["--help"])
    assert "createsuperuser" not in capsys.readouterr().out


def test_purge_samples_explains_itself_in_its_help(capsys):
    with pytest.raises(SystemExit):
        call_command("purge_samples", "--help")
    out = capsys.readouterr().out
    assert "--dry-run" in out
    assert "sample" in out
