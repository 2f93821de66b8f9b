"""``sitegen build``: content/ -> output/.

This module is the light front: it decides from hashes alone whether anything changed since the
last build, so an unchanged site is checked without loading Markdown or Jinja. The build
itself, step by step, is in :mod:`sitegen.build.steps`.
"""

from __future__ import annotations

import dataclasses
import gc
from dataclasses import dataclass, field

from sitegen.build.cache import BuildCache, default_jobs, thaw_objects
from sitegen.build.load import BuildError
from sitegen.config import Config
from sitegen.progress import NoProgress, ProgressSink, Steps

__all__ = ["BuildError", "BuildReport", "build_site"]


@dataclass
class BuildReport:
    """What a build did, for the summary line."""

    channels: int = 0
    posts: int = 0
    pages: int = 0
    written: int = 0
    removed: int = 0
    media: int = 0
    searchable: int = 0  # pages in the search index
    warnings: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # channels left out: one error line each


def build_site(
    cfg: Config, clean: bool = False, progress: ProgressSink | None = None, jobs: int | None = None
) -> BuildReport:
    """Build the whole site from ``cfg.content_dir`` into ``cfg.output_dir`` (``jobs`` processes)."""
    progress = progress or NoProgress()
    steps = Steps(progress)  # a status line on a terminal, and the step's time with --verbose
    steps.next("Checking for changes")
    cache = BuildCache(cfg, clean)
    cache.progress = progress
    jobs = jobs or default_jobs()
    # Reading the cache and the content makes 100,000s of objects that live on and no garbage
    # cycles: the cycle collector waits until they are all made (steps.build_changed freezes them).
    gc.disable()
    try:
        cache.start_check(cfg.content_dir, jobs)  # post files, output/ and media/: in child processes
        if not clean:
            cache.read_ahead()  # meanwhile
        fingerprint = cache.fingerprint(cfg)
        last = None if clean else cache.unchanged(fingerprint)
        if last is not None and cfg.search and last.searchable:
            from sitegen.build.search import index_in_place  # a no-op's files include the search index

            last = last if index_in_place(cfg.output_dir) else None
        steps.done()
        if last is not None:  # nothing changed since the last build, and its output is in place
            return dataclasses.replace(last, written=0, removed=0)
        return _build_changed(cfg, cache, clean, progress, jobs, fingerprint)
    finally:
        cache.close()
        thaw_objects()
        gc.enable()


def _build_changed(
    cfg: Config, cache: BuildCache, clean: bool, progress: ProgressSink, jobs: int, fingerprint: str | None
) -> BuildReport:
    from sitegen.build.pages import forget_details
    from sitegen.build.steps import build_changed  # Markdown and Jinja load only from here

    try:
        return build_changed(cfg, cache, clean, progress, jobs, fingerprint)
    finally:
        forget_details()  # the views of this build's posts: not kept alive by the details' queue
