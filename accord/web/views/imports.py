"""The Import page: upload a CSV file of contacts or accounts, see how it will be read (the dry run)
and change how its columns map, start the import in the background, and follow it to its outcome
(docs/imports.md, "From the browser"). The work is the same as `accord import`'s."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.core import clock
from accord.core.errors import AccordError, InvalidInput, NotFound
from accord.core.middleware import body_limit
from accord.imports import actions, background, queries, uploads
from accord.imports.domain import Format, ImportKind, RecordObject, detect_format, header_key, property_name
from accord.imports.domain import columns as targets
from accord.web.views.base import acting, capability_required, partial_wanted, see_other

INDEX = "web/imports/index.html"
PREVIEW = "web/imports/preview.html"
RUN = "web/imports/run.html"
FORM_OVERHEAD = 64 * 1024  # the form's other fields and the multipart boundaries, around the file
MAX_MAPPING = 1000  # columns a mapping may name

FORMAT_LABELS: dict[str, str] = {Format.ACCORD: "Accord", Format.HUBSPOT: "HubSpot", Format.SALESFORCE: "Salesforce"}
FORMAT_CHOICES = [("", "Detect from the header"), *FORMAT_LABELS.items()]
KIND_CHOICES = [(ImportKind.CONTACTS.value, "Contacts"), (ImportKind.ACCOUNTS.value, "Accounts (companies)")]
OUTCOME = {True: "imported without it", False: "row skipped"}  # as `accord import --report` writes it


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds", choices=KIND_CHOICES, initial=ImportKind.CONTACTS.value)
    format = forms.ChoiceField(label="Format", choices=FORMAT_CHOICES, required=False)
    file = forms.FileField(label="CSV file")


def _format(value: str | None) -> Format | None:
    return Format(value) if value in FORMAT_LABELS else None


def _upload(token: str) -> uploads.Upload:
    try:
        return uploads.upload_get(token)
    except NotFound as exc:
        raise Http404(exc.message) from None


# --- the Import page: upload, and the recent imports ----------------------------------------------


@body_limit(uploads.MAX_UPLOAD_BYTES + FORM_OVERHEAD)
@require_http_methods(["GET", "POST"])
@capability_required(Capability.CONTACT_IMPORT)
def import_page(request: HttpRequest) -> HttpResponse:
    user = acting(request)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            file = form.cleaned_data["file"]
            try:
                upload = uploads.upload_save(
                    chunks=file.chunks(),
                    size=file.size,
                    name=file.name or "",
                    kind=ImportKind(form.cleaned_data["kind"]),
                    format=_format(form.cleaned_data["format"]),
                    acting_user=user,
                )
            except AccordError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            else:
                return see_other("import_upload", token=upload.token)
    context = {
        "form": form,
        "runs": queries.import_runs_recent(now=clock.now(), acting_user=user),
        "max_bytes": uploads.MAX_UPLOAD_BYTES,
        "max_size": uploads.size_text(uploads.MAX_UPLOAD_BYTES),
    }
    return render(request, INDEX, context, status=status)


# --- the dry run ------------------------------------------------------------------------------------


def _record(upload: uploads.Upload) -> RecordObject:
    return RecordObject.CONTACT if upload.kind == ImportKind.CONTACTS else RecordObject.ACCOUNT


def _mapping(data: QueryDict) -> dict[str, str]:
    """The mapping the page carries, {column: target}; ValueError when it is not one."""
    raw = data.get("mapping") or "{}"
    mapping = orjson.loads(raw)
    if not isinstance(mapping, dict) or len(mapping) > MAX_MAPPING:
        raise ValueError("not a mapping")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise ValueError("not a mapping")
    return mapping


def _changes(data: QueryDict) -> dict[int, str]:
    """The columns whose target the person changed: each select (`col-N`) against what it showed (`was-N`)."""
    changed = {}
    for name in data:
        if name.startswith("col-") and name[4:].isdigit():
            target = data.get(name, "").strip()
            if target and target != data.get(f"was-{name[4:]}", ""):
                changed[int(name[4:])] = target
    return changed


def _first_columns(header: list[str]) -> set[int]:
    """Columns a mapping can name: the first of each label (a mapping names a column by its label)."""
    seen: set[str] = set()
    first = set()
    for index, name in enumerate(header):
        key = header_key(name)
        if key and key not in seen:
            first.add(index)
        seen.add(key)
    return first


class _DryRun:
    """The preview of an upload under a format and a mapping, with each changed column's own refusal.

    A change the import would refuse (a target that is not a field, or one that leaves the file
    without a column that identifies a record) is shown by its column, and the preview stays as it
    was before the change.
    """

    def __init__(
        self,
        upload: uploads.Upload,
        fmt: Format | None,
        mapping: dict[str, str],
        changes: Mapping[int, str],
        acting_user: User,
    ) -> None:
        self.upload, self.format, self.acting_user = upload, fmt, acting_user
        self.sample = uploads.upload_sample(upload)
        header = self.sample.header
        mappable = _first_columns(header)
        record = _record(upload)
        self.column_errors: dict[int, str] = {}
        proposed = dict(mapping)
        for index, target in changes.items():
            if index not in mappable:
                continue
            if not targets.known_target(target, record):
                self.column_errors[index] = f"{target!r} is not a {record} field Accord can import"
                continue
            proposed[header[index]] = target
        self.mappable = mappable
        self.error: str | None = None
        self.preview: actions.Preview | None = None
        self.mapping = proposed
        try:
            self.preview = self._preview(proposed)
            return
        except InvalidInput as exc:
            message = upload.shown(exc.message)
        applied = [index for index in changes if index in mappable and index not in self.column_errors]
        if applied:
            try:
                self.preview = self._preview(mapping)
            except InvalidInput:
                pass
            else:
                self.mapping = dict(mapping)
                for index in applied:
                    self.column_errors[index] = message.removeprefix(f"{upload.name}: ")
                return
        self.error = message

    def _preview(self, mapping: dict[str, str]) -> actions.Preview:
        return actions.import_preview(
            path=str(self.upload.path),
            kind=self.upload.kind,
            format=self.format,
            mapping=mapping or None,
            acting_user=self.acting_user,
        )

    @property
    def status(self) -> int:
        return 422 if self.error or self.column_errors else 200

    def rows(self) -> list[dict[str, Any]]:
        """One row per column of the file: its header, first values, target, note and any refusal."""
        header = self.sample.header
        record = _record(self.upload)
        fmt = self.preview.format if self.preview else (self.format or detect_format(header)[0])
        read: dict[int, targets.Column] = {}
        types: Mapping[str, Any] = {}
        if self.preview is not None:
            read = {column.index: column for column in (*self.preview.columns, *self.preview.skipped)}
            types = self.preview.types
        keys = {header_key(column): target for column, target in self.mapping.items()}
        rows = []
        for index, name in enumerate(header):
            column = read.get(index)
            if column is not None:
                target = column.target
            else:
                target = keys.get(header_key(name), "") if index in self.mappable else ""
            own = f"properties.{property_name(name, fmt)}"
            rows.append(
                {
                    "index": index,
                    "header": name.replace("\ufeff", "").strip(),
                    "samples": self.sample.values.get(index, []),
                    "target": target,
                    "type": types.get(target[11:]) if target.startswith("properties.") else None,
                    "note": column.note if column else "",
                    "error": self.column_errors.get(index),
                    "mappable": index in self.mappable,
                    "choices": _choices(record, own, target),
                }
            )
        return rows


def _groups(record: RecordObject) -> list[tuple[str, list[str]]]:
    """The targets a column can be mapped to, in groups, read from the import's own tables."""
    if record is RecordObject.CONTACT:
        groups = [
            ("Contact", [*targets.CONTACT_FIELDS, targets.MOBILE, targets.OPT_OUT, targets.OWNER, targets.OWNER_ID]),
            ("CRM ids", [targets.SALESFORCE_ID, *targets.CONTACT_IDS]),
            ("First and last touch", list(targets.ATTRIBUTION_TARGETS)),
            ("Company", [f"account.{name}" for name in (*targets.ACCOUNT_FIELDS, *targets.ACCOUNT_IDS)]),
            (
                "Stage and history",
                [
                    targets.STAGE,
                    targets.HUBSPOT_LIFECYCLE,
                    targets.LEAD_STATUS,
                    targets.CREATED_AT,
                    targets.CONVERTED_AT,
                    *(f"{targets.BECAME}{stage}" for stage in targets.HUBSPOT_STAGES),
                ],
            ),
        ]
        known = targets.CONTACT_TARGETS
    else:
        groups = [
            ("Company", [*targets.ACCOUNT_FIELDS, targets.OWNER, targets.OWNER_ID, targets.CREATED_AT]),
            ("CRM ids", [targets.SALESFORCE_ID, *targets.ACCOUNT_IDS]),
        ]
        known = targets.ACCOUNT_TARGETS
    listed = {target for _, names in groups for target in names}
    rest = sorted(known - listed - {targets.SKIP})
    return [*groups, *([("Other", rest)] if rest else [])]


