"""Import pages for every entity: upload, map columns, check (a dry run), preview, import, progress.

The file is checked (size, type, zip bomb, XML entities) and its header read when it is uploaded; the
check and the import run as background tasks (``chainboard.tasks``), and the job page polls their
progress with htmx. A user sees only their own import jobs.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile, File
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from chainboard import importlog, imports, scope, tabular
from chainboard.exports import _Echo, neutralise
from chainboard.imports.related import RelatedSpec
from chainboard.models import ImportJob, ImportMapping, ImportStatus
from chainboard.views.generic import EntityView
from chainboard.views.importwide import read_period, wide_context

SAMPLE_ROWS = 3


class ImportBase(EntityView):
    def check_permission(self) -> None:
        user = self.request.user
        # Importing is adding records (and, by key, changing them): it asks for the add permission.
        if self.viewset.form_class is None or not scope.has_permission(user, "add", self.model):
            raise PermissionDenied

    @cached_property
    def spec(self) -> imports.Spec:
        """The entity's columns as this user sees them (one form built per request)."""
        return imports.Spec(self.viewset, self.request.user)

    @cached_property
    def related(self) -> RelatedSpec:
        """The related records a ledger of this entity may fill (its ViewSet's ``import_related``)."""
        return RelatedSpec(self.viewset, self.request.user)

    def content_type(self) -> ContentType:
        return ContentType.objects.get_for_model(self.model)


class ImportView(ImportBase):
    """Upload a file (and see the columns, the templates and one's recent imports)."""

    template = "chainboard/imports/upload.html"

    def get(self, request):
        self.check_permission()
        return self.page()

    def page(self, error: str = "", status: int = 200):
        spec = self.spec
        jobs = ImportJob.objects.filter(user=self.request.user, content_type=self.content_type())[:10]
        columns = [{"column": c, "accepted": accepted(c)} for c in spec.columns.values()]
        # A wide ledger's related columns (chainboard/imports/related.py), after the entity's own.
        columns += [
            {"column": {"label": c.label}, "accepted": accepted(c.column)}
            for c in self.related.columns.values()
        ]
        ctx = self.context(columns=columns, keys=spec.keys, jobs=jobs, error=error)
        return render(self.request, self.template, ctx, status=status)

    def post(self, request):
        self.check_permission()
        upload = request.FILES.get("file")
        if upload is None:
            return self.page(_("Choose a file to import."), status=400)
        name = os.path.basename(upload.name)[:255]
        suffix = tabular.extension(name)
        with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
            handle.flush()
            try:
                table = imports.read_table(handle.name, name, self.spec)
            except (tabular.FileProblem, imports.ImportError_) as exc:
                self.refused(handle, name, str(exc))
                return self.page(str(exc), status=400)
            handle.seek(0)
            content = handle.read()
        job = ImportJob(
            user=request.user,
            content_type=self.content_type(),
            file_name=name,
            language=translation.get_language() or "zh-hans",
        )
        set_table(job, table, self.spec, self.related)
        job.file.save(name, ContentFile(content), save=False)
        job.save()
        importlog.uploaded(job)
        return HttpResponseRedirect(reverse(self.viewset.names()["import_job"], args=[job.pk]))

    def refused(self, handle, name: str, message: str) -> None:
        """A file refused at upload is an attempt too: audited, and kept for the retention period
        (unless it is over the size limit)."""
        job = ImportJob(
            user=self.request.user,
            content_type=self.content_type(),
            file_name=name,
            status=ImportStatus.FAILED,
            message=message,
            language=translation.get_language() or "zh-hans",
            finished_at=timezone.now(),
        )
        if handle.seek(0, os.SEEK_END) <= settings.IMPORT_MAX_BYTES:
            handle.seek(0)
            job.file.save(name, File(handle), save=False)
        job.save()
        importlog.uploaded(job)


def set_table(job: ImportJob, table: imports.Table, spec: imports.Spec, related: RelatedSpec) -> None:
    """The job's header, samples, mapping and reading choices from the file as read."""
    remembered = ImportMapping.objects.filter(user=job.user, content_type=job.content_type).first()
    remembered_columns = remembered.columns if remembered else None
    job.header_row, job.headers = table.header_row, table.headers
    mapping = imports.auto_mapping(spec, table.headers, remembered_columns)
    # A wide ledger's related columns (chainboard/imports/related.py) where the entity's own left them.
    job.mapping = related.default_mapping(table.headers, mapping, remembered_columns)
    job.samples = [
        row for row in table.rows[table.header_row + 1 :] if any(row) and not imports.skip_reason(row)
    ][:SAMPLE_ROWS]
    job.sheets, job.sheet, job.notes = table.sheets, table.sheet, table.notes


