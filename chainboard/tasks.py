"""Background tasks (django-tasks; the database is the queue, ``chainboard serve`` runs a worker)."""

from django_tasks import task


@task()
def check_import(job_id: int) -> None:
    """The dry run behind an import's preview: every row validated, written and rolled back."""
    from chainboard import importlog
    from chainboard.imports import run_job

    with importlog.attempt(job_id):
        run_job(job_id, commit=False)


@task()
def commit_import(job_id: int) -> None:
    """Write an import's rows in one transaction (or none), with their audit rows and search index."""
    from chainboard import importlog
    from chainboard.imports import run_job

    with importlog.attempt(job_id):
        run_job(job_id, commit=True)
