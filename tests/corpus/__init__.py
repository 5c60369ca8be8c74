"""A generator of test reports with known values, in every form and quirk the parser meets."""

from .build import COUNTS, Document, Score, build_corpus, make_spec, score

__all__ = ["COUNTS", "Document", "Score", "build_corpus", "make_spec", "score"]
