"""The site-wide archive: which Telegram posts are in this site, and links to them made local.

A post's text is rendered to HTML once and cached across builds, but which posts the site holds
changes from build to build. So links to Telegram posts (``t.me/<channel>/<id>`` in every form) are
pointed at the archived pages when the pages are rendered, through one lookup:
:meth:`Archive.post`. The templates reach it as ``archive`` and the ``in_archive`` filter.

Every lookup goes through :func:`pages.lookup_post`, which records it for the page being rendered:
the build cache then renders a page again when a post it links to enters or leaves the archive, or
changes (its title, its picture), and never otherwise.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup

from sitegen.build.markdown import ROOT
from sitegen.build.pages import PostView, Section, lookup_post

# t.me/<channel>/<id>, t.me/s/<channel>/<id>, ?single, ?comment=..., telegram.me, telegram.dog, www.
_POST_URL = re.compile(
    r"^https?://(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/(?:s/)?([A-Za-z0-9_]{1,64})/(\d{1,12})/?(?:[?#].*)?$",
    re.IGNORECASE,
)
_HREF = re.compile(r'href="([^"]*)"')


def _may_link(text: str) -> bool:
    """Whether ``text`` can hold a Telegram post URL at all (most posts have none: no scan)."""
    return "t.me/" in text or "telegram." in text


def post_ref(url: str | None) -> tuple[str, int] | None:
    """The (channel, id) a Telegram post URL points to, in any of its forms; None for anything else."""
    match = _POST_URL.match(url.strip()) if url else None
    return (match.group(1), int(match.group(2))) if match else None


class Archive:
    """Every post of the site by channel (case-insensitive, as Telegram usernames are) and id."""

    def __init__(self, sections: list[Section]) -> None:
        self._posts: dict[tuple[str, int], PostView] = {}
        self._sections: dict[str, Section] = {}
        for section in sections:
            self._sections[section.name.lower()] = section
            for view in section.posts:
                self._posts[(view.channel, view.id)] = view

    def post(self, channel: str, post_id: int) -> PostView | None:
        """The archived post ``post_id`` of ``channel``, or None when the site does not have it.

        Recorded for the page being rendered (a channel the site does not have needs no record:
        adding a channel renders every page again)."""
        section = self._sections.get(channel.lower())
        if section is None:
            return None
        return lookup_post(self._posts, section.channel.username, int(post_id))

    def section(self, channel: str) -> Section | None:
        """The channel's section, or None when the site does not have the channel."""
        return self._sections.get(channel.lower())

    def find(self, url: str | None) -> PostView | None:
        """The archived post a Telegram post URL points to, or None."""
        ref = post_ref(url)
        return self.post(*ref) if ref else None

    def href(self, url: str | None) -> str | None:
        """The archived page of a Telegram post URL (from the site root, after :data:`ROOT`), or None."""
        view = self.find(url)
        return f"{ROOT}{view.path}" if view is not None else None

    def rewrite(self, fragment: str) -> Markup:
        """Post HTML with every link to an archived Telegram post pointed at its page in the site."""
        if not _may_link(fragment):
            return Markup(fragment)

        def local(match: re.Match[str]) -> str:
            target = self.href(html.unescape(match.group(1)))
            return f'href="{target}"' if target else match.group(0)

        return Markup(_HREF.sub(local, fragment))
