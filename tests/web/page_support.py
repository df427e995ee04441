"""Read pages the way a browser without JavaScript does: forms with their fields and buttons,
links, the title. Tests submit the real forms the app served, CSRF token included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from html.parser import HTMLParser
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.db import unit_of_work
from haven.scheduling.models import ResourceKind
from tests import factories


@dataclass
class Button:
    name: str
    value: str
    text: str = ""


@dataclass
class Form:
    action: str
    method: str
    # Values a browser would send as they stand: hidden and text inputs, checked boxes,
    # selected options, textareas.
    fields: dict[str, list[str]] = field(default_factory=dict)
    buttons: list[Button] = field(default_factory=list)
    # Every named control, whatever its state, to check labels and ids.
    controls: list[dict[str, str]] = field(default_factory=list)

    def data(self, button: Button | None = None, **changes: str | list[str]) -> dict[str, Any]:
        values: dict[str, Any] = {k: (v[0] if len(v) == 1 else v) for k, v in self.fields.items()}
        for key, value in changes.items():
            values[key] = value
        if button is not None and button.name:
            values[button.name] = button.value
        return values

    def submit(
        self, client: TestClient, button: Button | None = None, **changes: str | list[str]
    ) -> httpx.Response:
        assert self.method == "post"
        return client.post(self.action, data=self.data(button, **changes), follow_redirects=False)


@dataclass
class Page:
    status_code: int
    html: str
    lang: str | None = None
    title: str = ""
    forms: list[Form] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    labels_for: set[str] = field(default_factory=set)
    ids: list[str] = field(default_factory=list)
    scripts: list[dict[str, str | None]] = field(default_factory=list)
    inline_handlers: list[str] = field(default_factory=list)
    inline_styles: int = 0
    urls: list[str] = field(default_factory=list)
    landmarks: set[str] = field(default_factory=set)
    text: str = ""

    def form(self, action_contains: str = "") -> Form:
        matches = [f for f in self.forms if action_contains in f.action and f.method == "post"]
        assert matches, f"no form posting to {action_contains!r} on this page"
        return matches[0]

    def link(self, text_contains: str) -> str:
        for href, text in self.links:
            if text_contains in text:
                return href
        raise AssertionError(f"no link saying {text_contains!r}")


class _Reader(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.form: Form | None = None
        self.in_title = False
        self.select: tuple[str, list[str]] | None = None
        self.textarea: str | None = None
        self.button: Button | None = None
        self.link: list[str] | None = None
        self.in_style_or_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self._collect_common(tag, a)
        if tag == "form":
            self.form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.page.forms.append(self.form)
        elif tag == "input" and self.form is not None and a.get("name"):
            self._input(a)
        elif tag == "select" and a.get("name"):
            self.select = (a["name"], [])
            self._control(tag, a)
        elif tag == "option" and self.select is not None and "selected" in a:
            self.select[1].append(a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self.textarea = a["name"]
            self._control(tag, a)
            if self.form is not None:
                self.form.fields[a["name"]] = [""]
        elif tag == "button" and self.form is not None:
            self.button = Button(a.get("name", ""), a.get("value", ""))
            self.form.buttons.append(self.button)
        elif tag == "a":
            self.link = [a.get("href", "")]
        elif tag == "title":
            self.in_title = True
        elif tag == "html":
            self.page.lang = a.get("lang")
        elif tag in ("script", "style"):
            self.in_style_or_script = True

    def _collect_common(self, tag: str, a: dict[str, str]) -> None:
        if "id" in a:
            self.page.ids.append(a["id"])
        if tag == "label" and "for" in a:
            self.page.labels_for.add(a["for"])
        if tag == "script":
            self.page.scripts.append({"src": a.get("src")})
        if tag == "style" or "style" in a:
            self.page.inline_styles += 1
        self.page.inline_handlers += [k for k in a if k.startswith("on")]
        for key in ("href", "src", "action", "hx-get", "hx-post"):
            if key in a:
                self.page.urls.append(a[key])
        if tag in ("main", "header", "footer", "nav"):
            self.page.landmarks.add(tag)

    def _control(self, tag: str, a: dict[str, str]) -> None:
        if self.form is not None:
            self.form.controls.append({"tag": tag, **a})

    def _input(self, a: dict[str, str]) -> None:
        assert self.form is not None
        self._control("input", a)
        kind = a.get("type", "text")
        if kind in ("checkbox", "radio"):
            self.form.fields.setdefault(a["name"], [])
            if "checked" in a:
                self.form.fields[a["name"]].append(a.get("value", "on"))
        elif kind not in ("submit", "button"):
            self.form.fields.setdefault(a["name"], []).append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select" and self.select is not None:
            name, chosen = self.select
            if self.form is not None:
                self.form.fields[name] = chosen or [""]
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "button":
            self.button = None
        elif tag == "a" and self.link is not None:
            self.page.links.append((self.link[0], " ".join("".join(self.link[1:]).split())))
            self.link = None
        elif tag == "title":
            self.in_title = False
        elif tag in ("script", "style"):
            self.in_style_or_script = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.page.title += data
        if self.textarea is not None and self.form is not None:
            self.form.fields[self.textarea] = [self.form.fields[self.textarea][0] + data]
        if self.button is not None:
            self.button.text += data
        if self.link is not None:
            self.link.append(data)
        if not self.in_style_or_script:
            self.page.text += data


def read(response: httpx.Response) -> Page:
    page = Page(status_code=response.status_code, html=response.text)
    _Reader(page).feed(response.text)
    page.title = " ".join(page.title.split())
    page.text = " ".join(page.text.split())
    return page


def get(client: TestClient, url: str) -> Page:
    return read(client.get(url))


@dataclass(frozen=True)
class Catalogue:
    office_slug: str
    service_slug: str
    office_id: int
    service_id: int


def arrange_office(sessions: sessionmaker[Session]) -> Catalogue:
    """Commit an office in New York (Mon-Fri 9-17) with two counters, a Spanish interpreter
    and one 30-minute service, as the office's staff would set it up."""
    with unit_of_work(sessions) as session:
        office = factories.office(
            session, slug="downtown", opens=time(9), closes=time(17), languages=["en", "es"]
        )
        office.name = "Downtown Benefits Office"
        office.address = "100 Main Street, Springfield"
        counters = [factories.resource(session, office) for _ in range(2)]
        factories.resource(
            session, office, kind=ResourceKind.INTERPRETER, name="Interpreter", languages=["vi"]
        )
        service = factories.service(session, office, resources=counters, duration_minutes=30)
        return Catalogue("downtown", service.slug, office.id, service.id)