def _choices(record: RecordObject, own_property: str, current: str) -> list[tuple[str, list[tuple[str, str]]]]:
    groups = [(label, [(name, name) for name in names]) for label, names in _groups(record)]
    properties = [(own_property, own_property)]
    if current.startswith("properties.") and current != own_property:
        properties.append((current, current))
    return [*groups, ("Custom property", properties), ("Leave out", [(targets.SKIP, "skip (leave the column out)")])]


def _preview_context(request: HttpRequest, upload: uploads.Upload, dry: _DryRun) -> dict[str, Any]:
    preview = dry.preview
    return {
        "upload": upload,
        "dry": dry,
        "preview": preview,
        "rows": dry.rows(),
        "format_value": dry.format.value if dry.format else "",
        "format_choices": FORMAT_CHOICES,
        "format_label": FORMAT_LABELS[preview.format] if preview else "",
        "mapping_json": orjson.dumps(dry.mapping).decode(),
        "kept_with_problems": (preview.rows_with_problems - preview.rows_dropped) if preview else 0,
        "properties": sorted(preview.types.items()) if preview else [],
    }


@require_GET
@capability_required(Capability.CONTACT_IMPORT)
def upload_preview(request: HttpRequest, token: str) -> HttpResponse:
    """The dry run of an upload; htmx asks for it again, as a part, when a column's target changes."""
    upload = _upload(token)
    fmt = _format(request.GET["format"]) if "format" in request.GET else upload.format
    try:
        mapping = _mapping(request.GET)
    except ValueError:
        return HttpResponseBadRequest("mapping: send it as a JSON object of {column: target}")
    try:
        dry = _DryRun(upload, fmt, mapping, _changes(request.GET), acting(request))
    except InvalidInput as exc:  # the header itself cannot be read
        context = {"upload": upload, "unreadable": upload.shown(exc.message)}
        return render(request, PREVIEW, context, status=exc.status)
    template = f"{PREVIEW}#preview" if partial_wanted(request, "import-preview") else PREVIEW
    return render(request, template, _preview_context(request, upload, dry), status=dry.status)


