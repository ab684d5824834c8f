"""Who may do what: every write endpoint against every kind of caller, one test per cell.

The write endpoints are generated from the configuration: every POST/PUT/PATCH/DELETE operation of
the JSON API (from its OpenAPI schema), every web URL whose view accepts POST (from the URL
resolver, the view's allowed methods read from its class or its `require_http_methods` decorator),
and every tracking endpoint (`/v1/<name>` for each name the ingest knows). `EXPECTED` classifies each
of them for each principal; `test_every_write_endpoint_is_classified` fails as soon as the two lists
differ, so an endpoint cannot be added without deciding who may call it.

Each cell sends a VALID request (fresh fixtures: the contact, the draft, the key to revoke…), so a
refusal is about who asks and not about what was sent. A refused cell answers its exact status and
writes nothing: a digest of every table's rows, and of the files uploaded for import, is the same
before and after. An allowed cell answers its exact success status and writes (or, for the few
requests that by nature write nothing, answers without writing). An import started or resumed
from the browser is handed to the background once the request's transaction commits: here that
hand-off is run, and the import with it, in the test's own thread before the cell is checked.

Around the matrix: the tracking rows again through the lean WSGI path production serves /v1/*
with; every session-callable write endpoint refused (403, nothing written) to a session that
does not bring its CSRF token; and a session that passed the password step of two-factor sign-in
but not the code step treated exactly as the anonymous column.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts import actions as accounts
from accord.accounts.models import ApiKey, Membership, Team, User
from accord.config.api import api
from accord.contacts.models import Account, Contact, SuspectedDuplicate
from accord.contacts.tests.scores import given_scores
from accord.core import clock
from accord.deals import actions as deals
from accord.deals.models import Deal
from accord.imports import background, tasks, uploads
from accord.imports.domain import ImportKind
from accord.imports.models import ImportRun
from accord.lifecycle import actions as lifecycle
from accord.lifecycle.models import Handoff
from accord.notify.domain import Event
from accord.notify.models import Delivery, Message, Subscription
from accord.notify.outbox import Note, outbox_write
from accord.playbook import actions as playbook
from accord.playbook.models import PlaybookVersion
from accord.playbook.queries import active_playbook
from accord.sla import clocks
from accord.tracking import ingest
from accord.tracking import views as tracking_views
from conftest import PASSWORD

pytestmark = pytest.mark.django_db
DEFAULT = (Path(__file__).resolve().parents[2] / "accord" / "playbook" / "default.yaml").read_text()
CONTACTS_CSV = b"email,first_name,last_name\ncy@initech.com,Cy,Young\ndi@initech.com,Di,Lee\n"  # to import
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")

# --------------------------------------------------------------------------- the principals

ROLES = ("admin", "marketing", "sales_rep", "sales_manager", "viewer")
KEYS = ("read", "write", "read,write", "admin", "server", "browser")  # scopes; every key is owned by the admin
PRINCIPALS = ("anonymous", *ROLES, *(f"{scopes} key" for scopes in KEYS))

# --------------------------------------------------------------------------- the expectation table
#
# One row per write endpoint, one cell per principal in the order of PRINCIPALS:
#
#     anon: anonymous (no credentials)
#     admn mktg srep smgr view: signed in (a session) as admin, marketing, sales_rep, sales_manager, viewer
#     read writ r+w admn srvr brws: an API key (owned by the admin) with the scopes read; write; read,write;
#                                   admin; server; browser
#
# Each cell is a sign and the exact status:
#
#   +201  allowed: answers 201 and does what was asked (something is written: a row, or an uploaded file)
#   =200  allowed: answers 200 and writes nothing, by nature (validating a playbook, a page, the health check)
#   -403  refused: answers 403 and writes nothing
#
# Where the expectations come from:
# - The API (accord.accounts.api_auth): no credentials is 401. A session acts with its role's
#   capabilities (accounts.domain). A key needs the operation's scope (an admin key implies read
#   and write) and then acts with its owner's role (the admin here); `person(...)` operations
#   (API keys, signing the playbook) refuse every key with 403.
# - The web pages: LoginRequiredMiddleware sends anyone not signed in (an API key does not sign
#   anyone in) to /login/ with 302; a role lacking the capability gets 403, from the view's
#   `capability_required` or from the action's `require`; success answers 303 See Other, to the
#   page that shows the result (the new key's secret, the QR code to scan), so a reload repeats
#   nothing; Django's own views (signing out, changing the password) redirect with 302.
#   Creating and editing contacts and accounts, and giving them an owner, is for everyone but a
#   viewer; importing from files (uploading one, starting its import, resuming a run that
#   stopped) is for admins and marketing managers only.
#   Signing is for the sides' leads only (marketing, sales manager): an admin holds every
#   capability but signs for no side (403). /login/ and /login/code/ are public: they sign in
#   whoever brings the credentials, and send someone already signed in on (302, writing nothing).
# - The tracking API (accord.tracking.ingest): only a write key counts (browser or server scope):
#   none is 401, whatever the session; any other key is 403.
#
# fmt: off
TABLE: dict[str, str] = {
    #                                                          anon | admn mktg srep smgr view | read writ r+w  admn srvr brws
    # -- the JSON API
    "POST /api/v1/api-keys":                                  "-401 | +201 -403 -403 -403 -403 | -403 -403 -403 -403 -403 -403",
    "DELETE /api/v1/api-keys/{key_id}":                       "-401 | +200 -403 -403 -403 -403 | -403 -403 -403 -403 -403 -403",
    "POST /api/v1/contacts":                                  "-401 | +201 +201 +201 +201 -403 | -403 +201 +201 +201 -403 -403",
    "PATCH /api/v1/contacts/{contact_id}":                    "-401 | +200 +200 +200 +200 -403 | -403 +200 +200 +200 -403 -403",
    "POST /api/v1/contacts/{contact_id}/merge":               "-401 | +200 +200 -403 +200 -403 | -403 +200 +200 +200 -403 -403",
    "POST /api/v1/contacts/{contact_id}/stage":               "-401 | +201 +201 +201 +201 -403 | -403 +201 +201 +201 -403 -403",
    "POST /api/v1/contacts/{contact_id}/erase":               "-401 | +200 -403 -403 -403 -403 | -403 -403 -403 +200 -403 -403",
    "POST /api/v1/accounts":                                  "-401 | +201 +201 +201 +201 -403 | -403 +201 +201 +201 -403 -403",
    "PATCH /api/v1/accounts/{account_id}":                    "-401 | +200 +200 +200 +200 -403 | -403 +200 +200 +200 -403 -403",
    "POST /api/v1/playbook/validate":                         "-401 | =200 =200 =200 =200 =200 | =200 -403 =200 =200 -403 -403",
    "POST /api/v1/playbook/versions":                         "-401 | +201 +201 -403 +201 -403 | -403 -403 -403 +201 -403 -403",
    "PUT /api/v1/playbook/versions/{number}":                 "-401 | +200 +200 -403 +200 -403 | -403 -403 -403 +200 -403 -403",
    "POST /api/v1/playbook/versions/{number}/sign":           "-401 | -403 +200 -403 +200 -403 | -403 -403 -403 -403 -403 -403",
    "POST /api/v1/playbook/versions/{number}/activate":       "-401 | +200 -403 -403 -403 -403 | -403 -403 -403 +200 -403 -403",
    "POST /api/v1/handoffs/{handoff_id}/accept":              "-401 | +200 -403 +200 +200 -403 | -403 +200 +200 +200 -403 -403",
    "POST /api/v1/handoffs/{handoff_id}/reject":              "-401 | +200 -403 +200 +200 -403 | -403 +200 +200 +200 -403 -403",
    "POST /api/v1/handoffs/{handoff_id}/recycle":             "-401 | +200 -403 +200 +200 -403 | -403 +200 +200 +200 -403 -403",
    "POST /api/v1/handoffs/{handoff_id}/touches":             "-401 | +201 -403 +201 +201 -403 | -403 +201 +201 +201 -403 -403",
    "POST /api/v1/handoffs/{handoff_id}/reassign":            "-401 | +200 -403 -403 +200 -403 | -403 +200 +200 +200 -403 -403",
    "POST /api/v1/deals":                                     "-401 | +201 -403 +201 +201 -403 | -403 +201 +201 +201 -403 -403",
    "POST /api/v1/deals/{deal_id}/win":                       "-401 | +200 -403 +200 +200 -403 | -403 +200 +200 +200 -403 -403",
    "POST /api/v1/deals/{deal_id}/lose":                      "-401 | +200 -403 +200 +200 -403 | -403 +200 +200 +200 -403 -403",
    "POST /api/v1/handoffs/{handoff_id}/sla/pause":           "-401 | +200 -403 +200 +200 -403 | -403 +200 +200 +200 -403 -403",
    "POST /api/v1/handoffs/{handoff_id}/sla/resume":          "-401 | +200 -403 +200 +200 -403 | -403 +200 +200 +200 -403 -403",
    "PUT /api/v1/teams/{team_id}/calendar":                   "-401 | +200 -403 -403 -403 -403 | -403 -403 -403 +200 -403 -403",
    "POST /api/v1/notifications/read":                        "-401 | +200 +200 +200 +200 +200 | -403 +200 +200 +200 -403 -403",
    "PUT /api/v1/notifications/preferences":                  "-401 | +200 +200 +200 +200 +200 | -403 +200 +200 +200 -403 -403",
    "POST /api/v1/subscriptions":                             "-401 | +201 -403 -403 -403 -403 | -403 -403 -403 +201 -403 -403",
    "PATCH /api/v1/subscriptions/{subscription_id}":          "-401 | +200 -403 -403 -403 -403 | -403 -403 -403 +200 -403 -403",
    "POST /api/v1/subscriptions/{subscription_id}/secret":    "-401 | +200 -403 -403 -403 -403 | -403 -403 -403 +200 -403 -403",
    "DELETE /api/v1/subscriptions/{subscription_id}":         "-401 | +204 -403 -403 -403 -403 | -403 -403 -403 +204 -403 -403",
    "POST /api/v1/deliveries/{delivery_id}/resend":           "-401 | +200 -403 -403 -403 -403 | -403 -403 -403 +200 -403 -403",
    # -- the web pages
    "POST /login/":                                           "+303 | -302 -302 -302 -302 -302 | +303 +303 +303 +303 +303 +303",
    "POST /login/code/":                                      "+303 | -302 -302 -302 -302 -302 | +303 +303 +303 +303 +303 +303",
    "POST /account/security/":                                "-302 | +303 +303 +303 +303 +303 | -302 -302 -302 -302 -302 -302",
    "POST /logout/":                                          "-302 | +302 +302 +302 +302 +302 | -302 -302 -302 -302 -302 -302",
    "POST /password/":                                        "-302 | +302 +302 +302 +302 +302 | -302 -302 -302 -302 -302 -302",
    "POST /healthz":                                          "=200 | =200 =200 =200 =200 =200 | =200 =200 =200 =200 =200 =200",
    "POST /":                                                 "-302 | =200 =200 =200 =200 =200 | -302 -302 -302 -302 -302 -302",
    "POST /overview/":                                        "-302 | =200 =200 =200 =200 =200 | -302 -302 -302 -302 -302 -302",
    "POST /contacts/new/":                                    "-302 | +303 +303 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /contacts/<int:pk>/edit/":                          "-302 | +303 +303 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /contacts/<int:pk>/owner/":                         "-302 | +303 +303 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /contacts/<int:pk>/stage/":                         "-302 | +303 +303 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /contacts/<int:pk>/merge/":                         "-302 | +303 +303 -403 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /contacts/<int:pk>/duplicates/<int:pair>/dismiss/": "-302 | +303 +303 -403 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /contacts/<int:pk>/erase/":                         "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /accounts/new/":                                    "-302 | +303 +303 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /accounts/<int:pk>/edit/":                          "-302 | +303 +303 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /accounts/<int:pk>/owner/":                         "-302 | +303 +303 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /playbook/versions/new/":                           "-302 | +303 +303 -403 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /playbook/versions/<int:number>/edit/":             "-302 | +303 +303 -403 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /playbook/versions/<int:number>/sign/":             "-302 | -403 +303 -403 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /playbook/versions/<int:number>/activate/":         "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /imports/":                                         "-302 | +303 +303 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /imports/uploads/<str:token>/start/":               "-302 | +303 +303 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /imports/runs/<int:pk>/resume/":                    "-302 | +303 +303 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /admin/users/new/":                                 "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /admin/users/<int:pk>/role/":                       "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /admin/teams/new/":                                 "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /admin/teams/<int:pk>/members/":                    "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /admin/keys/new/":                                  "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /admin/signin/unlock/":                             "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /admin/users/<int:pk>/two-factor/reset/":           "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /admin/keys/<int:pk>/revoke/":                      "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /queue/<int:pk>/accept/":                           "-302 | +303 -403 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /queue/<int:pk>/reject/":                           "-302 | +303 -403 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /queue/<int:pk>/recycle/":                          "-302 | +303 -403 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /queue/<int:pk>/touch/":                            "-302 | +303 -403 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /queue/<int:pk>/deal/":                             "-302 | +303 -403 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /queue/<int:pk>/reassign/":                         "-302 | +303 -403 -403 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /queue/team/away/<int:pk>/":                        "-302 | +303 -403 -403 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /deals/<int:pk>/win/":                              "-302 | +303 -403 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /deals/<int:pk>/lose/":                             "-302 | +303 -403 +303 +303 -403 | -302 -302 -302 -302 -302 -302",
    "POST /notifications/read/":                              "-302 | +303 +303 +303 +303 +303 | -302 -302 -302 -302 -302 -302",
    "POST /notifications/settings/":                          "-302 | +303 +303 +303 +303 +303 | -302 -302 -302 -302 -302 -302",
    "POST /admin/calendars/<int:pk>/":                        "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /admin/webhooks/":                                  "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /admin/webhooks/<int:pk>/toggle/":                  "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    "POST /admin/deliveries/<int:pk>/resend/":                "-302 | +303 -403 -403 -403 -403 | -302 -302 -302 -302 -302 -302",
    # -- the tracking API
    "POST /v1/batch":                                         "-401 | -401 -401 -401 -401 -401 | -403 -403 -403 -403 +200 +200",
    "POST /v1/import":                                        "-401 | -401 -401 -401 -401 -401 | -403 -403 -403 -403 +200 +200",
    "POST /v1/identify":                                      "-401 | -401 -401 -401 -401 -401 | -403 -403 -403 -403 +200 +200",
    "POST /v1/track":                                         "-401 | -401 -401 -401 -401 -401 | -403 -403 -403 -403 +200 +200",
    "POST /v1/page":                                          "-401 | -401 -401 -401 -401 -401 | -403 -403 -403 -403 +200 +200",
    "POST /v1/screen":                                        "-401 | -401 -401 -401 -401 -401 | -403 -403 -403 -403 +200 +200",
    "POST /v1/group":                                         "-401 | -401 -401 -401 -401 -401 | -403 -403 -403 -403 +200 +200",
    "POST /v1/alias":                                         "-401 | -401 -401 -401 -401 -401 | -403 -403 -403 -403 +200 +200",
}
# fmt: on

# Cells where the product answers otherwise than the table (which says what it should do): each
# is a bug, reported, and kept visible as a strict xfail until it is fixed.
BUGS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Cell:
    allowed: bool
    writes: bool
    status: int


def _cell(text: str) -> Cell:
    sign, status = text[0], int(text[1:])
    assert sign in "+=-" and 200 <= status < 500, text
    return Cell(allowed=sign != "-", writes=sign == "+", status=status)


def _row(text: str) -> dict[str, Cell]:
    cells = [_cell(part) for part in text.split() if part != "|"]
    assert len(cells) == len(PRINCIPALS), text
    return dict(zip(PRINCIPALS, cells, strict=True))


EXPECTED: dict[str, dict[str, Cell]] = {endpoint: _row(row) for endpoint, row in TABLE.items()}

# --------------------------------------------------------------------------- the generated list


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def accepted_methods(view: Callable[..., Any]) -> set[str] | None:
    """The HTTP methods a view answers (None: any), from its class or its require_http_methods."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {name.upper() for name in view_class.http_method_names if hasattr(view_class, name)}
    func: Any = view
    while func is not None:
        code = getattr(func, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            return set(func.__closure__[code.co_freevars.index("request_method_list")].cell_contents)
        func = getattr(func, "__wrapped__", None)
    return None


def write_endpoints() -> set[str]:
    """Every write endpoint the configuration serves, named as in TABLE."""
    found = {
        f"{method.upper()} {path}"
        for path, operations in api.get_openapi_schema()["paths"].items()
        for method in operations
        if method.upper() in UNSAFE
    }
    for route, pattern in _routes(get_resolver().url_patterns):
        if route.startswith("api/"):
            continue  # the JSON API: its operations are read from its schema above
        if pattern.callback is tracking_views.endpoint:
            found |= {f"POST /v1/{name}" for name in ingest.ENDPOINTS}
            continue
        methods = accepted_methods(pattern.callback)
        if methods is None or "POST" in methods:
            found.add(f"POST /{route}")
    return found


def test_every_write_endpoint_is_classified():
    # given the write endpoints the URL configuration and the API router serve
    generated = write_endpoints()
    # then each has its row in the table, and the table names no endpoint that is gone
    assert sorted(generated - set(EXPECTED)) == [], "classify these endpoints in TABLE (and REQUESTS)"
    assert sorted(set(EXPECTED) - generated) == [], "these endpoints are no longer served: drop their rows"
    assert set(REQUESTS) == set(EXPECTED)
    assert {endpoint for endpoint, _ in BUGS} <= set(EXPECTED)


def test_the_generated_list_sees_method_restrictions():
    # given views that refuse POST, accept only POST, or accept any method
    from accord.tracking.snippet import snippet
    from accord.web.views import base, contacts

    # then each is read as such
    assert accepted_methods(snippet) == {"GET", "HEAD"}
    assert accepted_methods(contacts.contact_detail) == {"GET"}
    assert accepted_methods(contacts.contact_merge_view) == {"POST"}
    assert accepted_methods(base.healthz) is None
    assert "POST /contacts/<int:pk>/" not in write_endpoints()


# --------------------------------------------------------------------------- what is written


# Left out of the snapshot: what changes by design on requests that are refused as well.
EXCLUDED_TABLES = {
    "django_session",  # signing in (force_login), messages and the two-factor step save the session
    "axes_accessattempt",  # django-axes counts sign-in attempts (and an unlock clears them: audited)
    "axes_accessattemptexpiration",  # ... with each attempt's expiry
    "axes_accesslog",  # ... and logs sign-ins
    "axes_accessfailurelog",  # ... and failures
}
EXCLUDED_COLUMNS = {
    "accounts_apikey": {"last_used_at"},  # stamped whenever a key is presented, even for a refused call
}


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


# Besides the tables: the files kept for import. An upload from the Import page writes a file (and
# its description beside it) in the data dir's `imports/` folder, and no row; each test has a data
# dir of its own (`_imports_in_the_test`), so the folder holds only what the test wrote. Nothing
# else in the data dir (the database file, the secret key) is in the snapshot.
FILES = "data dir: imports/"


def _files() -> tuple[int, str]:
    """The number of files kept for import, and a digest of their names and contents."""
    folder = uploads.folder()
    files = sorted((p.name, p.read_bytes()) for p in folder.iterdir()) if folder.is_dir() else []
    return len(files), hashlib.sha256(repr(files).encode()).hexdigest()


def snapshot() -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of all its rows' values (so an update shows, not only an
    insert), and the same of the files kept for import."""
    state = {FILES: _files()}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in EXCLUDED_TABLES:
            continue
        skipped = EXCLUDED_COLUMNS.get(meta.db_table, set())
        columns = [f.attname for f in meta.concrete_fields if f.attname not in skipped]
        rows = [tuple(map(_plain, row)) for row in model._base_manager.order_by("pk").values_list(*columns)]
        state[meta.db_table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return state


def changed(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))


def test_the_snapshot_sees_an_update_but_not_a_key_being_used(users):
    # given a contact and a key
    contact = Contact.objects.create(email="ana@acme.io", title="VP Marketing")
    key, _ = accounts.apikey_create(name="probe", scopes="read", acting_user=users["admin"])
    before = snapshot()
    # when the key is used, nothing counts as written
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=clock.now())
    assert changed(before, snapshot()) == []
    # when one field of one row changes (no row added), the table shows as changed
    Contact.objects.filter(pk=contact.pk).update(title="CMO")
    assert changed(before, snapshot()) == ["contacts_contact"]
    # and a file kept for import shows as written
    assert World(users).upload.path.exists()
    assert changed(before, snapshot()) == ["contacts_contact", FILES]


# --------------------------------------------------------------------------- the valid requests


class World:
    """The fixtures a valid request needs, each made the first time it is asked for."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        self.admin = users["admin"]

    @functools.cached_property
    def account(self) -> Account:
        return Account.objects.create(name="Acme", domain="acme.io", industry="Software", employees=250, country="US")

    @functools.cached_property
    def contact(self) -> Contact:
        return Contact.objects.create(email="ana@acme.io", first_name="Ana", title="VP Marketing", account=self.account)

    @functools.cached_property
    def duplicate(self) -> Contact:
        return Contact.objects.create(email="ana.lopez@acme.io", first_name="Ana", last_name="Lopez")

    @functools.cached_property
    def suspected(self) -> SuspectedDuplicate:
        low, high = sorted((self.contact, self.duplicate), key=lambda c: c.pk)
        return SuspectedDuplicate.objects.create(contact=low, other=high, reason="same name, same company")

    @functools.cached_property
    def mql(self) -> Contact:
        """A contact in MQL: marketing owns the stage and hands it to sales, so either side (and
        an admin) may hand it back, to recycled with a reason."""
        return Contact.objects.create(
            email="bo@acme.io", stage="mql", stage_changed_at=clock.now(), playbook_version=active_playbook()
        )

    @functools.cached_property
    def draft(self) -> PlaybookVersion:
        return playbook.playbook_draft_create(source=DEFAULT, note="a draft", acting_user=self.admin)

    @functools.cached_property
    def signed(self) -> PlaybookVersion:
        version = playbook.playbook_draft_create(source=DEFAULT, note="agreed", acting_user=self.admin)
        playbook.playbook_sign(version=version, acting_user=self.users["marketing"])
        playbook.playbook_sign(version=version, acting_user=self.users["sales_manager"])
        version.refresh_from_db()
        return version

    @functools.cached_property
    def key(self) -> ApiKey:
        key, _ = accounts.apikey_create(name="to revoke", scopes="read", acting_user=self.admin)
        return key

    @functools.cached_property
    def newcomer(self) -> User:
        return User.objects.create_user("newcomer@example.com", PASSWORD, name="Newcomer", role="viewer")

    @functools.cached_property
    def team(self) -> Team:
        return Team.objects.create(name="SDR Americas", side="sales")

    @functools.cached_property
    def handoff(self) -> Handoff:
        """An open hand-off the default route gave the sales rep (in its team, SDR Americas)."""
        Membership.objects.create(team=self.team, user=self.users["sales_rep"])
        contact = Contact.objects.create(email="hal@acme.io", consent=True, forms_submitted=1, stage="lead",
                                         stage_changed_at=clock.now(), playbook_version=active_playbook())  # fmt: skip
        given_scores(contact, fit_grade="A", fit_score=70, interest_score=55, quadrant="ready")
        lifecycle.contact_apply_rules(contact=Contact.objects.get(pk=contact.pk))
        handoff = Handoff.objects.get(contact=contact)
        assert handoff.owner_id == self.users["sales_rep"].pk
        return handoff

    @functools.cached_property
    def paused(self) -> Handoff:
        """The sales rep's open hand-off with its SLA clocks paused."""
        assert clocks.pause(self.handoff.pk, at=clock.now(), by_user_id=None, reason="called back on Friday")
        return self.handoff

    @functools.cached_property
    def unread(self) -> bool:
        """Every user has one unread notification."""
        outbox_write([Note(Event.HANDOFF_ASSIGNED, "probe", "A notification", users=tuple(u.pk for u in User.objects.all()))])
        return True

    @functools.cached_property
    def subscription(self) -> Subscription:
        return Subscription.objects.create(name="CRM", kind="webhook", url="https://crm.example.com/in", secret="s")

    @functools.cached_property
    def dead(self) -> Delivery:
        """A webhook delivery that failed on its last try."""
        message = Message.objects.create(key="probe", event="deal.won", title="Won")
        return Delivery.objects.create(message=message, channel="webhook", subscription=self.subscription,
                                       address=self.subscription.url, state="dead", attempts=8)  # fmt: skip

    @functools.cached_property
    def deal(self) -> Deal:
        """An open deal the sales rep owns, on a contact in SQL."""
        contact = Contact.objects.create(email="ivy@acme.io", stage="sql", stage_changed_at=clock.now(),
                                         playbook_version=active_playbook())  # fmt: skip
        return deals.deal_create(contact=contact, acting_user=self.users["sales_rep"], name="Acme", amount="5000",
                                 currency="USD")  # fmt: skip

    @functools.cached_property
    def upload(self) -> uploads.Upload:
        """A file of contacts the admin uploaded on the Import page, not imported yet (a file, no row)."""
        return uploads.upload_save(
            chunks=[CONTACTS_CSV],
            size=len(CONTACTS_CSV),
            name="trade show.csv",
            kind=ImportKind.CONTACTS,
            format=None,
            acting_user=self.admin,
        )

    @functools.cached_property
    def stalled(self) -> ImportRun:
        """An import of the upload that stopped: started, but the background it was handed to was
        lost before it began (the hand-off waits for a commit that never comes in a test), and
        silent for six minutes since, longer than a run at work ever is: its page offers to resume it."""
        run = background.import_run_start(upload=self.upload, format=None, mapping=None, acting_user=self.admin)
        ImportRun.objects.filter(pk=run.pk).update(updated_at=run.updated_at - dt.timedelta(minutes=6))
        run.refresh_from_db()
        return run

    def two_factor(self, user: User) -> TOTPDevice:
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any = None  # JSON for the API and the tracking endpoints
    form: dict[str, Any] = field(default_factory=dict)  # form fields for the web pages
    # Where an allowed request redirects to; a callable for a page known only once the request has
    # written (the new record's, the new upload's): called after the request.
    then: str | Callable[[], str] | None = None