class ImportJobView(ImportBase):
    """One import: the mapping form, then the check's progress, errors or preview, then the import."""

    template = "chainboard/imports/job.html"

    def get_job(self, job_id: int) -> ImportJob:
        return get_object_or_404(
            ImportJob, pk=job_id, user=self.request.user, content_type=self.content_type()
        )

    def get(self, request, job_id):
        self.check_permission()
        job = self.get_job(job_id)
        imports.settle_stalled(job)
        if request.GET.get("errors") == "csv":
            return self.errors_csv(job)
        template = "chainboard/imports/_status.html" if request.headers.get("HX-Request") else self.template
        return render(request, template, self.job_context(job))

    def job_context(self, job: ImportJob, mapping_error: str = "") -> dict:
        spec = self.spec
        columns = []
        width = max([len(job.headers), *(len(r) for r in job.samples)] or [0])
        for index in range(width):
            header = job.headers[index] if index < len(job.headers) else ""
            samples = [row[index] if index < len(row) else "" for row in job.samples]
            if not header and not any(samples):
                continue
            columns.append(
                {
                    "index": index,
                    "header": header,
                    "samples": samples,
                    "field": job.mapping.get(str(index), ""),
                    "unit": imports.normalise_header(header)[1],
                }
            )
        mapped = [job.mapping[k] for k in sorted(job.mapping, key=int) if job.mapping[k] in spec.columns]
        wide = wide_context(spec, self.related, job)
        related_changes = any(c["created"] or c["updated"] for c in job.related_counts.values())
        return self.context(
            **wide,
            job=job,
            columns=columns,
            fields=list(spec.columns.values()),
            preview_headers=[spec.columns[name].label for name in dict.fromkeys(mapped)]
            + wide["related_headers"],
            mapping_error=mapping_error,
            can_commit=job.status == ImportStatus.READY
            and (job.created_count or job.updated_count or related_changes)
            and job.user_id == self.request.user.pk,
        )

    def post(self, request, job_id):
        self.check_permission()
        job = self.get_job(job_id)
        imports.settle_stalled(job)
        action = request.POST.get("action")
        if job.running:
            messages.error(request, _("This import is still running."))
        elif action == "check":
            return self.save_mapping_and_check(job)
        elif action == "reread":
            return self.reread(job)
        elif action == "remap":
            job.status = ImportStatus.UPLOADED
            job.save(update_fields=["status", "updated_at"])
        elif action == "commit" and job.status == ImportStatus.READY:
            imports.start_job(job, commit=True)
        elif action == "commit":
            messages.error(request, _("Check the file again before importing it."))
        return HttpResponseRedirect(reverse(self.viewset.names()["import_job"], args=[job.pk]))

    def reread(self, job: ImportJob):
        """Read the file again with the sheet, the header row or all sheets as the user chose."""
        post = self.request.POST
        sheet = post.get("sheet", "")
        all_sheets = post.get("all_sheets") == "1"
        header = post.get("header_row", "").strip()
        if header and (not header.isdigit() or int(header) < 1):
            error = _("The header row is a row number: 1, 2, 3…")
            return render(self.request, self.template, self.job_context(job, error), status=400)
        try:
            table = imports.read_table(
                job.file.path,
                job.file_name,
                self.spec,
                sheet=sheet if sheet in job.sheets else None,
                header_at=int(header) - 1 if header else None,
                all_sheets=all_sheets,
                checked=True,
            )
        except (tabular.FileProblem, imports.ImportError_) as exc:
            return render(self.request, self.template, self.job_context(job, str(exc)), status=400)
        set_table(job, table, self.spec, self.related)
        job.all_sheets = all_sheets and bool(table.origins)
        job.header_at = int(header) - 1 if header else None
        job.status = ImportStatus.UPLOADED
        job.save()
        return HttpResponseRedirect(reverse(self.viewset.names()["import_job"], args=[job.pk]))

    def save_mapping_and_check(self, job: ImportJob):
        spec = self.spec
        mapping: dict[str, str] = {}
        used: dict[str, str] = {}
        for key, value in self.request.POST.items():
            if not key.startswith("column-") or not value:
                continue
            index = key.removeprefix("column-")
            if not index.isdigit() or (value not in spec.columns and value not in self.related.columns):
                continue
            if value in used:
                label = (spec.columns.get(value) or self.related.columns[value]).label
                return render(
                    self.request,
                    self.template,
                    self.job_context(
                        job,
                        _("Two columns are mapped to %(field)s; choose one.") % {"field": label},
                    ),
                    status=400,
                )
            used[value] = index
            mapping[index] = value
        defaulted = imports.scope_defaults(spec, self.request.user)  # the user's one chain or county
        missing = [
            c.label
            for c in spec.columns.values()
            if c.required
            and c.name not in used
            and c.name not in defaulted
            and not any(k in used for k in spec.keys)
        ]
        period, period_errors = read_period(self.request.POST, self.related)
        job.options = {**job.options, **period.as_options()}
        if not mapping or missing or period_errors:
            message = (
                _("Map at least one column to a field.")
                if not mapping
                else _("These required fields have no column: %(fields)s.") % {"fields": "、".join(missing)}
                if missing
                else " ".join(period_errors)
            )
            job.mapping = mapping
            return render(self.request, self.template, self.job_context(job, message), status=400)
        job.mapping = mapping
        job.save(update_fields=["mapping", "options", "updated_at"])
        # Remembered by header text, for the next file with the same headers.
        remembered, _created = ImportMapping.objects.get_or_create(
            user=self.request.user, content_type=self.content_type()
        )
        for index, header in enumerate(job.headers):
            if not header:
                continue
            key, _unit = imports.normalise_header(header)
            remembered.columns[key] = mapping.get(str(index), "")
        remembered.save()
        imports.start_job(job, commit=False)
        return HttpResponseRedirect(reverse(self.viewset.names()["import_job"], args=[job.pk]))

    def errors_csv(self, job: ImportJob):
        writer = csv.writer(_Echo())
        header = [_("Sheet"), _("Row"), _("Column"), _("Field"), _("Value"), _("Problem")]

        def stream():
            yield "\ufeff"
            yield writer.writerow(header)
            for error in job.errors:
                yield writer.writerow(
                    [
                        neutralise(error.get(k))
                        for k in ("sheet", "row", "column", "field", "value", "message")
                    ]
                )

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        name = f"{os.path.splitext(job.file_name)[0]}-{_('errors')}.csv"
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response


