"""CLI commands of this layer (being built)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
