"""Analyzer test doubles, selected in tests by dotted path in GALLERY_ANALYZER."""

from __future__ import annotations

import dataclasses
import os
import time

from gallery.analysis import AnalysisResult, BaseAnalyzer, Colors, Tag

FIXED = "gallery.tests.analyzers.FixedAnalyzer"


class FixedAnalyzer(BaseAnalyzer):
    """A backend with a known answer, so a test can see where it arrives."""

    name = "fixed"
    version = "7.1"

    def analyze(self, data: bytes) -> AnalysisResult:
        return AnalysisResult(
            description="A photo from the worker",
            description_confidence=0.9,
            tags=[Tag("worker", 0.9)],
            colors=Colors("red", "red", ["red"], "#cc2200", False),
        )


class SlowAnalyzer(FixedAnalyzer):
    """Takes TEST_ANALYSIS_SECONDS, so a test can stop a worker in the middle."""

    def analyze(self, data: bytes) -> AnalysisResult:
        time.sleep(float(os.environ.get("TEST_ANALYSIS_SECONDS", "0")))
        return super().analyze(data)


MANY_TAGS = "gallery.tests.analyzers.ManyTagsAnalyzer"
TAG_NAMES = (
    "beach",
    "sunset",
    "mountain",
    "forest",
    "city",
    "portrait",
    "dog",
    "flower",
    "snow",
    "river",
    "bridge",
    "harbour",
)


class ManyTagsAnalyzer(FixedAnalyzer):
    """Twelve tags on every photo: more chips than a phone's width holds."""

    def analyze(self, data: bytes) -> AnalysisResult:
        result = super().analyze(data)
        return dataclasses.replace(result, tags=[Tag(name, 0.8) for name in TAG_NAMES])
