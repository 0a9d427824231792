"""Image analysis backends and the loader that picks one from settings."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .base import (
    AnalysisError,
    AnalysisResult,
    AnalysisSkipped,
    BaseAnalyzer,
    Colors,
    FaceFound,
    Tag,
)

__all__ = [
    "AnalysisError",
    "AnalysisResult",
    "AnalysisSkipped",
    "BaseAnalyzer",
    "Colors",
    "FaceFound",
    "Tag",
    "get_analyzer",
]

BACKENDS = {
    "azure": "gallery.analysis.azure.AzureAnalyzer",
    "local": "gallery.analysis.local.LocalAnalyzer",
}


def analyzer_path() -> str | None:
    """The dotted path of the configured backend, or None for no analysis."""
    choice = settings.GALLERY_ANALYZER
    if choice == "none":
        return None
    if choice == "auto":
        azure_configured = settings.AZURE_CV_KEY and settings.AZURE_CV_ENDPOINT
        choice = "azure" if azure_configured else "local"
    return BACKENDS.get(choice, choice)


@functools.cache
def get_analyzer() -> BaseAnalyzer | None:
    """The process-wide analyzer instance (None when analysis is off)."""
    path = analyzer_path()
    return import_string(path)() if path else None


@receiver(setting_changed)
def _reset_analyzer(*, setting: str, **kwargs) -> None:
    if setting.startswith(("GALLERY_ANALYZER", "AZURE_CV")):
        get_analyzer.cache_clear()
