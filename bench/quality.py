"""Search quality: the queries, and how much of one single index's top results merged bundles keep.

Used by bench/search_step.py (``--quality``) and tests/test_site_search.py.
"""

from __future__ import annotations

# Words of bench/generate.py's vocabulary in both languages, alone and in pairs, and Russian forms.
QUERIES = [
    "rocket",
    "memory cache",
    "python release",
    "search",
    "benchmark results",
    "open source",
    "server",
    "photo",
    "week news",
    "ракета",
    "ракетами",
    "поиск",
    "новый выпуск",
    "данные модель",
    "архив",
    "спасибо всем",
    "зима",
    "сервер кэш",
]


def agreement(merged: list[dict], single: list[dict], top: int = 10) -> float:
    """The share of the merged top results that are in the single index's top, ties included.

    A result scored as high as the single index's last top result may stand in its place: Pagefind
    orders equal scores by their place in a bundle, which differs between one index and several.
    """
    if not single:
        return 1.0
    scores = {r["url"]: r["score"] for r in single}
    cut = single[min(top, len(single)) - 1]["score"]
    best = {r["url"] for r in single[:top]}
    hits = sum(1 for r in merged[:top] if r["url"] in best or scores.get(r["url"], -1) >= cut * (1 - 1e-6))
    return hits / min(top, len(single))
