"""The structural role of every line: title, heading, byline, lead, body, list item, caption ...

Rules are a table, checked in order; the manifest may name a line's role outright (titles, bylines
and affiliations cannot be told apart from headings by their shape alone).
"""

from __future__ import annotations

import re

# A heading has no end mark; a short line ending in ":" or "," introduces what follows.
_NOT_HEADING_END = tuple("。?？!！”」』)）:：,，;；")
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "boilerplate",
        re.compile(
            r"^(责任编辑|責任編輯|编辑|編輯|来源|來源|版权声明|版權聲明|相关标签|相關標籤)\s*[:：]"
        ),
    ),
    ("boilerplate", re.compile(r"^[(（]作者(系|為|为|是)?.*[)）]$")),
    ("caption", re.compile(r"^△")),
    ("list_item", re.compile(r"^[(（]\d{1,2}[)）]")),
    ("citation", re.compile(r"^\[\d+\]")),
)
_LEAD_MARKER = re.compile(r"^(导\s*读|導\s*讀)$")
_MAX_HEADING = 40


def classify(lines: list[str], overrides: dict[int, str]) -> list[str]:
    roles: list[str] = []
    in_lead = False
    for number, line in enumerate(lines):
        stripped = line.strip()
        role = overrides.get(number) or _by_rule(stripped)
        if _LEAD_MARKER.match(stripped):
            in_lead = True
            role = overrides.get(number, "heading")
        elif role == "heading":
            in_lead = False
        elif role == "body" and in_lead:
            role = "lead"
        roles.append(role)
    return roles


def _by_rule(line: str) -> str:
    for role, pattern in _RULES:
        if pattern.search(line):
            return role
    if len(line) <= _MAX_HEADING and not line.endswith(_NOT_HEADING_END):
        return "heading"
    return "body"
