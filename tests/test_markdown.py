"""Post Markdown -> HTML: raw HTML off, unsafe links dropped, spoilers and hashtags."""

from __future__ import annotations

import pytest

from sitegen.build.markdown import ROOT, hashtags, markdown_to_html, tag_slug, tags_in_html


def test_formatting_telegram_uses_renders() -> None:
    html = markdown_to_html("**b** *i* ~~s~~ `code`\n\n> quote\n\n```python\nx = 1\n```")
    assert "<strong>b</strong>" in html and "<em>i</em>" in html and "<s>s</s>" in html
    assert "<code>code</code>" in html and "<blockquote>" in html
    assert '<code class="language-python">x = 1' in html


def test_raw_html_is_text_not_markup() -> None:
    html = markdown_to_html('<script>alert(1)</script> <img src=x onerror="alert(2)">')
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "vbscript:msgbox",
        "data:text/html,<b>x</b>",
        "file:///etc/passwd",
    ],
)
def test_unsafe_link_schemes_are_dropped(url: str) -> None:
    html = markdown_to_html(f"[click]({url}) <{url}>")
    assert "href" not in html


def test_images_in_text_are_not_rendered() -> None:
    assert "<img" not in markdown_to_html("![x](https://example.org/a.png)")


def test_safe_links_and_bare_urls_are_links() -> None:
    html = markdown_to_html("[site](https://example.org/?a=1&b=2) see https://t.me/durov and mailto:a@b.c")
    assert '<a href="https://example.org/?a=1&amp;b=2">site</a>' in html
    assert '<a href="https://t.me/durov">https://t.me/durov</a>' in html


@pytest.mark.parametrize(
    ("markdown", "after"),
    [
        ("see https://t.me/x/107\\\nnext", "<br />"),  # a hard break, as older scrapes wrote it
        ("> https://t.me/x/107\\\n> next", "<br />"),  # the same inside a quote
        ("see https://t.me/x/107\\\\\\\nnext", "\\<br />"),  # an escaped backslash, then a break
    ],
)
def test_url_before_a_backslash_line_break_does_not_take_it(markdown: str, after: str) -> None:
    html = markdown_to_html(markdown)
    assert f'<a href="https://t.me/x/107">https://t.me/x/107</a>{after}' in html
    assert "%5C" not in html


def test_spoiler_is_a_checkbox_label_that_needs_no_javascript() -> None:
    html = markdown_to_html("before ||secret **bold**|| after")
    assert (
        '<label class="spoiler"><input type="checkbox" class="spoiler-toggle">'
        '<span class="spoiler-text" data-pagefind-ignore>secret <strong>bold</strong></span></label>'
    ) in html
    assert "before" in html and "after" in html


@pytest.mark.parametrize("text", ["a || b", "||", "||||", "a \\|| b ||", "x|y|z"])
def test_lone_or_escaped_bars_stay_text(text: str) -> None:
    assert "spoiler" not in markdown_to_html(text)


def test_hashtags_link_to_the_channel_tag_page() -> None:
    html = markdown_to_html("#анонс and #News, not a#b or #123", channel="chan")
    assert (
        f'<a href="{ROOT}chan/tags/%D0%B0%D0%BD%D0%BE%D0%BD%D1%81/index.html" class="hashtag">#анонс</a>'
        in html
    )
    assert f'href="{ROOT}chan/tags/news/index.html"' in html
    assert html.count("hashtag") == 2
    assert hashtags("#анонс and #News, not a#b or #123 #News") == ["анонс", "news"]


def test_a_post_is_tagged_with_the_tags_it_links_to() -> None:
    html = markdown_to_html("#Анонс ||#secret|| `#code` #news #анонс", "chan")
    assert tags_in_html(html) == ["анонс", "news"]
    assert "tags/secret" not in html and "tags/code" not in html


def test_tag_slugs_are_never_paths() -> None:
    assert tag_slug("Анонс") == "анонс"
    assert tag_slug("../etc") == ""
    assert hashtags("#..%2e #a/b") == ["a"]


def test_root_marker_in_text_cannot_be_injected() -> None:
    html = markdown_to_html(f"{ROOT}javascript:alert(1) [x]({ROOT}javascript:alert(1))")
    assert ROOT not in html
    assert "href" not in html


def test_spoiler_ending_in_an_escaped_backslash_still_closes() -> None:
    html = markdown_to_html(r"||path C:\\|| after")
    assert '<span class="spoiler-text" data-pagefind-ignore>path C:\\</span></label> after' in html


def test_spoiler_inside_a_link_is_a_span_not_a_checkbox() -> None:
    html = markdown_to_html("[a ||b|| c](https://example.org)")
    inner = '<span class="spoiler-in-link" data-pagefind-ignore>b</span>'
    assert html.strip() == f'<p><a href="https://example.org">a {inner} c</a></p>'
