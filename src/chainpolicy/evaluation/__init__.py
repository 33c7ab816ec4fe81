"""Evaluation: span matching shared by inter-annotator agreement and the official scorer.

Above the validation layer (agreement reads its votes) and below the dataset layer (the build
measures agreement; the card embeds scores). ``matching`` holds the one matching code.
"""
