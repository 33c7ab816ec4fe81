"""Validation of Label Studio exports against the corpus and the label schema."""
