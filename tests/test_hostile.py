"""Hostile content through the whole pipeline: a fake t.me serves a channel of attacks, sitegen scrapes
and builds it, and nothing runs, nothing is linked to a script URL, nothing lands outside content/ and
output/. The browser check (``-m browser``) opens every built page and every media file in Chromium.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fake_telegram import LocalServer, Template, scrape_config
from selectolax.lexbor import LexborHTMLParser

from sitegen import content
from sitegen.build import build_site
from sitegen.config import Config
from sitegen.errors import SitegenError
from sitegen.model import Post
from sitegen.scrape import normalise_channel, scrape_channels

NAME = "hostile"
BIG_WORD = "A" * 10_000
# t.me pages over 4 MB are refused by the fetcher, so the 5 MB message enters content/ as an import would.
BIG_MESSAGE = (
    "word " * 200 + "\n"
) * 5_000 + "&lt;script&gt;alert(1)&lt;/script&gt; <img src=x onerror=alert(1)>"
NESTED = "<b><i><s><tg-spoiler>" * 50 + "deep" + "</tg-spoiler></s></i></b>" * 50
SCRIPT_URLS = ["javascript:alert(1)", " JaVaScRiPt:alert(2)", "java&#x09;script:alert(3)",
               "data:text/html,&lt;script&gt;alert(4)&lt;/script&gt;", "vbscript:msgbox(5)"]  # fmt: skip
TEXTS = [
    "&lt;script&gt;window.__pwned=1&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;",
    "<script>window.__pwned=2</script><img src=x onerror=alert(2)><svg onload=alert(3)></svg>",
    "[x](javascript:alert(1)) [y](data:text/html,hi) ![z](javascript:alert(2))",
    "&lt;a href=javascript:alert(3)&gt; [w](vbscript:msgbox(1)) <javascript:alert(4)>",
    *(f'<a href="{url}" onclick="alert(6)">click {i}</a>' for i, url in enumerate(SCRIPT_URLS)),
    '<a href="https://example.org/&quot;onmouseover=&quot;alert(1)">quote break</a>',
    "RTL \u202eevil.exe\u202c zero\u200bwidth\u200d\ufeff join",
    f"long {BIG_WORD} word",
    NESTED,
    "{{ 7*7 }} {% raw %} ${7*7} &lt;!-- comment --&gt; ]]&gt;",
    '<a href="?q=%23..%2F..%2Fevil">#..%2F..%2Fevil</a> #%2e%2e #Tag #tag #TAG',
    "#" + "漢" * 100 + " #" + "я" * 100,
    "&lt;/textarea&gt;&lt;/title&gt;&lt;/style&gt;&lt;/script&gt;&lt;/noscript&gt;",
]
MEDIA = {  # path on the fake CDN -> (content type, body)
    "evil.svg": ("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    "evil.html": ("text/html", b"<script>alert(1)</script>"),
    "evil.jpg": ("image/jpeg", b"\xff\xd8\xff\xe0<script>alert(1)</script>" + b"\x00" * 100),
}


def wrap(post_id: int, text: str, extra: str = "") -> str:
    """One message in t.me's markup, with ``text`` as its text and ``extra`` inside the bubble."""
    return (
        '<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message '
        f'text_not_supported_wrap js-widget_message" data-post="{NAME}/{post_id}">'
        '<div class="tgme_widget_message_bubble">'
        f"{extra}"
        f'<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>'
        '<div class="tgme_widget_message_footer compact js-message_footer">'
        '<div class="tgme_widget_message_info short js-message_info">'
        '<span class="tgme_widget_message_views">1.2K</span><span class="tgme_widget_message_meta">'
        f'<a class="tgme_widget_message_date" href="https://t.me/{NAME}/{post_id}">'
        f'<time datetime="2024-03-0{1 + post_id % 9}T10:00:00+00:00" class="time">10:00</time></a>'
        "</span></div></div></div></div></div>"
    )