def _api(method: str, path: str, body: Any = None) -> Call:
    return Call(method, f"/api/v1{path}", body=body if body is not None or method == "DELETE" else {})


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _pending_two_factor(world: World, client: Client) -> Call:
    """Anyone not signed in passes the password step of a user with two-factor sign-in; the code step follows."""
    user = world.users["viewer"]
    device = world.two_factor(user)
    client.post("/login/", {"username": user.email, "password": PASSWORD})
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    return Call("POST", "/login/code/", form={"code": code}, then="/")


def _two_factor_reset(world: World, client: Client) -> Call:
    """A user who lost the phone with their authenticator app: an admin turns two-factor sign-in off."""
    world.two_factor(world.newcomer)
    return Call("POST", f"/admin/users/{world.newcomer.pk}/two-factor/reset/", then="/admin/users/#messages")


TRACKED = {
    "batch": {"batch": [{"type": "track", "event": "Demo Requested", "userId": "u-1", "messageId": "m-1"}]},
    "import": {"batch": [{"type": "track", "event": "Demo Requested", "userId": "u-1", "messageId": "m-1"}]},
    "identify": {"userId": "u-1", "traits": {"email": "cy@acme.io", "firstName": "Cy"}},
    "track": {"userId": "u-1", "event": "Demo Requested", "properties": {"plan": "pro"}},
    "page": {"anonymousId": "a-1", "name": "Pricing", "properties": {"path": "/pricing"}},
    "screen": {"userId": "u-1", "name": "Dashboard"},
    "group": {"userId": "u-1", "groupId": "acme", "traits": {"name": "Acme"}},
    "alias": {"previousId": "a-1", "userId": "u-1"},
}


