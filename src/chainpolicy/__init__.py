"""ChainPolicy-ZH: build, annotate, validate and publish the dataset."""

__version__ = "0.1.0"
