"""The kind of device a page was first opened on, and the line that tells the participant."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.devices import DEVICE_KINDS, device_kind, first_opened_line

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"
)
KINDLE = "Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/123.1.1 like Chrome/123.0.0.0 Safari/537.36"  # noqa: E501


@pytest.mark.parametrize(
    ("agent", "kind"),
    [
        (IPHONE, "phone"),
        (ANDROID_PHONE, "phone"),
        ("Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Lumia 950) Edge/15.15063", "phone"),
        (IPAD, "tablet"),
        (ANDROID_TABLET, "tablet"),
        (KINDLE, "tablet"),
        (FIREFOX_WINDOWS, "computer"),
        (SAFARI_MAC, "computer"),
        ("curl/8.5.0", "computer"),
        ("", "computer"),
        (None, "computer"),
    ],
)
def test_device_kind_of_common_browsers(agent, kind):
    assert device_kind(agent) == kind


@given(st.one_of(st.none(), st.text(max_size=300)))
def test_any_header_gives_one_of_the_three_kinds(agent):
    assert device_kind(agent) in DEVICE_KINDS


@given(st.text(max_size=100), st.sampled_from([IPHONE, ANDROID_PHONE]))
def test_a_phone_stays_a_phone_whatever_else_the_header_says(noise, phone):
    """Extra product tokens (apps add their own) never turn a phone into a computer."""
    assert device_kind(noise.replace("ipad", "").replace("tablet", "") + " " + phone) in (
        "phone",
        "tablet",
    )


def test_the_line_is_in_the_games_time_zone():
    opened = datetime(2026, 12, 1, 23, 30)  # naive UTC: already Wednesday in Auckland
    assert first_opened_line(opened, "Pacific/Auckland", "phone") == (
        "Your page was first opened Wednesday 2 December 12:30, on a phone"
    )
    assert first_opened_line(opened, "UTC", "computer") == (
        "Your page was first opened Tuesday 1 December 23:30, on a computer"
    )


def test_an_unknown_device_is_left_out_of_the_line():
    opened = datetime(2026, 3, 5, 8, 5)
    assert first_opened_line(opened, "Europe/London", None) == (
        "Your page was first opened Thursday 5 March 08:05"
    )
