"""One screen format for dates and times in both languages (docs/formatting.md): 2026-12-04 and
2026-12-04 14:05. Django's own zh-hans formats (2026年12月4日) would otherwise show beside the ISO dates
the templates write, so settings.FORMAT_MODULE_PATH points here."""
