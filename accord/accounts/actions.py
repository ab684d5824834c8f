"""Writes about users, teams and API keys."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from typing import Any

from axes.utils import reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts.domain import Capability, Role, Scope, Side, normalize_origin, parse_scopes, refusal
from accord.accounts.models import ApiKey, Membership, Team, User
from accord.core import audit, clock
from accord.core.errors import Conflict, InvalidInput, PermissionDenied


def require(user: User | None, capability: Capability) -> None:
    """Refuse with 403, saying who may, unless `user` holds `capability`. None means the system itself."""
    if user is not None and not user.can(capability):
        raise PermissionDenied(refusal(capability))


def _check_time_zone(name: str, field: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}", field=field) from None


def user_create(
    *,
    email: str,
    role: str,
    name: str = "",
    password: str | None = None,
    time_zone: str = "UTC",
    acting_user: User | None,
) -> User:
    require(acting_user, Capability.USER_ADMIN)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"{email!r} is not a valid email address", field="email") from None
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput(
            f"unknown role {role!r}; choose from {', '.join(r.value for r in Role)}", field="role"
        ) from None
    _check_time_zone(time_zone, "time_zone")
    if password is not None:
        try:
            validate_password(password, User(email=email, name=name))
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), field="password") from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, password, name=name, role=role, time_zone=time_zone)
            audit.record(
                action="user_create", obj=user, actor=acting_user, details={"role": role},
                after={"email": email, "name": name, "role": role, "time_zone": time_zone},
            )  # fmt: skip
    except IntegrityError:
        raise Conflict(f"a user with email {email} already exists", field="email") from None
    return user


def user_set_role(*, user: User, role: str, acting_user: User | None) -> User:
    require(acting_user, Capability.USER_ADMIN)
    try:
        new_role = Role(role)
    except ValueError:
        raise InvalidInput(f"unknown role {role!r}", field="role") from None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old = user.role
        if old == Role.ADMIN and new_role != Role.ADMIN:
            admins = User.objects.select_for_update().filter(role=Role.ADMIN, is_active=True)
            if not admins.exclude(pk=user.pk).exists():
                raise Conflict("this is the last active admin; make someone else an admin first", field="role")
        user.role = new_role
        user.save(update_fields=["role"])
        audit.record(
            action="user_set_role", obj=user, actor=acting_user, details={"from": old, "to": new_role},
            before={"role": old}, after={"role": new_role},
        )  # fmt: skip
    return user


def team_create(
    *, name: str, side: str, time_zone: str = "UTC", manager: User | None = None, acting_user: User | None
) -> Team:
    require(acting_user, Capability.USER_ADMIN)
    if not name.strip():
        raise InvalidInput("a team needs a name", field="name")
    try:
        side = Side(side)
    except ValueError:
        raise InvalidInput(f"unknown side {side!r}; choose marketing or sales", field="side") from None
    _check_time_zone(time_zone, "time_zone")
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name.strip(), side=side, time_zone=time_zone, manager=manager)
            audit.record(action="team_create", obj=team, actor=acting_user)
    except IntegrityError:
        raise Conflict(f"a team named {name!r} already exists", field="name") from None
    return team


def team_add_member(*, team: Team, user: User, acting_user: User | None) -> Membership:
    require(acting_user, Capability.USER_ADMIN)
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(team=team, user=user)
        if created:
            audit.record(action="team_add_member", obj=team, actor=acting_user, details={"user": user.email})
    return membership


KEY_PREFIX = "acc"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


MAX_RATE_PER_MINUTE = 10_000_000


def _clean_key_limits(
    scopes: list[Scope], allowed_origins: list[str] | None, rates: dict[str, int | None]
) -> tuple[list[str], dict[str, int | None]]:
    browser = Scope.BROWSER in scopes
    origins: list[str] = []
    for raw in allowed_origins or []:
        if not browser:
            raise InvalidInput("only a browser key has allowed origins", field="allowed_origins")
        if not isinstance(raw, str):
            raise InvalidInput("each allowed origin must be text", field="allowed_origins")
        try:
            origin = normalize_origin(raw)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="allowed_origins") from None
        if origin not in origins:
            origins.append(origin)
    if len(origins) > 100:
        raise InvalidInput("at most 100 allowed origins per key", field="allowed_origins")
    for name, value in rates.items():
        if value is None:
            continue
        if not browser:
            raise InvalidInput("only a browser key has rate limits", field=name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RATE_PER_MINUTE:
            raise InvalidInput(f"must be a whole number of messages from 1 to {MAX_RATE_PER_MINUTE:,}", field=name)
    return origins, rates


def apikey_create(
    *,
    name: str,
    scopes: str | list[str],
    acting_user: User,
    allowed_origins: list[str] | None = None,
    rate_per_minute: int | None = None,
    ip_rate_per_minute: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never stored and shown only now.

    A browser key (scope `browser`) is public: it sits in web pages, so it holds no other scope,
    and may name the origins allowed to send with it and its own rate limits.
    """
    require(acting_user, Capability.USER_ADMIN)
    if not name.strip():
        raise InvalidInput("an API key needs a name", field="name")
    try:
        parsed = parse_scopes(scopes)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="scopes") from None
    origins, rates = _clean_key_limits(
        parsed, allowed_origins, {"rate_per_minute": rate_per_minute, "ip_rate_per_minute": ip_rate_per_minute}
    )
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name.strip(),
            prefix=prefix,
            digest=digest(secret),
            scopes=[s.value for s in parsed],
            allowed_origins=origins,
            created_by=acting_user,
            **rates,
        )
        details: dict[str, object] = {"scopes": key.scopes}
        if origins:
            details["allowed_origins"] = origins
        details.update({k: v for k, v in rates.items() if v is not None})
        audit.record(
            action="apikey_create", obj=key, actor=acting_user, details=details, after={"name": key.name, **details}
        )
    return key, secret