def hostile_page(base: str) -> str:
    """A whole channel page of attacks, built on a real page's head and tail."""
    template = Template.load()
    head = template.head.replace("sudpress53", NAME)
    title = r'(<div class="tgme_channel_info_header_title"><span dir="auto">)[^<]*'
    head = re.sub(title, r"\1&lt;script&gt;alert('title')&lt;/script&gt;", head)
    head = re.sub(
        r"https://cdn\d*\.(?:telesco\.pe|telegram-cdn\.org)/[^'\")]*", f"{base}/cdn/avatar/evil.svg", head
    )
    wraps = [wrap(i + 1, text) for i, text in enumerate(TEXTS)]
    n = len(wraps)
    preview = (
        '<a class="tgme_widget_message_link_preview" href="javascript:alert(7)">'
        '<div class="link_preview_site_name">&lt;script&gt;alert(8)&lt;/script&gt;</div>'
        '<i class="link_preview_image" style="background-image:url(\'javascript:alert(9)\')"></i>'
        '<div class="link_preview_title">&lt;img src=x onerror=alert(10)&gt;</div>'
        '<div class="link_preview_description">" onmouseover="alert(11)</div></a>'
    )
    forwarded = (
        '<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from '
        '<a class="tgme_widget_message_forwarded_from_name" href="javascript:alert(12)">'
        "<span>&lt;b onclick=alert(13)&gt;x</span></a></div>"
    )
    wraps.append(wrap(n + 1, "preview and forward", forwarded + preview))
    photos = "".join(
        f'<a class="tgme_widget_message_photo_wrap" href="https://t.me/{NAME}/{n + 2}?single" '
        f"style=\"width:100px;background-image:url('{url}')\"></a>"
        for url in [f"{base}/cdn/{n + 2}/evil.svg", f"{base}/cdn/{n + 2}/evil.html",
                    f"{base}/cdn/{n + 2}/evil.jpg", "javascript:alert(14)", "file:///etc/passwd",
                    f"{base}/cdn/{n + 2}/..%2F..%2F..%2Fescape"]
    )  # fmt: skip
    wraps.append(wrap(n + 2, "photos", f'<div class="tgme_widget_message_grouped_wrap">{photos}</div>'))
    buttons = (
        '<div class="tgme_widget_message_inline_keyboard"><div class="tgme_widget_message_inline_row">'
        '<a class="tgme_widget_message_inline_button url_button" href="javascript:alert(15)">'
        '<div class="tgme_widget_message_inline_button_text">&lt;script&gt;</div></a></div></div>'
    )
    wraps.append(wrap(n + 3, "buttons" + buttons))
    return head + "".join(wraps) + template.tail


def cdn_handler(fake, original):
    """Serve the hostile media bodies; everything else as the fake does."""
    from werkzeug import Response

    def handle(request):
        leaf = request.path.rsplit("/", 1)[-1]
        if request.path.startswith("/cdn/") and leaf in MEDIA:
            kind, body = MEDIA[leaf]
            fake.media_sent[request.full_path] = body
            return Response(body, content_type=kind)
        return original(request)

    return handle


