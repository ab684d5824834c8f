"""On a 390 px phone: the links fold behind a menu button, list tables become cards, and no page
scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accord.contacts.models import Account, Contact
from accord.contacts.tests.scores import given_scores
from accord.demo.actions import demo_load
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def on_a_phone(page: Any) -> None:
    page.set_viewport_size(PHONE)


def inside_the_screen(page: Any, locator: Any) -> bool:
    """The element, scrolled into view, lies wholly inside the viewport."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    return (
        box is not None
        and box["width"] > 0
        and box["height"] > 0
        and box["x"] >= 0
        and box["x"] + box["width"] <= PHONE["width"]
        and box["y"] >= 0
        and box["y"] + box["height"] <= PHONE["height"]
    )


def test_the_menu_button_shows_and_hides_the_links(page: Any, login: Any, users: Any) -> None:
    on_a_phone(page)
    login(page, "marketing")
    menu = page.get_by_role("button", name="Menu")
    links = page.get_by_role("navigation", name="Main")

    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_have_attribute("aria-controls", "site-menu")
    expect(links).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()

    menu.click()

    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(links.get_by_role("link", name="Contacts")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator(".usermenu__role")).to_have_text("Marketing manager")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    menu.click()

    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(links).to_be_hidden()

    menu.click()
    links.get_by_role("link", name="Contacts").focus()
    page.keyboard.press("Escape")

    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(links).to_be_hidden()
    expect(menu).to_be_focused()

    menu.click()
    links.get_by_role("link", name="Contacts").click()

    page.wait_for_url("**/contacts/")
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")


def test_wide_screens_show_the_links_without_a_menu_button(page: Any, login: Any, users: Any) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, "marketing")

    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_without_scripts_the_links_stay_listed(browser: Any, live_server: Any, users: Any) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto("/login/")
        page.get_by_label("Email").fill(users["marketing"].email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login/" not in url)

        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        for name in ("Overview", "Contacts", "Accounts", "Playbook"):
            expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=name)).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_no_page_scrolls_sideways_on_a_phone(page: Any, login: Any, users: Any) -> None:
    demo_load(contacts=60, seed=3)
    Contact.objects.create(
        email="a.very.long.address.for.a.phone.screen@an-unusually-long-domain.example.com",
        first_name="Maximiliane",
        last_name="Oberhauser-Wittgenstein",
        account=Account.objects.order_by("pk").first(),
        title="Senior Director of Revenue Operations and Sales Enablement, EMEA",
        owner=users["sales_rep"],
    )
    contact = Contact.objects.exclude(score__scored_at=None).order_by("-score__interest_score").first()
    account = Account.objects.order_by("pk").first()
    assert contact is not None and account is not None
    on_a_phone(page)
    login(page, "admin")
    screens = [
        ("/", "#funnel-chart .main-svg"),
        ("/contacts/", "#results tbody tr"),
        (f"/contacts/{contact.pk}/", "h1"),
        ("/accounts/", "#results tbody tr"),
        (f"/accounts/{account.pk}/", "h1"),
        ("/playbook/", "h1"),
        ("/activity/", "#minutes-chart .main-svg"),
        ("/admin/users/", "#users tbody tr"),
        ("/admin/audit/", "#audit tbody tr"),
    ]
    wide: dict[str, int] = {}
    for path, ready in screens:
        page.goto(path)
        expect(page.locator(ready).first).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
    assert wide == {}


def test_each_contact_on_the_list_shows_its_name_email_stage_score_and_owner(
    page: Any, login: Any, ada: Contact
) -> None:
    Contact.objects.filter(pk=ada.pk).update(stage="mql")
    given_scores(ada, fit_score=72, fit_grade="A", interest_score=64, quadrant="hot")
    on_a_phone(page)
    login(page, "viewer")
    page.goto("/contacts/")
    card = page.locator("#results tbody tr").first

    for label, text in [
        ("Name", "Ada Lovelace"),
        ("Email", "ada@acme.com"),
        ("Stage", "MQL"),
        ("Score", "A 64"),
        ("Owner", "Sales Rep"),
    ]:
        cell = card.locator(f'td[data-label="{label}"]')
        expect(cell).to_contain_text(text)
        assert inside_the_screen(page, cell), label
    label = page.evaluate(
        "getComputedStyle(document.querySelector('#results td[data-label=Stage]'), '::before').content"
    )
    assert label == '"Stage"'
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_desktop_keeps_its_table(page: Any, login: Any, ada: Contact) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, "viewer")
    page.goto("/contacts/")

    expect(page.locator("#results thead")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('#results tbody tr')).display") == "table-row"
    label = page.evaluate(
        "getComputedStyle(document.querySelector('#results td[data-label=Stage]'), '::before').content"
    )
    assert label == "none"
