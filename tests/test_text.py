"""Telegram message HTML -> Markdown: the build renders it back to the same visible text and links."""

from __future__ import annotations

import html as html_lib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from page_text import visible_text
from selectolax.lexbor import LexborHTMLParser

from sitegen.build.markdown import markdown_to_html
from sitegen.telegram.text import html_to_markdown


def original_text(fragment: str) -> str:
    """The visible text of a Telegram text fragment, whitespace normalised."""
    return visible_text(LexborHTMLParser(f"<div>{fragment}</div>").body, emoji_images=True)


def rendered_text(markdown: str) -> str:
    """The visible text of the build's HTML for ``markdown``, whitespace normalised."""
    return visible_text(LexborHTMLParser(markdown_to_html(markdown)).body)


def render(fragment: str) -> str:
    return markdown_to_html(html_to_markdown(fragment))


def assert_round_trip(fragment: str) -> str:
    markdown = html_to_markdown(fragment)
    assert rendered_text(markdown) == original_text(fragment), markdown
    return markdown


# --- formatting ----------------------------------------------------------------------------------


def test_bold_italic_strike_code_render_as_their_markup() -> None:
    out = render("<b>bold</b> <i>it</i> <s>gone</s> <code>x = 1</code>")
    assert "<strong>bold</strong>" in out and "<em>it</em>" in out
    assert "<s>gone</s>" in out and "<code>x = 1</code>" in out


def test_nested_formatting_keeps_both() -> None:
    out = render("<b>bold <i>and italic</i></b> plain")
    assert "<strong>bold <em>and italic</em></strong>" in out


def test_bold_with_inner_trailing_space_still_bold() -> None:
    assert html_to_markdown("<b>Title: </b>text") == "**Title:** text"


def test_emoji_is_a_character_never_italic() -> None:
    fragment = '<i class="emoji" style="background-image:url(\'//x/F09F9388.png\')"><b>📈</b></i> up'
    markdown = html_to_markdown(fragment)
    assert markdown == "📈 up"
    assert "<em>" not in render(fragment) and "<strong>" not in render(fragment)


def test_custom_emoji_becomes_its_fallback_character() -> None:
    fragment = '<tg-emoji emoji-id="5249285106203377492"><i class="emoji"><b>💜</b></i></tg-emoji> hi'
    assert html_to_markdown(fragment) == "💜 hi"


def test_custom_emoji_inside_italic_is_italic_emoji() -> None:
    out = render('<i><tg-emoji emoji-id="1"><i class="emoji"><b>❤️</b></i></tg-emoji> love</i>')
    assert "<em>❤️ love</em>" in out


def test_underline_keeps_its_text() -> None:
    assert html_to_markdown("a <u>line</u> b") == "a line b"


def test_spoiler_uses_the_build_syntax() -> None:
    markdown = html_to_markdown("see <tg-spoiler>the end</tg-spoiler>!")
    assert markdown == "see ||the end||!"
    assert 'class="spoiler-text" data-pagefind-ignore>the end<' in markdown_to_html(markdown)


def test_line_breaks_and_paragraphs() -> None:
    markdown = assert_round_trip("one<br>two<br><br>three")
    assert markdown == "one\\\ntwo\n\nthree"
    out = markdown_to_html(markdown)
    assert "one<br />" in out and "<p>three</p>" in out


def test_trailing_break_inside_bold() -> None:
    markdown = assert_round_trip("<b>Title<br></b><br>Body")
    assert markdown == "**Title**\n\nBody"


def test_pre_block_with_language() -> None:
    fragment = '<pre><code class="language-python">def f():\n    return "*x*"\n</code></pre>'
    markdown = html_to_markdown(fragment)
    assert markdown.startswith("```python\n")
    out = markdown_to_html(markdown)
    assert '<code class="language-python">def f():\n    return &quot;*x*&quot;' in out


def test_pre_with_backtick_fence_inside_gets_a_longer_fence() -> None:
    fragment = "<pre>```\ncode\n```</pre>"
    out = render(fragment)
    assert "<pre><code>```\ncode\n```" in out


def test_inline_code_with_backticks_and_breaks() -> None:
    assert "<code>a `b` c</code>" in render("<code>a `b` c</code>")
    assert_round_trip("<code>line one<br>line two</code>")


def test_blockquote_and_expandable_blockquote() -> None:
    for tag in ("<blockquote>", "<blockquote expandable>"):
        fragment = f"before{tag}quoted<br>lines</blockquote>after"
        markdown = assert_round_trip(fragment)
        assert "> quoted\\\n> lines" in markdown
        out = markdown_to_html(markdown)
        assert "<blockquote>" in out and "<p>after</p>" in out


# --- links ---------------------------------------------------------------------------------------


def test_text_link_fixes_the_double_escaped_ampersand() -> None:
    fragment = (
        '<a href="https://vk.ru/away.php?to=x&amp;amp;utf=1" target="_blank" rel="noopener" '
        "onclick=\"return confirm('Open this link?\\n\\n'+this.href);\">label</a>"
    )
    markdown = html_to_markdown(fragment)
    assert markdown == "[label](https://vk.ru/away.php?to=x&utf=1)"
    assert 'href="https://vk.ru/away.php?to=x&amp;utf=1"' in markdown_to_html(markdown)


def test_plain_url_entity_stays_bare_and_links() -> None:
    fragment = 'see <a href="https://yandex.ru/" target="_blank" rel="noopener">https://yandex.ru/</a>'
    markdown = html_to_markdown(fragment)
    assert markdown == "see https://yandex.ru/"
    assert '<a href="https://yandex.ru/">https://yandex.ru/</a>' in markdown_to_html(markdown)