def _contact_form(world: World) -> dict[str, str]:
    """The contact form as its edit page fills it in for the world's contact (at the world's account)."""
    return {
        "email": "ana@acme.io", "first_name": "Ana", "last_name": "", "title": "VP Marketing", "seniority": "",
        "phone": "", "country": "", "account": "Acme", "account_pick": str(world.account.pk), "owner": "",
        "consent": "",
    }  # fmt: skip


def _account_form(world: World) -> dict[str, str]:
    """The account form as its edit page fills it in for the world's account."""
    account = world.account
    return {
        "name": account.name, "domain": account.domain, "industry": account.industry,
        "employees": str(account.employees), "annual_revenue": "", "country": account.country, "owner": "",
    }  # fmt: skip


def _the_upload() -> str:
    """The token of the one file kept for import (the test's data dir holds no other)."""
    (token,) = [path.stem for path in uploads.folder().glob("*.json")]
    return token


def _tracked(name: str, world: World, client: Client) -> Call:
    return Call("POST", f"/v1/{name}", body=TRACKED[name])


Prepare = Callable[[World, Client], Call]

REQUESTS: dict[str, Prepare] = {
    # -- the JSON API
    "POST /api/v1/api-keys": lambda w, c: _api("POST", "/api-keys", {"name": "CRM sync", "scopes": ["read"]}),
    "DELETE /api/v1/api-keys/{key_id}": lambda w, c: _api("DELETE", f"/api-keys/{w.key.pk}"),
    "POST /api/v1/contacts": lambda w, c: _api("POST", "/contacts", {"email": "cy@acme.io", "first_name": "Cy"}),
    "PATCH /api/v1/contacts/{contact_id}": lambda w, c: _api("PATCH", f"/contacts/{w.contact.pk}", {"title": "CMO"}),
    "POST /api/v1/contacts/{contact_id}/merge": lambda w, c: _api(
        "POST", f"/contacts/{w.contact.pk}/merge", {"drop_id": w.duplicate.pk}
    ),
    "POST /api/v1/contacts/{contact_id}/stage": lambda w, c: _api(
        "POST", f"/contacts/{w.mql.pk}/stage", {"stage": "recycled", "reason": "not_ready"}
    ),
    "POST /api/v1/contacts/{contact_id}/erase": lambda w, c: _api(
        "POST", f"/contacts/{w.contact.pk}/erase", {"reason": "the person asked by email on 1 May"}
    ),
    "POST /api/v1/accounts": lambda w, c: _api("POST", "/accounts", {"name": "Globex", "domain": "globex.com"}),
    "PATCH /api/v1/accounts/{account_id}": lambda w, c: _api("PATCH", f"/accounts/{w.account.pk}", {"employees": 300}),
    "POST /api/v1/playbook/validate": lambda w, c: _api("POST", "/playbook/validate", {"source": DEFAULT}),
    "POST /api/v1/playbook/versions": lambda w, c: _api(
        "POST", "/playbook/versions", {"source": DEFAULT, "note": "Q3"}
    ),
    "PUT /api/v1/playbook/versions/{number}": lambda w, c: _api(
        "PUT", f"/playbook/versions/{w.draft.number}", {"source": DEFAULT, "note": "tightened"}
    ),
    "POST /api/v1/playbook/versions/{number}/sign": lambda w, c: _api(
        "POST", f"/playbook/versions/{w.draft.number}/sign"
    ),
    "POST /api/v1/playbook/versions/{number}/activate": lambda w, c: _api(
        "POST", f"/playbook/versions/{w.signed.number}/activate"
    ),
    "POST /api/v1/handoffs/{handoff_id}/accept": lambda w, c: _api("POST", f"/handoffs/{w.handoff.pk}/accept"),
    "POST /api/v1/handoffs/{handoff_id}/reject": lambda w, c: _api(
        "POST", f"/handoffs/{w.handoff.pk}/reject", {"reason": "no_budget"}
    ),
    "POST /api/v1/handoffs/{handoff_id}/recycle": lambda w, c: _api(
        "POST", f"/handoffs/{w.handoff.pk}/recycle", {"reason": "timing", "reengage_on": "2099-01-01"}
    ),
    "POST /api/v1/handoffs/{handoff_id}/touches": lambda w, c: _api(
        "POST", f"/handoffs/{w.handoff.pk}/touches", {"channel": "call", "outcome": "no_answer"}
    ),
    "POST /api/v1/handoffs/{handoff_id}/reassign": lambda w, c: _api(
        "POST", f"/handoffs/{w.handoff.pk}/reassign", {"owner_id": w.users["sales_manager"].pk, "reason": "cover"}
    ),
    "POST /api/v1/deals": lambda w, c: _api(
        "POST", "/deals", {"contact_id": w.contact.pk, "name": "Acme", "amount": "1200", "currency": "USD"}
    ),
    "POST /api/v1/deals/{deal_id}/win": lambda w, c: _api("POST", f"/deals/{w.deal.pk}/win"),
    "POST /api/v1/deals/{deal_id}/lose": lambda w, c: _api("POST", f"/deals/{w.deal.pk}/lose", {"reason": "price"}),
    "POST /api/v1/handoffs/{handoff_id}/sla/pause": lambda w, c: _api(
        "POST", f"/handoffs/{w.handoff.pk}/sla/pause", {"reason": "asked to be called next week"}
    ),
    "POST /api/v1/handoffs/{handoff_id}/sla/resume": lambda w, c: _api("POST", f"/handoffs/{w.paused.pk}/sla/resume"),
    "PUT /api/v1/teams/{team_id}/calendar": lambda w, c: _api(
        "PUT", f"/teams/{w.team.pk}/calendar", {"time_zone": "Europe/Berlin", "hours": {"mon": [["09:00", "17:00"]]}}
    ),
    "POST /api/v1/notifications/read": lambda w, c: w.unread and _api("POST", "/notifications/read", {}),
    "PUT /api/v1/notifications/preferences": lambda w, c: _api(
        "PUT", "/notifications/preferences", {"email": {"deal.won": "digest"}}
    ),
    "POST /api/v1/subscriptions": lambda w, c: _api(
        "POST", "/subscriptions", {"name": "CRM", "url": "https://crm.example.com/in"}
    ),
    "PATCH /api/v1/subscriptions/{subscription_id}": lambda w, c: _api(
        "PATCH", f"/subscriptions/{w.subscription.pk}", {"active": False}
    ),
    "POST /api/v1/subscriptions/{subscription_id}/secret": lambda w, c: _api(
        "POST", f"/subscriptions/{w.subscription.pk}/secret"
    ),
    "DELETE /api/v1/subscriptions/{subscription_id}": lambda w, c: _api("DELETE", f"/subscriptions/{w.subscription.pk}"),
    "POST /api/v1/deliveries/{delivery_id}/resend": lambda w, c: _api("POST", f"/deliveries/{w.dead.pk}/resend"),
    # -- the web pages
    "POST /login/": lambda w, c: Call(
        "POST", "/login/", form={"username": w.users["viewer"].email, "password": PASSWORD}, then="/"
    ),
    "POST /login/code/": _pending_two_factor,
    "POST /account/security/": lambda w, c: Call(
        "POST", "/account/security/", form={"step": "begin"}, then="/account/security/"
    ),
    "POST /logout/": lambda w, c: Call("POST", "/logout/", then="/login/"),
    "POST /password/": lambda w, c: Call(
        "POST",
        "/password/",
        form={"old_password": PASSWORD, "new_password1": "a-new-passphrase-42", "new_password2": "a-new-passphrase-42"},
        then="/password/done/",
    ),
    "POST /healthz": lambda w, c: Call("POST", "/healthz"),
    "POST /": lambda w, c: Call("POST", "/"),
    "POST /overview/": lambda w, c: Call("POST", "/overview/"),
    "POST /contacts/new/": lambda w, c: Call(
        "POST",
        "/contacts/new/",
        form={**_contact_form(w), "email": "cy@acme.io", "first_name": "Cy"},
        then=lambda: f"/contacts/{Contact.objects.get(email='cy@acme.io').pk}/",
    ),
    "POST /contacts/<int:pk>/edit/": lambda w, c: Call(
        "POST",
        f"/contacts/{w.contact.pk}/edit/",
        form={**_contact_form(w), "title": "CMO"},
        then=f"/contacts/{w.contact.pk}/",
    ),
    "POST /contacts/<int:pk>/owner/": lambda w, c: Call(
        "POST",
        f"/contacts/{w.contact.pk}/owner/",
        form={"owner": w.users["sales_rep"].pk},
        then=f"/contacts/{w.contact.pk}/",
    ),
    "POST /contacts/<int:pk>/stage/": lambda w, c: Call(
        "POST",
        f"/contacts/{w.mql.pk}/stage/",
        form={"stage": "recycled", "reason": "not_ready"},
        then=f"/contacts/{w.mql.pk}/",
    ),
    "POST /contacts/<int:pk>/merge/": lambda w, c: Call(
        "POST", f"/contacts/{w.contact.pk}/merge/", form={"drop": w.duplicate.pk}, then=f"/contacts/{w.contact.pk}/"
    ),
    "POST /contacts/<int:pk>/duplicates/<int:pair>/dismiss/": lambda w, c: Call(
        "POST", f"/contacts/{w.contact.pk}/duplicates/{w.suspected.pk}/dismiss/", then=f"/contacts/{w.contact.pk}/"
    ),
    "POST /contacts/<int:pk>/erase/": lambda w, c: Call(
        "POST", f"/contacts/{w.contact.pk}/erase/", form={"reason": "asked by email"}, then=f"/contacts/{w.contact.pk}/"
    ),
    "POST /accounts/new/": lambda w, c: Call(
        "POST",
        "/accounts/new/",
        form={**_account_form(w), "name": "Globex", "domain": "globex.com", "country": ""},
        then=lambda: f"/accounts/{Account.objects.get(name='Globex').pk}/",
    ),
    "POST /accounts/<int:pk>/edit/": lambda w, c: Call(
        "POST",
        f"/accounts/{w.account.pk}/edit/",
        form={**_account_form(w), "employees": "300"},
        then=f"/accounts/{w.account.pk}/",
    ),
    "POST /accounts/<int:pk>/owner/": lambda w, c: Call(
        "POST",
        f"/accounts/{w.account.pk}/owner/",
        form={"owner": w.users["sales_manager"].pk},
        then=f"/accounts/{w.account.pk}/",
    ),
    "POST /playbook/versions/new/": lambda w, c: Call(
        "POST", "/playbook/versions/new/", form={"source": DEFAULT, "note": "Q3"}, then="/playbook/versions/2/"
    ),
    "POST /playbook/versions/<int:number>/edit/": lambda w, c: Call(
        "POST",
        f"/playbook/versions/{w.draft.number}/edit/",
        form={"source": DEFAULT, "note": "tightened"},
        then=f"/playbook/versions/{w.draft.number}/",
    ),
    "POST /playbook/versions/<int:number>/sign/": lambda w, c: Call(
        "POST", f"/playbook/versions/{w.draft.number}/sign/", then=f"/playbook/versions/{w.draft.number}/"
    ),
    "POST /playbook/versions/<int:number>/activate/": lambda w, c: Call(
        "POST", f"/playbook/versions/{w.signed.number}/activate/", then="/playbook/"
    ),
    "POST /imports/": lambda w, c: Call(
        "POST",
        "/imports/",
        form={"kind": "contacts", "format": "", "file": SimpleUploadedFile("trade show.csv", CONTACTS_CSV, "text/csv")},
        then=lambda: f"/imports/uploads/{_the_upload()}/",
    ),
    "POST /imports/uploads/<str:token>/start/": lambda w, c: Call(
        "POST",
        f"/imports/uploads/{w.upload.token}/start/",
        form={"format": "", "mapping": "{}"},
        then=lambda: f"/imports/runs/{ImportRun.objects.get().pk}/",
    ),
    "POST /imports/runs/<int:pk>/resume/": lambda w, c: Call(
        "POST", f"/imports/runs/{w.stalled.pk}/resume/", then=f"/imports/runs/{w.stalled.pk}/"
    ),
    "POST /admin/users/new/": lambda w, c: Call(
        "POST",
        "/admin/users/new/",
        form={"email": "dee@example.com", "name": "Dee", "role": "sales_rep", "password": "", "time_zone": "UTC"},
        then="/admin/users/#messages",
    ),
    "POST /admin/users/<int:pk>/role/": lambda w, c: Call(
        "POST", f"/admin/users/{w.newcomer.pk}/role/", form={"role": "marketing"}, then="/admin/users/#messages"
    ),
    "POST /admin/teams/new/": lambda w, c: Call(
        "POST",
        "/admin/teams/new/",
        form={"name": "SDR EMEA", "side": "sales", "time_zone": "Europe/Berlin"},
        then="/admin/users/#messages",
    ),
    "POST /admin/teams/<int:pk>/members/": lambda w, c: Call(
        "POST", f"/admin/teams/{w.team.pk}/members/", form={"user": w.newcomer.pk}, then="/admin/users/#messages"
    ),
    "POST /admin/keys/new/": lambda w, c: Call(
        "POST", "/admin/keys/new/", form={"name": "Warehouse", "scopes": ["read"]}, then="/admin/users/#new-key"
    ),
    "POST /admin/signin/unlock/": lambda w, c: Call(
        "POST", "/admin/signin/unlock/", form={"email": w.newcomer.email}, then="/admin/users/#messages"
    ),
    "POST /admin/users/<int:pk>/two-factor/reset/": _two_factor_reset,
    "POST /admin/keys/<int:pk>/revoke/": lambda w, c: Call(
        "POST", f"/admin/keys/{w.key.pk}/revoke/", then="/admin/users/#messages"
    ),
    "POST /queue/<int:pk>/accept/": lambda w, c: Call("POST", f"/queue/{w.handoff.pk}/accept/", then="/queue/"),
    "POST /queue/<int:pk>/reject/": lambda w, c: Call(
        "POST", f"/queue/{w.handoff.pk}/reject/", form={"reason": "no_budget"}, then="/queue/"
    ),
    "POST /queue/<int:pk>/recycle/": lambda w, c: Call(
        "POST", f"/queue/{w.handoff.pk}/recycle/", form={"reason": "timing", "reengage_on": "2099-01-01"},
        then="/queue/",
    ),
    "POST /queue/<int:pk>/touch/": lambda w, c: Call(
        "POST", f"/queue/{w.handoff.pk}/touch/", form={"channel": "call", "outcome": "no_answer"}, then="/queue/"
    ),
    "POST /queue/<int:pk>/deal/": lambda w, c: Call(
        "POST", f"/queue/{w.handoff.pk}/deal/", form={"name": "Acme", "amount": "900", "currency": "USD"},
        then="/queue/",
    ),
    "POST /queue/<int:pk>/reassign/": lambda w, c: Call(
        "POST", f"/queue/{w.handoff.pk}/reassign/",
        form={"owner": str(w.users["sales_manager"].pk), "reason": "cover"}, then="/queue/team/",
    ),
    "POST /queue/team/away/<int:pk>/": lambda w, c: Call(
        "POST", f"/queue/team/away/{w.users['sales_rep'].pk}/",
        form={"away_from": "2099-01-01", "away_until": "2099-01-05"}, then="/queue/team/",
    ),
    "POST /deals/<int:pk>/win/": lambda w, c: Call("POST", f"/deals/{w.deal.pk}/win/", then=f"/deals/{w.deal.pk}/"),
    "POST /deals/<int:pk>/lose/": lambda w, c: Call(
        "POST", f"/deals/{w.deal.pk}/lose/", form={"reason": "price"}, then=f"/deals/{w.deal.pk}/"
    ),
    "POST /notifications/read/": lambda w, c: w.unread and Call("POST", "/notifications/read/", then="/notifications/"),
    "POST /notifications/settings/": lambda w, c: Call(
        "POST", "/notifications/settings/", form={"deal.won": "digest"}, then="/notifications/settings/"
    ),
    "POST /admin/calendars/<int:pk>/": lambda w, c: Call(
        "POST", f"/admin/calendars/{w.team.pk}/", form={"time_zone": "Europe/Berlin", "hours_mon": "09:00-17:00"},
        then=f"/admin/calendars/{w.team.pk}/",
    ),
    "POST /admin/webhooks/": lambda w, c: Call(
        "POST", "/admin/webhooks/", form={"name": "CRM", "kind": "webhook", "url": "https://crm.example.com/in"},
        then=lambda: f"/admin/webhooks/{Subscription.objects.get(name='CRM', kind='webhook', secret__startswith='whsec_').pk}/",
    ),
    "POST /admin/webhooks/<int:pk>/toggle/": lambda w, c: Call(
        "POST", f"/admin/webhooks/{w.subscription.pk}/toggle/", then=f"/admin/webhooks/{w.subscription.pk}/"
    ),
    "POST /admin/deliveries/<int:pk>/resend/": lambda w, c: Call(
        "POST", f"/admin/deliveries/{w.dead.pk}/resend/", then=f"/admin/webhooks/{w.dead.subscription_id}/"
    ),
    # -- the tracking API
    **{f"POST /v1/{name}": functools.partial(_tracked, name) for name in TRACKED},
}

