"""The labelling UI in a real browser, from push to the built dataset.

An annotator who joined through the organisation's invite link logs in in headless Chromium,
opens a pushed task that has pre-annotations, sees the sentence with its title, its neighbours
and the pre-annotated regions, draws a span with the label's hotkey, is refused when submitting
it without a type, chooses the type and submits; ``ls pull`` and ``build`` then give that span
as gold. Needs Debian's ``chromium`` and ``fonts-noto-cjk`` (see ``headless.py``): skipped
without them, except in CI (``CHAINPOLICY_REQUIRE_BROWSER=1``). Screenshots and the page HTML
go to the test's tmp folder on failure, and one screenshot of the labelling screen on success.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pyarrow.parquet as pq
import pytest
from datasets import Features
from headless import chromium, drag_select, evidence_on_failure, png_size, require, save_evidence

from chainpolicy.contract.regions import check_annotation
from chainpolicy.contract.taskdata import NEXT_KEY, PREV_KEY, TITLE_KEY
from chainpolicy.labelstudio import server
from chainpolicy.labelstudio.client import connect
from chainpolicy.labelstudio.config import label_config
from chainpolicy.labelstudio.sync import find_project
from chainpolicy.paths import repo_root
from chainpolicy.schema import LABELS_BY_NAME
from chainpolicy.validate.export import iter_tasks

pytestmark = [pytest.mark.browser, pytest.mark.labelstudio]

PROJECT = "browser"
# 2019年3月,全国首款区块链公证摇号系统在相城上线,...: pre-annotated (the date, 相城), but the
# pre-annotator misses the system's name, which the annotator adds as a typed entity.
SENTENCE = "02dec154e1ac7468-p010-s01"
TARGET, LABEL, TYPE = "区块链公证摇号系统", "entity", "PRODUCT"
ANNOTATOR = "annotator@example.org"
TEXT = ".lsf-richtext__container"  # the <Text> object's text, where regions are highlights
HEADERS = ".lsf-main-view__annotation h4"  # the <Header> tags: title, previous, next


@pytest.fixture(scope="session", autouse=True)
def browser_present() -> None:
    # Session-scoped and autouse, so it runs before the (session-scoped) server template is
    # migrated: a machine without the browser skips at once, CI fails at once.
    require()


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chainpolicy", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo_root(),
        check=False,
    )


def sign_up(url: str, invite_url: str, email: str, password: str) -> None:
    """Join the organisation through its invite link, posting the signup form as a browser does
    (the server refuses signup without the link). Not done in the browser itself: the signup
    logs the new user in, and logging out while the home page's requests are in flight lets one
    of them bring the session back."""
    with httpx.Client(base_url=url, timeout=60) as http:
        http.get(invite_url).raise_for_status()  # the form, and the CSRF cookie
        form = {
            "email": email,
            "password": password,
            "allow_newsletters": "false",
            "csrfmiddlewaretoken": http.cookies["csrftoken"],
        }
        done = http.post(invite_url, data=form)
    # A new user is redirected to the projects; a refused form is shown again (200).
    assert done.status_code == 302, f"signup of {email} refused: HTTP {done.status_code}"


def required_message(label: str) -> str:
    """What the UI says when a region of ``label`` has no type (from the generated config)."""
    root = ET.fromstring(label_config())
    (choices,) = [c for c in root.iter("Choices") if c.get("whenLabelValue") == label]
    assert choices.get("required") == "true"
    message = choices.get("requiredMessage")
    assert message
    return message


def spans(result: list[Any], text: str) -> set[tuple[int, int, str, str | None]]:
    checked = check_annotation(result, text)
    assert not checked.rejected, checked.rejected
    return {(r.start, r.end, r.label, r.type) for r in checked.spans}


def highlights(page: Any) -> set[tuple[int, int, str, str]]:
    """The regions shown in the text: (start, end, label, shown text)."""
    return {
        (
            int(h.get_attribute("data-start")),
            int(h.get_attribute("data-end")),
            h.get_attribute("data-label").split(":", 1)[1],  # "<index>:<label>"
            h.inner_text(),
        )
        for h in page.locator(f"{TEXT} .htx-highlight").all()
    }


def rows(root: Path, config: str) -> tuple[Features, list[dict[str, Any]]]:
    tables = [pq.read_table(p) for p in sorted((root / "data" / config).glob("*.parquet"))]
    assert tables, f"no Parquet files in {root / 'data' / config}"
    # The ClassLabel names as a reader gets them: from the files' own metadata.
    features = Features.from_arrow_schema(tables[0].schema)
    return features, [row for table in tables for row in table.to_pylist()]


def test_annotator_labels_a_preannotated_sentence_in_chromium_and_it_becomes_gold(
    ls_env: server.Server, cli_env: dict[str, str], tmp_path: Path
) -> None:
    began = time.monotonic()
    done = run("ls", "push", "--project", PROJECT, env=cli_env)
    assert done.returncode == 0, done.stderr
    client, _ = connect()
    project = find_project(client, PROJECT)
    task = next(
        t
        for t in client.tasks.list(project=project.id, fields="all", page_size=500)
        if t.data["sentence_id"] == SENTENCE
    )
    data = task.data
    text = data["text"]
    (prediction,) = task.predictions
    predicted = spans(prediction.result, text)
    assert predicted, f"{SENTENCE} has no pre-annotations to show"
    start = text.index(TARGET)
    new = (start, start + len(TARGET), LABEL, TYPE)
    assert not any(s < new[1] and new[0] < e for s, e, label, _ in predicted if label != "claim")
    password = secrets.token_urlsafe(12)
    invite = client.organizations.invites.get_invite_link()
    assert invite.invite_url
    sign_up(ls_env.url, invite.invite_url, ANNOTATOR, password)

    shots = tmp_path / "screens"
    with chromium(tmp_path / "chromium-profile") as browser:
        page = browser.new_page()
        with evidence_on_failure(page, shots):
            # The annotator, who joined through the invite link, logs in.
            page.goto(f"{ls_env.url}/user/login/")
            page.fill("#email", ANNOTATOR)
            page.fill("#password", password)
            page.get_by_role("button", name="Log In").click()
            page.wait_for_url(lambda u: "/user/login" not in u)
            # The browser's session is the annotator's, a user who is not the admin.
            whoami = page.request.get(f"{ls_env.url}/api/current-user/whoami").json()
            annotator = next(u for u in client.users.list() if u.email == ANNOTATOR)
            assert (whoami["email"], whoami["id"]) == (ANNOTATOR, annotator.id)
            admin = client.users.whoami()  # the token's user
            assert admin.email == server.ADMIN_EMAIL and admin.id != annotator.id

            # Annotation requests the page sends (drafts go elsewhere: /drafts).
            task_path = f"/api/tasks/{task.id}/annotations"
            posted: list[str] = []
            page.on(
                "request",
                lambda r: (
                    posted.append(r.url)
                    if r.method == "POST" and urlparse(r.url).path.rstrip("/") == task_path
                    else None
                ),
            )

            page.goto(f"{ls_env.url}/projects/{project.id}/data?task={task.id}")
            page.wait_for_selector(f"{TEXT} .htx-highlight")
            assert page.locator(TEXT).inner_text() == text
            expected_headers = [data[TITLE_KEY], data[PREV_KEY], data[NEXT_KEY]]
            assert page.locator(HEADERS).all_inner_texts() == expected_headers
            assert highlights(page) == {(s, e, lab, text[s:e]) for s, e, lab, _ in predicted}

            # Draw the span: the label's hotkey, then a mouse drag over its characters.
            hotkey = LABELS_BY_NAME[LABEL].hotkey
            page.keyboard.press(hotkey)
            page.wait_for_selector(f".lsf-label_selected:has-text('{LABEL}')")
            page.evaluate("document.fonts.ready")  # the glyphs' final places, for the mouse
            drag_select(page, TEXT, text, new[0], new[1])
            region = page.locator(
                f'{TEXT} .htx-highlight[data-start="{new[0]}"][data-end="{new[1]}"]'
            )
            region.wait_for()
            assert region.inner_text() == TARGET

            # Without a type the UI refuses: a warning with the config's message, nothing sent.
            page.get_by_role("button", name="Submit").click()
            warning = page.locator(".ant-modal-confirm")
            warning.wait_for()
            assert required_message(LABEL) in warning.inner_text()
            assert posted == []
            assert list(client.annotations.list(id=task.id)) == []
            warning.get_by_role("button", name="OK").click()
            warning.wait_for(state="detached")

            # Choose the type and submit. The choices show while the region is selected: a new
            # region is not, and the refusal selected it in 1.23.2; click it if it is not.
            if "__active" not in (region.get_attribute("class") or "").split():
                region.click()
            choice = page.locator(
                f'.lsf-choices:not(.lsf-choices_hidden) label:has(input[name="{TYPE}"])'
            )
            choice.click()
            page.wait_for_selector(f'input[name="{TYPE}"]:checked')
            screen, _ = save_evidence(page, tmp_path, "labelling")
            with page.expect_response(
                lambda r: r.request.method == "POST" and urlparse(r.url).path == task_path
            ) as response:
                page.get_by_role("button", name="Submit").click()
            assert response.value.status == 201, response.value.text()
            assert len(posted) == 1
    width, height = png_size(screen)
    print(f"labelling screen: {screen} ({width}x{height}, {screen.stat().st_size} bytes)")

    # The submitted annotation is the annotator's, and the build makes it gold.
    done = run("ls", "pull", "--project", PROJECT, "--out", str(tmp_path / "exports"), env=cli_env)
    assert done.returncode == 0, done.stderr
    (export,) = (tmp_path / "exports").glob(f"{PROJECT}-*.json")
    (annotation,) = next(t for t in iter_tasks(export) if t.id == task.id).annotations
    assert annotation.annotator == annotator.id
    assert spans(annotation.result, text) == predicted | {new}
    out = tmp_path / "ds"
    args = ("--exports", str(export.parent), "--out", str(out), "--report-dir", str(tmp_path / "r"))
    done = run("build", *args, env=cli_env)
    assert done.returncode == 0, done.stderr
    features, records = rows(out, "default")
    (row,) = [r for r in records if r["id"] == SENTENCE]
    assert row["text"] == text
    assert features["annotation_status"].int2str(row["annotation_status"]) == "annotated"
    assert features["adjudication"].int2str(row["adjudication"]) == "single"
    assert row["n_annotators"] == 1
    label_names = features["spans"].feature["label"]
    type_names = features["spans"].feature["type"]
    gold = {
        (
            s["start"],
            s["end"],
            label_names.int2str(s["label"]),
            None if s["type"] is None else type_names.int2str(s["type"]),
        )
        for s in row["spans"]
    }
    assert new in gold
    assert gold == predicted | {new}  # the pre-annotations the annotator kept, and the new span
    (made,) = [s for s in row["spans"] if (s["start"], s["end"]) == new[:2]]
    assert made["text"] == text[new[0] : new[1]] == TARGET
    print(f"browser test: {time.monotonic() - began:.1f} s from push to the built dataset")
