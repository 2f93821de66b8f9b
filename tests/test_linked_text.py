"""A channel's description: links, @names and #tags clickable, everything else inert text."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from sitegen.build.render import linked_text


def links(html: str) -> list[tuple[str, str]]:
    tree = LexborHTMLParser(f"<p>{html}</p>")
    return [(a.text(), a.attributes["href"]) for a in tree.css("a")]


def test_urls_names_and_tags_become_links() -> None:
    text = "Сайт: http://oblsud.nvg.sudrf.ru/\nсвязь: @enbv_bot, #анонс и #другое, example.org"
    html = str(linked_text(text, "sud", {"анонс": []}, "../"))
    assert links(html) == [
        ("http://oblsud.nvg.sudrf.ru/", "http://oblsud.nvg.sudrf.ru/"),
        ("@enbv_bot", "https://t.me/enbv_bot"),
        ("#анонс", "../sud/tags/%D0%B0%D0%BD%D0%BE%D0%BD%D1%81/index.html"),
        ("#другое", "https://t.me/s/sud?q=%23%D0%B4%D1%80%D1%83%D0%B3%D0%BE%D0%B5"),
        ("example.org", "http://example.org"),
    ]
    assert "\n" in html  # the line breaks stay (the page shows them with white-space: pre-line)


def test_markup_and_unsafe_schemes_stay_text() -> None:
    html = str(linked_text('<b onclick="x">hi</b> javascript:alert(1) mail@example.org#x', "c", {}, ""))
    assert "<b" not in html and "&lt;b onclick=&#34;x&#34;&gt;" in html
    assert all(not href.startswith("javascript") for _, href in links(html))