def apikey_revoke(*, key: ApiKey, acting_user: User) -> ApiKey:
    require(acting_user, Capability.USER_ADMIN)
    with transaction.atomic():
        if key.revoked_at is None:
            key.revoked_at = clock.now()
            key.save(update_fields=["revoked_at"])
            audit.record(
                action="apikey_revoke", obj=key, actor=acting_user, before={"revoked_at": None},
                after={"revoked_at": key.revoked_at.isoformat()},
            )  # fmt: skip
    return key


def apikey_authenticate(secret: str) -> ApiKey | None:
    """The active key matching `secret`, or None. Marks it used (at most once a minute)."""
    if not secret.startswith(f"{KEY_PREFIX}_"):
        return None
    key = ApiKey.objects.select_related("created_by").filter(digest=digest(secret)).first()
    if key is None or not key.is_active:
        return None
    now = clock.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# -- sign-in: lockouts and two-factor


def signin_unlock(*, email: str = "", ip: str = "", acting_user: User | None) -> int:
    """Lift a sign-in lockout of an account (by email) or an address at once; the failures counted
    against it are forgotten. Returns how many attempt records were cleared."""
    require(acting_user, Capability.USER_ADMIN)
    email, ip = email.strip().lower(), ip.strip()
    if not email and not ip:
        raise InvalidInput("name the account (email) or the address (ip) to unlock", field="email")
    with transaction.atomic():
        cleared = reset(username=email) if email else 0
        if ip:
            cleared += reset(ip=ip)
        audit.record(
            action=UNLOCKED, object_type="accounts.signin", object_id=email or ip, actor=acting_user,
            details={"email": email, "ip": ip, "cleared": cleared},
        )  # fmt: skip
    return cleared


UNLOCKED = "signin_unlocked"  # the audit action of an admin lifting a lockout


def totp_begin(*, user: User) -> Any:
    """Start setting up two-factor sign-in: a new, unconfirmed authenticator for `user` (any
    earlier unconfirmed one is dropped). It counts once `totp_confirm` has seen a code from it."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def totp_confirm(*, user: User, code: str) -> Any:
    """Turn two-factor sign-in on once the app shows a code of the new authenticator."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise Conflict("start setting up two-factor sign-in first", field="code")
        if not device.verify_token(_digits(code)):
            raise InvalidInput("that code does not match; check the app's clock and try the newest code", field="code")
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(action="totp_enable", obj=user, actor=user)
    return device


def totp_remove(*, user: User, acting_user: User, code: str = "") -> None:
    """Turn two-factor sign-in off: by the person themself with a current code, or by an admin
    (a lost phone) without one."""
    own = acting_user.pk == user.pk
    if not own:
        require(acting_user, Capability.USER_ADMIN)
    with transaction.atomic():
        devices = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
        device = devices.first()
        if device is None:
            raise Conflict("two-factor sign-in is not on", field="code")
        if own and not device.verify_token(_digits(code)):
            raise InvalidInput("that code does not match; it takes a current code to turn two-factor off", field="code")
        TOTPDevice.objects.filter(user=user).delete()
        audit.record(action="totp_disable", obj=user, actor=acting_user, details={"by_admin": not own})


def totp_verify(*, user: User, code: str) -> Any:
    """The user's confirmed authenticator when `code` is a current code from it, else None."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return None
    return verify_token(user, device.persistent_id, _digits(code))


def totp_pending(user: User) -> Any:
    """The authenticator being set up (not yet confirmed), if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def totp_enabled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _digits(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())[:8]
