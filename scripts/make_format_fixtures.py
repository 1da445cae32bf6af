"""Write fixtures/formats/ (one set of fictional stories in every supported input format, plus
hostile files) and fixtures/formats-plain/ (the same documents as plain .txt files).

``fixtures/formats-manifest.json`` maps each document id found in fixtures/formats/ to its plain
twin, so a test can check that both scans give the same clusters. Deterministic: run it again
and nothing changes. All outlets, people and places are invented.

    python scripts/make_format_fixtures.py
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "formats"
PLAIN = ROOT / "fixtures" / "formats-plain"
MANIFEST = ROOT / "fixtures" / "formats-manifest.json"

FERRY_TITLE = "Gull Bay ferry fares frozen for another year"
FERRY = [
    "The Gull Bay harbour board voted on Tuesday to keep ferry fares at their current level "
    "for a second year, saying island households had already absorbed sharp rises in fuel and "
    "food prices.",
    "Board chair Marta Quillon said the decision would cost the ferry service about 140,000 "
    "crowns in lost revenue, which would be covered from a reserve built up during the years "
    "of strong summer tourism. “Nobody on Little Tern should have to choose between the boat "
    "and the shopping,” she said.",
    "Commuters who cross to the mainland every morning welcomed the freeze. Odile Varga, who "
    "runs a small café beside the Little Tern landing, said the early sailing was the only way "
    "her staff could reach work and that a fare rise would have closed her doors by winter.",
    "The board also approved a study of a third daily sailing on weekdays, to be presented "
    "in the autumn, and agreed to publish the ferry’s monthly passenger numbers online.",
]
#: One closing sentence per copy, so the copies are near, not exact, duplicates.
FERRY_ENDINGS = {
    "html": "The next board meeting is on the first Tuesday of next month.",
    "rss": "Fares for cars and bicycles were also left unchanged.",
    "atom": "A public hearing on the third sailing will be held in the school hall.",
    "json": "Season tickets remain on sale at the harbour office.",
    "csv": "The reserve still holds enough for two more years of frozen fares.",
    "jsonl": "Island councillors are expected to back the study next week.",
    "bz2": "The service carried just over 300,000 passengers last year.",
    "warc": "Timetables for the summer season will be published in May.",
    "cp1252": "Ms Quillon said the board would review fares again next spring.",
    "utf16": "The ferry union said it supported the freeze.",
}

LIBRARY_TITLE = "Maple Hollow library to open on Sunday afternoons"
LIBRARY = [
    "The Maple Hollow public library will open on Sunday afternoons from next month, the town "
    "council decided on Monday, after a petition signed by more than 900 residents asked for "
    "weekend hours that suit working parents and students.",
    "Head librarian Corin Ashdale said two part-time assistants would be hired and that the "
    "reading room, the children's corner and the computer desks would all be staffed between "
    "one and five o'clock. Volunteers from the Friends of the Library will run a homework club.",
    "Councillor Ines Brack, who voted against the plan, said she supported longer hours but "
    "wanted the cost of heating the old building on Sundays to be checked first.",
]
LIBRARY_ENDINGS = {
    "rss": "The trial will run for six months.",
    "json": "A review of visitor numbers is planned for the spring.",
    "csv": "The council will review the Sunday trial after six months.",
    "warc": "Borrowers can already renew books online at any hour.",
}

ORCHARD_TITLE = "Cider apple harvest in Brindle Vale is the smallest in a decade"
ORCHARD = [
    "Growers in Brindle Vale picked the smallest cider apple harvest in ten years this autumn, "
    "after a late frost in April killed blossom across the valley's older orchards.",
    "Pressing houses said they would buy fruit from neighbouring counties to keep their lines "
    "running, and at least one small cidery said it would skip its vintage blend entirely.",
]
ORCHARD_ENDINGS = {
    "atom": "Growers' co-operative figures will be published in December.",
    "jsonl": "Growers hope that a mild spring will bring a better crop next year.",
}

BRIDGE_TITLE = "Footbridge over the Wren River reopens after repairs"
BRIDGE = [
    "The footbridge over the Wren River at Osterby reopened on Friday after eleven weeks of "
    "repairs to its timber deck and railings, restoring the shortest walking route between the "
    "railway station and the market square.",
    "Engineers replaced forty rotten planks and added non-slip strips for winter. The work cost "
    "less than expected because the steel frame needed no repair.",
]

PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>{title} | Gull Bay Courier</title>
<meta property="og:site_name" content="Gull Bay Courier">
<meta property="og:title" content="{title}">
<meta name="date" content="2024-03-05">
<link rel="canonical" href="https://courier.gullbay.example/news/ferry-fares-frozen">
<style>.promo {{ color: red }} /* STYLE_MARKER */</style>
<script>var TRACKING_SCRIPT_MARKER = "do-not-index"; window.ads = [];</script>
</head><body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a>
<a href="/weather">Weather</a> <a href="/subscribe">Subscribe</a></nav></header>
<!-- EDITOR_COMMENT_MARKER: check the fare figures with the board -->
<main><article>
<h1>{title}</h1>
<p class="byline">By the Courier newsroom</p>
{paragraphs}
</article>
<aside><h2>Most read</h2><ul><li><a href="/a">Harbour seals return to the breakwater</a></li>
<li><a href="/b">Lighthouse open day draws record crowd</a></li></ul></aside></main>
<script>console.log("TRACKING_SCRIPT_MARKER loaded");</script>
<footer><p>© Gull Bay Courier. All rights reserved.</p></footer>
</body></html>
"""


