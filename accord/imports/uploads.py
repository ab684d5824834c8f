"""Files uploaded for import from the browser.

Each is kept in the data dir's `imports/` folder under a random name — never the person's own file
name, which is only shown — with a small JSON file beside it saying what it is: the name it had,
contacts or accounts, the format asked for, its size, who uploaded it and when. The import reads
the file from there, so a run stopped part-way resumes from the same file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from django.conf import settings

from accord.accounts.actions import require
from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.core import clock
from accord.core.errors import InvalidInput, NotFound
from accord.imports import reading
from accord.imports.domain import Format, HeaderError, ImportKind

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MAX_NAME = 255
SAMPLE_ROWS = 5  # rows read for the sample values the preview shows
SAMPLES_PER_COLUMN = 3
SAMPLE_CHARS = 60
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")  # secrets.token_urlsafe(24)
_KINDS = (ImportKind.CONTACTS, ImportKind.ACCOUNTS)


class UploadTooLarge(InvalidInput):
    """The file is larger than MAX_UPLOAD_BYTES: answered with HTTP 413."""

    status = 413


@dataclass(frozen=True)
class Upload:
    token: str  # the file's random name in the folder, and its address on the page
    name: str  # the file's name on the person's computer: shown, never used as a path
    kind: ImportKind
    format: Format | None  # None: detected from the header
    size: int
    uploaded_at: dt.datetime
    by_user_id: int | None

    @property
    def path(self) -> Path:
        return folder() / f"{self.token}.csv"

    def shown(self, message: str) -> str:
        """A message of the import with the file's own name where it names the stored file."""
        return message.replace(str(self.path), self.name).replace(self.path.name, self.name)


@dataclass(frozen=True)
class Sample:
    """The header and, per column, the first values of the first rows (for the preview)."""

    header: list[str]
    values: dict[int, list[str]] = field(default_factory=dict)


def folder() -> Path:
    """Where uploaded files are kept: the `imports/` folder of the data dir (ACCORD_DATA_DIR)."""
    return Path(settings.DATA_DIR).resolve() / "imports"


def _display_name(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:MAX_NAME] or "upload.csv"


def upload_save(
    *,
    chunks: Iterable[bytes],
    size: int | None = None,
    name: str,
    kind: ImportKind,
    format: Format | None,
    acting_user: User,
) -> Upload:
    """Keep an uploaded file for import; nothing is kept when it is refused (too large, empty).
    `size`, when known, refuses a file that is too large before a byte of it is written."""
    require(acting_user, Capability.CONTACT_IMPORT)
    if kind not in _KINDS:
        raise InvalidInput("choose contacts or accounts", field="kind")
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise _too_large()
    directory = folder()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    path = directory / f"{token}.csv"
    written = 0
    # O_EXCL: a new file, readable by the server's user only.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for chunk in chunks:
                written += len(chunk)
                if written > MAX_UPLOAD_BYTES:
                    raise _too_large()
                handle.write(chunk)
        if written == 0:
            raise InvalidInput("the file is empty", field="file")
        upload = Upload(
            token=token,
            name=_display_name(name),
            kind=kind,
            format=format,
            size=written,
            uploaded_at=clock.now(),
            by_user_id=acting_user.pk,
        )
        _meta_path(token).write_bytes(
            orjson.dumps(
                {
                    "name": upload.name,
                    "kind": upload.kind.value,
                    "format": upload.format.value if upload.format else "",
                    "size": upload.size,
                    "uploaded_at": upload.uploaded_at.isoformat(),
                    "by_user_id": upload.by_user_id,
                }
            )
        )
    except BaseException:
        path.unlink(missing_ok=True)
        _meta_path(token).unlink(missing_ok=True)
        raise
    return upload


def size_text(size: int) -> str:
    """200 MB, 12 KB, 100 bytes."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:,.0f} {unit}"
    return f"{size:,} bytes"


def _too_large() -> UploadTooLarge:
    return UploadTooLarge(
        f"the file is larger than {size_text(MAX_UPLOAD_BYTES)}, the most Accord takes from the browser; split "
        "it, or import it with `accord import` on the server",
        field="file",
    )


def _meta_path(token: str) -> Path:
    return folder() / f"{token}.json"


def upload_get(token: str) -> Upload:
    """The upload with this token; NotFound for a token that is not one, or a file since removed."""
    if not _TOKEN.fullmatch(token or ""):
        raise NotFound("no such upload")
    try:
        meta = orjson.loads(_meta_path(token).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        raise NotFound("no such upload; upload the file again") from None
    return Upload(
        token=token,
        name=str(meta["name"]),
        kind=ImportKind(meta["kind"]),
        format=Format(meta["format"]) if meta.get("format") else None,
        size=int(meta["size"]),
        uploaded_at=dt.datetime.fromisoformat(meta["uploaded_at"]),
        by_user_id=meta.get("by_user_id"),
    )


def upload_for_path(path: str) -> Upload | None:
    """The upload a run's file is, when the run imports an uploaded file."""
    file = Path(path)
    if file.parent != folder() or file.suffix != ".csv":
        return None
    try:
        return upload_get(file.stem)
    except NotFound:
        return None


def upload_sample(upload: Upload, *, rows: int = SAMPLE_ROWS) -> Sample:
    """The header and the first values of each column; InvalidInput when the header is unreadable."""
    values: dict[int, list[str]] = {}
    try:
        with reading.CsvFile(str(upload.path)) as source:
            header = list(source.header)
            for number, record in enumerate(source.records()):
                if number >= rows:
                    break
                if record.problem is not None:
                    continue
                for index, cell in enumerate(record.cells[: len(header)]):
                    text = cell.strip()
                    seen = values.setdefault(index, [])
                    if text and text not in seen and len(seen) < SAMPLES_PER_COLUMN:
                        seen.append(text[:SAMPLE_CHARS] + ("…" if len(text) > SAMPLE_CHARS else ""))
    except HeaderError as exc:
        raise InvalidInput(f"{upload.name}: {exc}", field="file") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {upload.name}: {exc.strerror or exc}", field="file") from None
    return Sample(header=header, values=values)
