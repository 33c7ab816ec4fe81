"""The publishable Hugging Face dataset: build, card, publish."""
