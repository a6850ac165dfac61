import time

from django.core.management.base import BaseCommand, CommandError

from chainboard import search


class Command(BaseCommand):
    help = "Rebuild the search index of every searchable model"

    def add_arguments(self, parser):
        parser.add_argument("models", nargs="*", help="app_label.Model (default: every searchable model)")

    def handle(self, *args, models: list[str], **options):
        available = {m._meta.label_lower: m for m in search.searchable_models()}
        if models:
            unknown = [label for label in models if label.lower() not in available]
            if unknown:
                raise CommandError(
                    f"not searchable: {', '.join(unknown)} (choose from {', '.join(available)})"
                )
            chosen = [available[label.lower()] for label in models]
        else:
            chosen = list(available.values())
        for model in chosen:
            started = time.perf_counter()
            count = search.rebuild(model)
            self.stdout.write(
                f"{model._meta.label}: {count} records in {time.perf_counter() - started:.1f} s"
            )