@pytest.mark.parametrize("gap", ["", "  "])
def test_url_before_a_line_break_keeps_its_backslash_out_of_the_link(gap: str) -> None:
    url = "https://t.me/x/107"
    fragment = f'see <a href="{url}">{url}</a>{gap}<br/>next line<br/><a href="{url}">{url}</a> end'
    markdown = html_to_markdown(fragment)
    # Any CommonMark reader with linkify (not only the build's) reads it back: no "%5C", no "\\".
    stock = MarkdownIt("commonmark", {"linkify": True}).enable("linkify")
    for out in (markdown_to_html(markdown), stock.render(markdown)):
        assert "%5C" not in out and "\\" not in out
        assert out.count(f'<a href="{url}">{url}</a>') == 2
        assert "<br />" in out


def test_url_at_the_end_of_a_paragraph_stays_bare() -> None:
    # no backslash follows it, so files scraped before the fix are written again unchanged
    url = "https://t.me/x/107"
    assert html_to_markdown(f'see <a href="{url}">{url}</a><br/><br/>next') == f"see {url}\n\nnext"
    assert html_to_markdown(f'see <a href="{url}">{url}</a>') == f"see {url}"


def test_url_with_markdown_characters_is_written_as_a_link() -> None:
    url = "https://example.org/a_(b)*c"
    markdown = html_to_markdown(f'<a href="{url}">{url}</a>')
    out = markdown_to_html(markdown)
    assert rendered_text(markdown) == url
    assert 'href="https://example.org/a_(b)*c"' in out


def test_mention_keeps_its_link() -> None:
    out = render('ask <a href="https://t.me/wallswillfallbot" target="_blank">@wallswillfallbot</a>')
    assert '<a href="https://t.me/wallswillfallbot">@wallswillfallbot</a>' in out


def test_hashtag_becomes_plain_text_the_build_links() -> None:
    fragment = '<a href="?q=%23%D0%B0%D0%BD%D0%BE%D0%BD%D1%81">#анонс</a>'
    markdown = html_to_markdown(fragment)
    assert markdown == "#анонс"
    assert 'class="hashtag"' in markdown_to_html(markdown, channel="enbv2022")


def test_unsafe_link_keeps_only_its_label() -> None:
    markdown = html_to_markdown('<a href="javascript:alert(1)">click</a>')
    assert markdown == "click"


def test_link_with_space_only_label_keeps_its_target() -> None:
    out = render('<b>Title</b><br><a href="https://t.me/iv?url=https%3A%2F%2Fx.org&amp;rhash=1"> </a>')
    assert 'href="https://t.me/iv?url=https%3A%2F%2Fx.org&amp;rhash=1"' in out


def test_link_cut_by_a_line_break_is_one_link_per_line() -> None:
    markdown = html_to_markdown('<a href="https://x.org/">one<br>two</a>')
    assert markdown == "[one](https://x.org/)\\\n[two](https://x.org/)"


# --- escaping: text that looks like Markdown stays text -------------------------------------------


ADVERSARIAL = [
    "2 * 3 * 4 = 24",
    "snake_case and _underlined_ and __dunder__",
    "[not a link](https://example.org) and ![no image](x.png)",
    "`not code` and ``double``",
    "# not a heading<br>## nor this",
    "1. not a list<br>2) nor this<br>2023. a year",
    "> not a quote<br>- not a bullet<br>+ nor this<br>* nor this",
    "---<br>===<br>***",
    "a | b || c ||",
    "~~not struck~~ ~tilde~",
    "back\\slash \\*",
    "&lt;b&gt;not bold&lt;/b&gt; &amp;copy; &amp;#33;",
    "    four spaces",
    "<b>*</b>starred<b>_</b>",
    'a<b>"quoted"</b>b',
    "<i>(x)</i>y",
    "https://example.org/a_b_c*d",
    "&lt;https://example.org&gt;",
    "line \\<br>next",
]


def test_markdown_syntax_in_text_renders_as_the_same_text() -> None:
    for fragment in ADVERSARIAL:
        assert_round_trip(fragment)


def test_script_in_text_stays_text() -> None:
    fragment = "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt;"
    out = render(fragment)
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_real_script_element_is_not_shown() -> None:
    assert "alert" not in html_to_markdown("hi<script>alert(1)</script>")


def test_formatting_that_cannot_be_delimited_keeps_the_text() -> None:
    markdown = assert_round_trip('word<b>"quoted"</b>word')
    assert "**" not in markdown


_TEXT = st.text(alphabet=st.sampled_from(list("ab c_*`[]()#>-+=1.!|~\\<&;:/\n")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["", "b", "i", "s", "code", "br", "tg-spoiler"]), _TEXT), max_size=6)
)
def test_any_text_with_formatting_round_trips(runs: list[tuple[str, str]]) -> None:
    parts = []
    for tag, text in runs:
        escaped = html_lib.escape(text.replace("\n", " "), quote=False)
        if tag == "br":
            parts.append(escaped + "<br>")
        elif tag:
            parts.append(f"<{tag}>{escaped}</{tag}>")
        else:
            parts.append(escaped)
    fragment = "".join(parts)
    assert_round_trip(fragment)


def test_noncharacters_are_removed() -> None:
    assert html_to_markdown("a\ufdd0b") == "ab"