# Where a refused web request is sent: the sign-in page, to come back afterwards (`/login/?next=…`);
# someone signed in already is sent on from the sign-in page, and back to it from a code step never begun.
REFUSED_TO = {"POST /login/": "/", "POST /login/code/": "/login/"}

# Allowed requests whose effect is not a row: signing out ends the session (a table left out above).
# And two whose effect is more than a row: an import started or resumed runs to its end.
EFFECTS: dict[str, Callable[[Client], bool]] = {
    "POST /logout/": lambda client: not _signed_in(client),
    "POST /imports/uploads/<str:token>/start/": lambda client: _imported(),
    "POST /imports/runs/<int:pk>/resume/": lambda client: _imported(),
}

# Requests that hand work to the background once their transaction commits: an import started or
# resumed from the browser. Without a broker it goes to a thread of the web process; here
# (`_imports_in_the_test`) it runs in the test's own thread, inside the test's transaction, when
# the request's on-commit callbacks are run, before its cell is checked, refused or not. (Other
# requests' callbacks, the scoring and tracking work queued to Celery, are left unrun, as before.)
HANDED_OFF = {"POST /imports/uploads/<str:token>/start/", "POST /imports/runs/<int:pk>/resume/"}


def _imported() -> bool:
    """The one import run has finished, with both contacts of the file."""
    run = ImportRun.objects.get()
    emails = set(Contact.objects.filter(email__in=["cy@initech.com", "di@initech.com"]).values_list("email", flat=True))
    return run.status == "finished" and run.created == 2 and len(emails) == 2