@require_POST
@capability_required(Capability.CONTACT_IMPORT)
def import_start_view(request: HttpRequest, token: str) -> HttpResponse:
    upload = _upload(token)
    user = acting(request)
    fmt = _format(request.POST.get("format"))
    try:
        mapping = _mapping(request.POST)
    except ValueError:
        return HttpResponseBadRequest("mapping: send it as a JSON object of {column: target}")
    try:
        run = background.import_run_start(upload=upload, format=fmt, mapping=mapping or None, acting_user=user)
    except AccordError as exc:
        try:
            dry = _DryRun(upload, fmt, mapping, {}, user)
        except InvalidInput as unreadable:
            context = {"upload": upload, "unreadable": upload.shown(unreadable.message)}
            return render(request, PREVIEW, context, status=unreadable.status)
        context = {**_preview_context(request, upload, dry), "start_error": upload.shown(exc.message)}
        return render(request, PREVIEW, context, status=exc.status)
    return see_other("import_run", pk=run.pk)


# --- a run: progress, outcome, problems ------------------------------------------------------------


def _run_page(request: HttpRequest, pk: int) -> queries.RunPage:
    try:
        return queries.import_run_page(pk=pk, now=clock.now(), acting_user=acting(request))
    except NotFound as exc:
        raise Http404(exc.message) from None


def _run_context(page: queries.RunPage) -> dict[str, Any]:
    return {"page": page, "run": page.run, "format_label": FORMAT_LABELS.get(page.run.format, "")}


@require_GET
@capability_required(Capability.CONTACT_IMPORT)
def import_run_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's page: its progress line (htmx polls it every second while it works), then its outcome."""
    page = _run_page(request, pk)
    template = f"{RUN}#status" if partial_wanted(request, "import-run-status") else RUN
    return render(request, template, _run_context(page))


@require_POST
@capability_required(Capability.CONTACT_IMPORT)
def import_run_resume_view(request: HttpRequest, pk: int) -> HttpResponse:
    page = _run_page(request, pk)
    try:
        background.import_run_resume(run=page.run, acting_user=acting(request))
    except AccordError as exc:
        page = _run_page(request, pk)
        context = {**_run_context(page), "resume_error": exc.message}
        return render(request, RUN, context, status=exc.status)
    return see_other("import_run", pk=pk)


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@capability_required(Capability.CONTACT_IMPORT)
def import_run_problems_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every problem of the run, streamed: line, field, message, outcome (as `--report` writes them)."""
    try:
        run = queries.import_run_get(pk=pk, acting_user=acting(request))
    except NotFound as exc:
        raise Http404(exc.message) from None
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(["line", "field", "message", "outcome"])
        for problem in actions.problems_of(run):
            yield writer.writerow([problem.line, problem.field, problem.message, OUTCOME[problem.kept]])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="accord-import-{run.pk}-problems.csv"'
    response["Cache-Control"] = "no-store"
    return response
