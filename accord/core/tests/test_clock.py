import datetime as dt

import pytest

from accord.core import clock


def test_now_is_aware_utc():
    assert clock.now().tzinfo is dt.UTC


def test_frozen_returns_the_frozen_instant_and_restores():
    at = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with clock.frozen(at):
        assert clock.now() == dt.datetime(2026, 1, 5, 7, 30, tzinfo=dt.UTC)
        assert clock.now().tzinfo is dt.UTC
    assert abs((clock.now() - dt.datetime.now(dt.UTC)).total_seconds()) < 5


def test_frozen_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="aware"), clock.frozen(dt.datetime(2026, 1, 1)):
        pass
