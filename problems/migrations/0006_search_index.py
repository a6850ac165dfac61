from django.db import migrations, models

from chainboard import search


class Migration(migrations.Migration):
    """The search index (chainboard.search) of problems, tasks and meeting records, filled from the rows
    already there: the search box and the lists' ``q`` read it instead of scanning the tables; and the index of their
    default order (the first hits of a common term are found by walking it)."""

    dependencies = [
        ("problems", "0005_chain_state_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="problem",
            index=models.Index(fields=["created_at"], name="problem_created_idx"),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["created_at"], name="task_created_idx"),
        ),
        *search.install("problems_problem", "id", ["title", "description"]),
        *search.install("problems_task", "id", ["title", "description"]),
        *search.install("problems_meetingrecord", "id", ["title", "attendees", "decisions"]),
    ]
