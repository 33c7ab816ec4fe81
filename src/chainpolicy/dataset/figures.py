"""Normalised value, unit and qualifier of a gold figure span.

The normaliser belongs to the pre-annotator (``chainpolicy.prelabel.figures``): the same code
turns "近100家" into value 100, unit 家, qualifier 近 for predictions and for gold spans. Here it
is applied to the text a person marked as a figure; the span itself stays gold.
"""

from __future__ import annotations

from chainpolicy.prelabel.figures import normalise

__all__ = ["normalise"]