def tree(folder: Path) -> dict[str, int]:
    """Every path below ``folder`` (files with their size)."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size if p.is_file() else -1) for p in folder.rglob("*")
    }


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Iterator[tuple[Path, Path]]:
    """Scrape the hostile channel and build it; yield (watched folder, project root)."""
    watched = tmp_path_factory.mktemp("hostile")
    (watched / "beside.txt").write_text("canary")
    root = watched / "project"
    root.mkdir()
    before = tree(watched)
    server = LocalServer()
    try:
        fake = server.fresh(count=1, channel=NAME)
        fake.pages[NAME] = hostile_page(fake.base_url)
        server.http.clear()
        server.http.expect_request(re.compile(".*")).respond_with_handler(cdn_handler(fake, fake.handle))
        summary = scrape_channels(scrape_config(root, fake, retries=1, timeout=2.0), [NAME])
        assert not summary.errors, summary.errors
    finally:
        server.stop()
    big = Post(id=len(TEXTS) + 4, date=datetime(2024, 3, 9, tzinfo=UTC), channel=NAME, text=BIG_MESSAGE)
    content.write_post(root / "content" / NAME, big)
    report = build_site(Config(root=root, search=False))
    assert report.posts == len(TEXTS) + 4
    after = tree(watched)
    added = set(after) - set(before)
    allowed = ("project/content", "project/output", "project/.sitegen-cache")  # the build's own cache
    assert all(p.split("/")[0:2] != ["project"] or p.startswith(allowed) for p in added)
    assert all(p.startswith(allowed) for p in added), sorted(p for p in added if not p.startswith(allowed))
    assert {k: v for k, v in after.items() if k in before} == before
    yield watched, root


def test_nothing_is_written_outside_content_and_output(hostile_site):
    watched, root = hostile_site
    assert (watched / "beside.txt").read_text() == "canary"
    for path in root.rglob("*"):
        assert path.resolve().is_relative_to(root.resolve())
        assert not path.is_symlink()


def test_every_hostile_post_is_stored_and_its_text_kept(hostile_site):
    _, root = hostile_site
    posts = {p.id: p for p in content.read_posts(root / "content" / NAME)}
    assert sorted(posts) == list(range(1, len(TEXTS) + 5))
    assert BIG_WORD in posts[TEXTS.index(f"long {BIG_WORD} word") + 1].text
    assert len(posts[len(TEXTS) + 4].text) > 5_000_000
    assert "\u202e" in posts[next(i for i, t in enumerate(TEXTS) if "RTL" in t) + 1].text


def test_media_files_are_named_by_sitegen_and_never_html_or_svg(hostile_site):
    _, root = hostile_site
    media = root / "content" / NAME / "media"
    files = [p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()]
    for name in files:
        assert re.fullmatch(r"avatar\.\w+|\d+/(\d+(-thumb)?|preview)\.\w+", name), name
        assert not name.endswith((".svg", ".html", ".htm", ".xml", ".xhtml")), name


UNSAFE_URL = re.compile(r"^(javascript|data|vbscript):", re.I)
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "poster", "xlink:href", "srcset", "background")


def _squeeze(value: str) -> str:
    """A URL as a browser reads its scheme: control characters and whitespace removed."""
    return re.sub(r"[\x00-\x20\x7f]+", "", value)


def test_built_html_has_no_handlers_no_script_urls_and_no_injected_scripts(hostile_site):
    _, root = hostile_site
    pages = sorted((root / "output").rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        doc = LexborHTMLParser(page.read_text(encoding="utf-8"))
        for node in doc.css("*"):
            for key, value in node.attributes.items():
                assert not key.lower().startswith("on"), f"{page}: <{node.tag} {key}>"
                if key.lower() in URL_ATTRIBUTES and value:
                    assert not UNSAFE_URL.match(_squeeze(value)), f"{page}: {key}={value[:60]!r}"
            if node.tag in ("script", "iframe", "object", "embed", "svg", "math", "base", "form"):
                src = node.attributes.get("src") or ""
                assert node.tag == "script" and src.endswith(".js") and not node.text(), (
                    f"{page}: <{node.tag}>"
                )
        meta = doc.css('meta[http-equiv="refresh"]')
        assert not meta, page


def test_hostile_text_arrives_as_text(hostile_site):
    _, root = hostile_site
    html = (root / "output" / NAME / "1" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "window.__pwned=2" not in html  # a real <script> element in a message is dropped


def test_hashtags_never_make_folders_outside_the_tag_pages(hostile_site):
    _, root = hostile_site
    tags = root / "output" / NAME / "tags"
    for path in tags.rglob("*"):
        assert ".." not in path.relative_to(tags).parts
        assert len(path.name.encode()) <= 255
    assert (tags / "tag" / "index.html").is_file()  # #Tag, #tag and #TAG share one page


@pytest.mark.parametrize(
    "raw",
    ["../etc", "../../../../tmp/x", "/etc/passwd", "a\x00b", "%2e%2e", "%2e%2e%2fetc", "..%2f..%2fetc",
     "x" * 300, "C:\\Windows", "t.me/s/../../etc", "https://t.me/s/%2e%2e", "name/../../x", "~root", "ёжик"],
)  # fmt: skip
def test_hostile_channel_names_are_refused_before_any_request(raw, tmp_path):
    with pytest.raises(SitegenError):
        normalise_channel(raw)
    before = tree(tmp_path)
    with pytest.raises(SitegenError):
        scrape_channels(Config(root=tmp_path / "p"), [raw])
    assert tree(tmp_path) == before


def test_names_differing_only_in_case_share_one_folder(tmp_path):
    assert {normalise_channel(n) for n in ("Hostile", "HOSTILE", "@hostile", "t.me/s/HoStIlE")} == {NAME}


# --- in Chromium --------------------------------------------------------------------------------------

CSP = "script-src 'self'; object-src 'none'; base-uri 'none'"
FLAG_SCRIPT = """
window.__ran = [];
const mark = (what) => window.__ran.push(what);
for (const name of ['alert', 'confirm', 'prompt', 'print', 'open']) {
  window[name] = () => mark(name);
}
// eval and new Function: the CSP has no 'unsafe-eval', so a call is refused and reported below
// (overriding them here would flag Playwright's own page.evaluate).
document.addEventListener('securitypolicyviolation',
  (e) => mark('csp:' + e.violatedDirective + ' ' + e.blockedURI));
Object.defineProperty(window, '__pwned', { set() { mark('pwned'); }, get() { return undefined; } });
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves output/ with a CSP: an inline or foreign script is refused and reported."""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        super().end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.browser
def test_in_chromium_no_script_runs_on_any_page_or_media_file(hostile_site):
    from playwright.sync_api import sync_playwright

    _, root = hostile_site
    output = root / "output"
    handler = functools.partial(_Handler, directory=str(output))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    targets = [p.relative_to(output).as_posix() for p in sorted(output.rglob("*.html"))]
    targets += [p.relative_to(output).as_posix() for p in sorted(output.rglob("media/**/*")) if p.is_file()]
    flagged: dict[str, list[str]] = {}
    try:
        with sync_playwright() as play:
            browser = play.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page()
            page.add_init_script(FLAG_SCRIPT)
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for target in targets:
                if target.endswith((".mp4", ".ogg", ".webm")):
                    continue
                page.goto(base + target, wait_until="load")
                page.mouse.move(10, 10)
                page.wait_for_timeout(20)
                ran = page.evaluate("window.__ran || []")
                if ran:
                    flagged[target] = ran
            browser.close()
    finally:
        httpd.shutdown()
    assert not dialogs
    assert not flagged, flagged
    assert len(targets) > 10
