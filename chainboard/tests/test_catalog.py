"""The Simplified Chinese catalog: complete, well formed, in step with the sources, and in use.

Only the .po is committed; the .mo is built by ``chainboard compile-catalog`` (``make install``), so the
tests below that render pages compile it themselves.
"""

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.signals import setting_changed
from django.urls import reverse

CATALOG = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.po"
# The folders `makemessages` must not scan: those of the documented command
# (manage.py makemessages -l zh_Hans --ignore=node_modules --ignore=.venv --ignore=var --ignore=bench),
# plus build output and "locale": makemessages writes the strings of the files below any folder that holds
# a locale/ into that locale/, so without it the test would rewrite the committed catalog.
IGNORED = ["node_modules", ".venv", "var", "bench", "build", "test-results", "*.egg-info", "locale"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _reset_translations() -> None:
    """Forget the catalogs Django loaded before the .mo existed: announce LOCALE_PATHS as changed, which
    is how Django's own test tools reset the translation caches."""
    setting_changed.send(sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=True)


@pytest.fixture(scope="module")
def compiled_catalog():
    call_command("compile_catalog", verbosity=0)
    _reset_translations()
    yield
    _reset_translations()


def _catalog() -> polib.POFile:
    return polib.pofile(str(CATALOG))


def _key(entry: polib.POEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def _translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def test_the_committed_catalog_has_no_empty_fuzzy_or_obsolete_entry():
    po = _catalog()
    assert not po.metadata_is_fuzzy, "the header is marked fuzzy"
    assert po.metadata.get("Plural-Forms", "").startswith("nplurals=1;")
    empty = [e.msgid for e in po if not e.obsolete and not all(_translations(e))]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    obsolete = [e.msgid for e in po.obsolete_entries()]
    assert not empty, f"untranslated: {empty}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    assert not obsolete, f"obsolete (re-run makemessages with --no-obsolete): {obsolete}"
    assert len(po) > 100


def test_every_translation_keeps_the_placeholders_of_its_msgid():
    wrong = []
    for entry in _catalog():
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        for text in _translations(entry):
            if sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append((entry.msgid, text))
    assert not wrong


def test_plural_entries_have_exactly_one_form():
    # nplurals=1: a second msgstr[] makes msgfmt --check fail.
    for entry in _catalog():
        if entry.msgid_plural:
            assert list(entry.msgstr_plural) == [0], entry.msgid


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed")
def test_msgfmt_check_accepts_the_catalog():
    result = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(CATALOG)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("xgettext", "msguniq", "msgmerge")),
    reason="GNU gettext (xgettext, msguniq, msgmerge) is not installed: makemessages cannot run",
)
def test_every_string_in_the_sources_is_translated(settings, tmp_path, monkeypatch):
    """Extract the msgids afresh into a temporary locale folder and compare with the committed catalog:
    a string added to the code or templates without a translation fails here."""
    locale = tmp_path / "locale"
    locale.mkdir()
    settings.LOCALE_PATHS = [str(locale)]
    monkeypatch.chdir(settings.BASE_DIR)
    before = CATALOG.read_bytes()
    call_command(
        "makemessages",
        locale=["zh_Hans"],
        domain="django",
        ignore_patterns=IGNORED,
        no_obsolete=True,
        verbosity=0,
    )
    assert CATALOG.read_bytes() == before, "makemessages wrote into the committed catalog"
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.po"))
    assert written == [Path("locale/zh_Hans/LC_MESSAGES/django.po")], written
    extracted = polib.pofile(str(locale / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert len(extracted) > 100
    committed = {_key(e): e for e in _catalog() if not e.obsolete}
    missing, untranslated = [], []
    for entry in extracted:
        found = committed.get(_key(entry))
        if found is None:
            missing.append(entry.msgid)
        elif "fuzzy" in found.flags or not all(_translations(found)):
            untranslated.append(entry.msgid)
    hint = "run makemessages -l zh_Hans (see IGNORED in this file) and translate"
    assert not missing, f"not in the catalog ({hint}): {missing}"
    assert not untranslated, f"not translated ({hint}): {untranslated}"


@pytest.mark.django_db
def test_the_login_page_is_chinese_by_default(client, compiled_catalog):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "链长制工作台" in content
    assert "登录" in content
    assert "Chain chief workbench" not in content


@pytest.mark.django_db
def test_the_login_page_stays_chinese_for_a_browser_set_to_english(client, compiled_catalog):
    # zh-hans is the product's default; only the language switch (a cookie) changes it.
    response = client.get(reverse("login"), headers={"accept-language": "en"})
    content = response.content.decode()
    assert "链长制工作台" in content


@pytest.mark.django_db
def test_the_language_cookie_chooses_english(client, compiled_catalog):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    content = client.get(reverse("login"), headers={"accept-language": "zh-CN"}).content.decode()
    assert "Sign in to your account" in content
    assert "链长制工作台" not in content
