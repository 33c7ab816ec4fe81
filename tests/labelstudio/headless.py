"""Headless Chromium for the browser tests: Debian's ``chromium`` driven by playwright's Python API.

Playwright cannot download its own browsers on this network, so it drives the system executable
(``apt-get install chromium fonts-noto-cjk``; the fonts give the Chinese text its glyphs). The
flags keep Chromium off the network: without the background-networking ones its connections to
Google's hosts are refused by the closed network, many at a time. Every run gets a new, empty
profile folder (user-data-dir) under the test's tmp folder.

A machine without the browser skips these tests with the reason; CI sets
``CHAINPOLICY_REQUIRE_BROWSER=1`` so that a missing browser fails there instead.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

CHROMIUM_ENV = "CHAINPOLICY_CHROMIUM"  # another executable than Debian's /usr/bin/chromium
REQUIRE_ENV = "CHAINPOLICY_REQUIRE_BROWSER"
INSTALL_HINT = "apt-get install chromium fonts-noto-cjk && pip install -e '.[browser]'"
# With these, headless=True adds --headless, and the profile folder is the user-data-dir.
FLAGS = (
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 60_000  # generous: two cores shared with a Django server and other jobs


def chromium_path() -> str | None:
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        return given if Path(given).is_file() else None
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None
    )


def missing() -> str | None:
    """Why the browser tests cannot run on this machine (None: they can)."""
    if importlib.util.find_spec("playwright") is None:
        return f"playwright is not installed ({INSTALL_HINT})"
    if chromium_path() is None:
        return f"no Chromium executable ({INSTALL_HINT}, or set {CHROMIUM_ENV})"
    fonts = shutil.which("fc-list")
    listed = (
        subprocess.run([fonts, ":lang=zh", "family"], capture_output=True, text=True).stdout
        if fonts
        else ""
    )
    if not listed.strip():
        return f"no font with Chinese glyphs (fc-list :lang=zh is empty; {INSTALL_HINT})"
    return None


def require() -> str:
    """The Chromium executable; skips the test if there is none, fails in CI."""
    reason = missing()
    if reason is not None:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but the browser tests cannot run: {reason}")
        pytest.skip(reason)
    path = chromium_path()
    assert path is not None
    return path


@contextlib.contextmanager
def chromium(profile: Path) -> Iterator[BrowserContext]:
    """A headless Chromium with a new empty profile in ``profile``."""
    from playwright.sync_api import sync_playwright

    executable = require()
    profile.mkdir(parents=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=list(FLAGS),
            viewport=VIEWPORT,  # type: ignore[arg-type]
            locale="zh-CN",
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


def save_evidence(page: Page, folder: Path, name: str) -> tuple[Path, Path]:
    """A full-page screenshot and the page's HTML, as ``folder/name.png`` and ``.html``."""
    folder.mkdir(parents=True, exist_ok=True)
    png, html = folder / f"{name}.png", folder / f"{name}.html"
    page.screenshot(path=str(png), full_page=True)
    html.write_text(page.content(), "utf-8")
    return png, html


@contextlib.contextmanager
def evidence_on_failure(page: Page, folder: Path) -> Iterator[None]:
    """On any failure inside, save a screenshot and the HTML and name them in the error."""
    try:
        yield
    except BaseException as exc:
        try:
            png, html = save_evidence(page, folder, "failure")
            where = f"screenshot {png}, page HTML {html}"
        except Exception as saving:  # the page may be gone; the original error matters more
            where = f"no screenshot ({saving!r})"
        print(f"browser test failed at {page.url}: {where}")
        exc.add_note(f"browser state at failure ({page.url}): {where}")
        raise


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


# The on-screen box of characters [s, e) of a container's text, s and e in UTF-16 units (what
# the DOM counts): the middle of the first character's left edge and of the last one's right.
_CHAR_BOXES = """([selector, s, e]) => {
  const root = document.querySelector(selector);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let pos = 0, node, first, last;
  while ((node = walker.nextNode())) {
    const len = node.data.length;
    if (!first && s < pos + len) first = [node, s - pos];
    if (!last && e <= pos + len) last = [node, e - pos];
    pos += len;
  }
  const box = (n, a, b) => {
    const range = document.createRange();
    range.setStart(n, a);
    range.setEnd(n, b);
    return range.getBoundingClientRect();
  };
  const a = box(first[0], first[1], first[1] + 1), b = box(last[0], last[1] - 1, last[1]);
  return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2};
}"""


def utf16(text: str, index: int) -> int:
    """A code point offset of ``text`` as the DOM counts it (astral characters are two units)."""
    return len(text[:index].encode("utf-16-le")) // 2


def drag_select(page: Page, selector: str, text: str, start: int, end: int) -> None:
    """Select characters [start, end) (code points) of the text shown in ``selector`` with the
    mouse, as an annotator does: press on the first character, drag to the last, release."""
    box = page.evaluate(_CHAR_BOXES, [selector, utf16(text, start), utf16(text, end)])
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=8)
    page.mouse.up()