def story(paragraphs: list[str], ending: str) -> str:
    return "\n\n".join([*paragraphs, ending])


def write_warc_record(writer, serial: int, uri: str, kind: str, payload: bytes, http=None) -> None:
    """One WARC record with a fixed id and date, so the files are the same on every run.

    Passing the length keeps warcio from spooling the payload to a temporary file it never
    closes.
    """
    headers = {
        "WARC-Record-ID": f"<urn:uuid:00000000-0000-4000-8000-{serial:012d}>",
        "WARC-Date": "2024-03-07T12:00:00Z",
    }
    writer.write_record(
        writer.create_warc_record(
            uri,
            kind,
            payload=io.BytesIO(payload),
            length=len(payload),
            http_headers=http,
            warc_headers_dict=headers,
        )
    )


def html_page(title: str, body: str, site: str = "Gull Bay Courier") -> str:
    paragraphs = "\n".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    return PAGE.format(title=title, paragraphs=paragraphs).replace("Gull Bay Courier", site)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def html_escaped(body: str) -> str:
    """Body as escaped HTML paragraphs, as feeds carry it."""
    return escape("".join(f"<p>{p}</p>" for p in body.split("\n\n")))


class Fixtures:
    def __init__(self) -> None:
        self.manifest: dict[str, str] = {}

    def plain(self, doc_id: str, name: str, title: str, body: str) -> None:
        (PLAIN / name).write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        self.manifest[doc_id] = name

    def write(self) -> None:
        for folder in (OUT, PLAIN):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        self.html()
        self.rss()
        self.atom()
        self.json_array()
        self.csv()
        self.jsonl_gz()
        self.text_files()
        self.warc()
        self.hostile()
        MANIFEST.write_text(json.dumps(self.manifest, indent=2, sort_keys=True) + "\n")

    def html(self) -> None:
        body = story(FERRY, FERRY_ENDINGS["html"])
        (OUT / "courier-ferry.html").write_text(html_page(FERRY_TITLE, body), encoding="utf-8")
        self.plain("courier-ferry.html", "ferry-html.txt", FERRY_TITLE, body)

    def rss(self) -> None:
        ferry = story(FERRY, FERRY_ENDINGS["rss"])
        library = story(LIBRARY, LIBRARY_ENDINGS["rss"])
        items = [
            ("urn:tidewater:ferry-fares", FERRY_TITLE, ferry, "Tue, 05 Mar 2024 09:30:00 GMT"),
            (
                "urn:tidewater:library-sundays",
                LIBRARY_TITLE,
                library,
                "Mon, 04 Mar 2024 17:00:00 GMT",
            ),
        ]
        xml = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<rss version="2.0"><channel>',
            "<title>Tidewater Daily</title><link>https://tidewater.example/</link>",
            "<description>News from the Tidewater coast</description>",
        ]
        for guid, title, body, date in items:
            xml.append(
                f'<item><guid isPermaLink="false">{guid}</guid><title>{escape(title)}</title>'
                f"<link>https://tidewater.example/{guid.rsplit(':', 1)[1]}</link>"
                f"<pubDate>{date}</pubDate><description>{html_escaped(body)}</description></item>"
            )
        xml.append("</channel></rss>")
        (OUT / "tidewater.rss").write_text("\n".join(xml) + "\n", encoding="utf-8")
        self.plain(items[0][0], "ferry-rss.txt", FERRY_TITLE, ferry)
        self.plain(items[1][0], "library-rss.txt", LIBRARY_TITLE, library)

    def atom(self) -> None:
        ferry = story(FERRY, FERRY_ENDINGS["atom"])
        orchard = story(ORCHARD, ORCHARD_ENDINGS["atom"])
        entries = [
            ("tag:coastwire.example,2024:ferry", FERRY_TITLE, ferry, "2024-03-05T10:00:00Z"),
            ("tag:coastwire.example,2024:orchard", ORCHARD_TITLE, orchard, "2024-10-12T08:00:00Z"),
        ]
        xml = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>Coast Wire</title>',
            "<id>tag:coastwire.example,2024:feed</id><updated>2024-10-12T08:00:00Z</updated>",
        ]
        for entry_id, title, body, date in entries:
            xml.append(
                f"<entry><id>{entry_id}</id><title>{escape(title)}</title>"
                f"<published>{date}</published><updated>{date}</updated>"
                f'<content type="html">{html_escaped(body)}</content></entry>'
            )
        xml.append("</feed>")
        # .xml, not .atom: the reader has to recognise the feed by its content.
        (OUT / "coastwire-atom.xml").write_text("\n".join(xml) + "\n", encoding="utf-8")
        self.plain(entries[0][0], "ferry-atom.txt", FERRY_TITLE, ferry)
        self.plain(entries[1][0], "orchard-atom.txt", ORCHARD_TITLE, orchard)

    def json_array(self) -> None:
        ferry = story(FERRY, FERRY_ENDINGS["json"])
        library = story(LIBRARY, LIBRARY_ENDINGS["json"])
        records = [
            {
                "id": "harbourlight-ferry",
                "headline": FERRY_TITLE,
                "body": ferry,
                "source": {"id": "hl", "name": "Harbour Light"},
                "publishedAt": "2024-03-05T11:00:00Z",
            },
            {
                "id": "harbourlight-library",
                "headline": LIBRARY_TITLE,
                "body": library,
                "source": {"id": "hl", "name": "Harbour Light"},
                "publishedAt": "2024-03-04T18:00:00Z",
            },
        ]
        (OUT / "harbourlight-api.json").write_text(
            json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        self.plain("harbourlight-ferry", "ferry-json.txt", FERRY_TITLE, ferry)
        self.plain("harbourlight-library", "library-json.txt", LIBRARY_TITLE, library)

    def csv(self) -> None:
        rows = [
            ("pp-1", FERRY_TITLE, story(FERRY, FERRY_ENDINGS["csv"]), "ferry-csv.txt"),
            ("pp-2", LIBRARY_TITLE, story(LIBRARY, LIBRARY_ENDINGS["csv"]), "library-csv.txt"),
            ("pp-3", BRIDGE_TITLE, "\n\n".join(BRIDGE), "bridge-csv.txt"),
        ]
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["id", "title", "content", "source", "date"])
        for doc_id, title, body, _ in rows:
            writer.writerow([doc_id, title, body, "Pelican Post", "2024-03-06"])
        (OUT / "pelican-post.csv").write_text(out.getvalue(), encoding="utf-8")
        for doc_id, title, body, plain in rows:
            self.plain(doc_id, plain, title, body)

    def jsonl_gz(self) -> None:
        ferry = story(FERRY, FERRY_ENDINGS["jsonl"])
        orchard = story(ORCHARD, ORCHARD_ENDINGS["jsonl"])
        lines = [
            {"id": "scraper-0001", "title": FERRY_TITLE, "text": ferry, "source": "Shoreline"},
            {"id": "scraper-0002", "title": ORCHARD_TITLE, "text": orchard, "source": "Shoreline"},
        ]
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines).encode()
        (OUT / "scraper-dump.jsonl.gz").write_bytes(gzip.compress(data, mtime=0))
        self.plain("scraper-0001", "ferry-jsonl.txt", FERRY_TITLE, ferry)
        self.plain("scraper-0002", "orchard-jsonl.txt", ORCHARD_TITLE, orchard)

    def text_files(self) -> None:
        for key, name, encode in (
            ("bz2", "island-news-ferry.txt.bz2", lambda t: bz2.compress(t.encode("utf-8"))),
            ("cp1252", "legacy-cp1252-ferry.txt", lambda t: t.encode("cp1252")),
            ("utf16", "windows-utf16-ferry.txt", lambda t: t.encode("utf-16")),
        ):
            body = story(FERRY, FERRY_ENDINGS[key])
            (OUT / name).write_bytes(encode(f"{FERRY_TITLE}\n\n{body}\n"))
            self.plain(name, f"ferry-{key}.txt", FERRY_TITLE, body)

    def warc(self) -> None:
        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter

        ferry = story(FERRY, FERRY_ENDINGS["warc"])
        library = story(LIBRARY, LIBRARY_ENDINGS["warc"])
        pages = [
            ("https://bayside.example/ferry", FERRY_TITLE, ferry, "ferry-warc.txt"),
            ("https://bayside.example/library", LIBRARY_TITLE, library, "library-warc.txt"),
        ]
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        serial = 0

        def record(uri, kind, payload, http=None):
            nonlocal serial
            serial += 1
            write_warc_record(writer, serial, uri, kind, payload, http)

        for uri, title, body, plain in pages:
            html = html_page(title, body, site="Bayside Bulletin").encode("utf-8")
            record(uri, "request", b"GET / HTTP/1.1\r\nHost: bayside.example\r\n\r\n")
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            record(uri, "response", html, http)
            self.plain(uri, plain, title, body)
        logo = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        record("https://bayside.example/logo.png", "response", b"\x89PNG\r\n\x1a\n", logo)
        (OUT / "bayside-crawl.warc.gz").write_bytes(buffer.getvalue())

    def hostile(self) -> None:
        laughs = ['<?xml version="1.0"?>', "<!DOCTYPE rss [", ' <!ENTITY lol "lol">']
        for level in range(1, 10):
            laughs.append(f' <!ENTITY lol{level} "' + f"&lol{level - 1 or ''};" * 10 + '">')
        laughs += [
            "]>",
            '<rss version="2.0"><channel><title>Laughs</title>',
            "<item><title>&lol9;</title><description>&lol9;</description></item>",
            "</channel></rss>",
        ]
        (OUT / "billion-laughs.xml").write_text("\n".join(laughs) + "\n", encoding="utf-8")
        (OUT / "xxe.xml").write_text(
            '<?xml version="1.0"?>\n<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n'
            '<rss version="2.0"><channel><title>Leak</title><item><guid>x</guid>'
            "<title>Leak</title><description>&xxe;</description></item></channel></rss>\n",
            encoding="utf-8",
        )
        # 64 MiB of spaces in ~64 KB: larger than the default --max-file-size once decompressed.
        bomb = io.BytesIO()
        with gzip.GzipFile(fileobj=bomb, mode="wb", mtime=0, compresslevel=9) as handle:
            chunk = b" " * (1 << 20)
            for _ in range(64):
                handle.write(chunk)
        (OUT / "bomb.txt.gz").write_bytes(bomb.getvalue())
        whole = gzip.compress(f"{BRIDGE_TITLE}\n\n{' '.join(BRIDGE * 20)}\n".encode(), mtime=0)
        (OUT / "truncated.txt.gz").write_bytes(whole[: len(whole) // 2])


if __name__ == "__main__":
    Fixtures().write()
    print(f"wrote {OUT.relative_to(ROOT)}, {PLAIN.relative_to(ROOT)}, {MANIFEST.relative_to(ROOT)}")