class ImportTemplateView(ImportBase):
    """An empty file with the entity's columns, as the user's form has them (.xlsx or .csv)."""

    def get(self, request, fmt):
        self.check_permission()
        spec = self.spec
        # A wide ledger's related columns follow the entity's own (docs/imports.md, Wide ledgers).
        related = self.related.template_headers()
        headers = spec.template_headers() + [header for _column, header in related]
        title = str(self.model._meta.verbose_name_plural)
        stamp = timezone.localtime().strftime("%Y%m%d")
        if fmt == "csv":
            buffer = io.StringIO()
            buffer.write("\ufeff")
            csv.writer(buffer).writerow(headers)
            response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = content_disposition_header(
                True, f"{title}-{_('import template')}-{stamp}.csv"
            )
            return response
        if fmt != "xlsx":
            raise PermissionDenied
        from openpyxl import Workbook
        from openpyxl.styles import Font

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = title[:31]
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for index, header in enumerate(headers, 1):
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(12, len(header) * 2 + 2)
        notes = workbook.create_sheet(_("Instructions")[:31])
        notes.append([_("Column"), _("Required"), _("Accepted values")])
        for cell in notes[1]:
            cell.font = Font(bold=True)
        own = list(spec.columns.values())
        for column, header in zip(own, headers, strict=False):
            notes.append([header, _("Yes") if column.required else "", accepted(column)])
        for column, header in related:
            notes.append([header, "", f"{column.label}: {accepted(column.column)}"])
        notes.column_dimensions["A"].width = 24
        notes.column_dimensions["C"].width = 80
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = content_disposition_header(
            True, f"{title}-{_('import template')}-{stamp}.xlsx"
        )
        return response


def accepted(column: imports.Column) -> str:
    """What a column takes, in a sentence for the template's instructions sheet and the upload page."""
    parts = []
    if column.key and column.name != "id":  # the ID column's help says it already
        parts.append(_("A value that finds a record updates it."))
    if column.help:
        parts.append(column.help)
    if column.related is not None:
        fields = getattr(column.related, "import_lookup_fields", None) or imports._default_lookup_fields(
            column.related
        )
        names = "、".join(str(column.related._meta.get_field(f).verbose_name) for f in fields)
        what = _("the code or %(names)s") % {"names": names} if names else _("the code")
        parts.append(
            (_("One or more, separated by 、 or ;: %(what)s.") if column.many else _("Give %(what)s."))
            % {"what": what}
        )
    if column.choices:
        labels = []
        for value, label in column.form_field.choices:
            if value not in ("", None):
                labels.append(str(label))
        parts.append(_("One of: %(values)s.") % {"values": "、".join(labels)})
    if column.boolean:
        parts.append(_("是 or 否."))
    if column.money:
        parts.append(_("In 万元 as the header says; a header in 元 or 亿元 is read in that unit."))
    # Chinese sentences follow each other without a space.
    return ("" if (translation.get_language() or "").startswith("zh") else " ").join(parts)