@pytest.fixture(autouse=True)
def _imports_in_the_test(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files uploaded for import go to a data dir of the test's own (the snapshot reads them); an
    import handed to the background runs in the test's thread (see HANDED_OFF), broker or not."""
    settings.DATA_DIR = tmp_path
    settings.CELERY_TASK_ALWAYS_EAGER = True
    monkeypatch.setattr(background, "in_thread", lambda **kwargs: tasks.import_run(**kwargs))


# --------------------------------------------------------------------------- the cells


def _principal(principal: str, users: dict[str, User]) -> tuple[Client, str]:
    """A client for the principal, and the key's secret if it is a key."""
    client = Client()
    if principal in ROLES:
        client.force_login(users[principal])
        return client, ""
    if principal.endswith(" key"):
        _, secret = accounts.apikey_create(
            name=principal, scopes=principal.removesuffix(" key"), acting_user=users["admin"]
        )
        return client, secret
    return client, ""


def _send(client: Client, secret: str, call: Call) -> Any:
    headers = {}
    if secret:
        tracking = call.path.startswith("/v1/")
        basic = base64.b64encode(f"{secret}:".encode()).decode()
        headers["Authorization"] = f"Basic {basic}" if tracking else f"Bearer {secret}"
    if call.body is not None:
        data = json.dumps(call.body)
        return client.generic(call.method, call.path, data=data, content_type="application/json", headers=headers)
    if call.method == "DELETE":
        return client.delete(call.path, headers=headers)
    return client.post(call.path, data=call.form, headers=headers)


def _cells() -> Iterator[Any]:
    for endpoint, row in EXPECTED.items():
        for principal in PRINCIPALS:
            marks = []
            if (endpoint, principal) in BUGS:
                marks.append(pytest.mark.xfail(strict=True, reason=BUGS[(endpoint, principal)]))
            yield pytest.param(endpoint, principal, row[principal], marks=marks, id=f"{endpoint}-{principal}")


@pytest.mark.parametrize(("endpoint", "principal", "cell"), list(_cells()))
def test_cell(users, django_capture_on_commit_callbacks, endpoint, principal, cell):
    # given the principal and a valid request, with everything it needs
    client, secret = _principal(principal, users)
    call = REQUESTS[endpoint](World(users), client)
    before = snapshot()

    # when the principal sends it (and any work it hands to the background is done)
    with django_capture_on_commit_callbacks(execute=endpoint in HANDED_OFF):
        response = _send(client, secret, call)

    # then it answers the status of the table's cell
    assert_cell(endpoint, principal, cell, call, client, response, before)


def assert_cell(endpoint: str, who: str, cell: Cell, call: Call, client: Client, response: Any, before: Any) -> None:
    """The answer has the cell's status; a refusal wrote nothing, an allowed request did what it asked."""
    body = response.content[:400].decode(errors="replace")
    assert response.status_code == cell.status, f"{endpoint} as {who}: {response.status_code} {body}"
    written = changed(before, snapshot())
    if not cell.allowed:
        assert written == [], f"{endpoint} as {who} was refused but changed {written}"
        if cell.status == 302:
            assert response["Location"] == REFUSED_TO.get(endpoint, f"/login/?next={call.path}")
        return
    if call.then is not None:
        assert response["Location"] == (call.then if isinstance(call.then, str) else call.then())
    if endpoint in EFFECTS:
        assert EFFECTS[endpoint](client), f"{endpoint} as {who} answered {cell.status} but did nothing"
    elif cell.writes:
        assert written != [], f"{endpoint} as {who} answered {cell.status} but wrote nothing"
    else:
        assert written == [], f"{endpoint} as {who} should write nothing but changed {written}"


def _tracking_cells() -> Iterator[Any]:
    for endpoint, row in EXPECTED.items():
        if endpoint.startswith("POST /v1/"):
            for principal in PRINCIPALS:
                yield pytest.param(endpoint, principal, row[principal], id=f"{endpoint} (lean WSGI path)-{principal}")


@pytest.mark.parametrize(("endpoint", "principal", "cell"), list(_tracking_cells()))
def test_tracking_cell_through_the_lean_wsgi_path(users, monkeypatch, endpoint, principal, cell):
    """In production POST /v1/* skips Django (accord.config.wsgi): the same cells hold there."""
    from accord.config import wsgi
    from accord.tracking import wsgi as lean

    # The lean path checks the database connection like Django does around a request; inside the
    # test's transaction that would close it.
    monkeypatch.setattr(lean, "close_old_connections", lambda: None)
    # given the principal (a session cookie, a key or nothing) and a valid message
    client, secret = _principal(principal, users)
    call = REQUESTS[endpoint](World(users), client)
    body = json.dumps(call.body).encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST", "PATH_INFO": call.path, "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "REMOTE_ADDR": "127.0.0.1",
    }  # fmt: skip
    if secret:
        environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{secret}:".encode()).decode()
    if "sessionid" in client.cookies:
        environ["HTTP_COOKIE"] = f"sessionid={client.cookies['sessionid'].value}"
    before = snapshot()
    statuses: list[str] = []

    # when it is sent
    answer = json.loads(b"".join(wsgi.application(environ, lambda status, headers: statuses.append(status))))

    # then the status is the cell's, and only an allowed message is stored
    assert int(statuses[0].split()[0]) == cell.status, answer
    written = changed(before, snapshot())
    assert (written != []) is cell.writes, written
    assert answer["success"] is cell.allowed


def _session_endpoints() -> list[str]:
    """The write endpoints a browser session can call: all but the tracking API (keys only, CSRF-exempt)."""
    return [endpoint for endpoint in EXPECTED if not endpoint.startswith("POST /v1/")]


@pytest.mark.parametrize("endpoint", _session_endpoints())
def test_a_session_without_its_csrf_token_is_refused(users, django_capture_on_commit_callbacks, endpoint):
    """The cells above are sent the way the test client sends (no CSRF check); a real browser's
    session must also bring the CSRF token, or another site's page could post in its name."""
    # given the admin signed in, with a client that checks CSRF like a browser session is checked
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    call = REQUESTS[endpoint](World(users), client)
    before = snapshot()

    # when the valid request is sent without the token
    with django_capture_on_commit_callbacks(execute=endpoint in HANDED_OFF):
        response = _send(client, "", call)

    # then it is refused, and nothing is written
    assert response.status_code == 403, response.content[:300]
    assert changed(before, snapshot()) == []


@pytest.mark.parametrize("endpoint", [e for e in EXPECTED if not e.startswith("POST /login/")])
def test_a_password_without_its_two_factor_code_counts_for_nothing(users, django_capture_on_commit_callbacks, endpoint):
    """Between the password step and the code step of two-factor sign-in the session holds a
    pending sign-in only: it may do what anyone not signed in may do, and no more."""
    # given the admin's password typed in, the admin's code not yet
    world = World(users)
    world.two_factor(users["admin"])
    client = Client()
    assert (
        client.post("/login/", {"username": users["admin"].email, "password": PASSWORD})["Location"] == "/login/code/"
    )
    call = REQUESTS[endpoint](world, client)
    before = snapshot()

    # when the valid request is sent with that session
    with django_capture_on_commit_callbacks(execute=endpoint in HANDED_OFF):
        response = _send(client, "", call)

    # then it is answered as the anonymous cell says
    assert_cell(endpoint, "pending two-factor", EXPECTED[endpoint]["anonymous"], call, client, response, before)
