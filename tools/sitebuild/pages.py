"""The reading half of the site: the notebooks with their committed outputs, the docs, the home page, search.

Notebooks go through nbconvert's JupyterLab template (their outputs exactly as committed, the chat
views included), Markdown through mistune (the parser nbconvert uses). Links between the
repository's files are rewritten to the pages made from them; links to other files in the
repository go to the repository's home; pictures from other hosts become their text, so a page
asks nothing of the internet.
"""

import html
import json
import posixpath
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import mistune
import nbformat
import tinycss2
from markupsafe import Markup
from mistune.plugins.table import render_table_cell
from nbconvert import HTMLExporter
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from tools.links import Links, read_project

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
DOCS = ("instructor-guide", "troubleshooting", "cheat-sheet")

#: What needs a real Python, for the notebooks that cannot run fully in Pyodide (no threads, sockets
#: or processes there); every other notebook runs in the browser from top to bottom.
NEEDS_REAL_PYTHON = {
    "01": "Every cell runs in your browser; its local servers answer inside the page (no sockets "
    "there), so their addresses differ from the ones shown here.",
    "04": "Runs in your browser, except the tunnel and your Twilio number (pyngrok), which say "
    "they need a real Python; the simulator's part runs.",
    "07": "Runs in your browser, except gunicorn's workers, which say they need a real Python.",
}
RUNS_IN_BROWSER = "Every cell runs in your browser."


@dataclass(frozen=True)
class Notebook:
    """One notebook of the series, as the home page lists it."""

    number: str
    title: str
    path: Path
    what: str
    time: str

    @property
    def page(self):
        """Its page, relative to the site's root."""
        return f"notebooks/{self.path.stem}.html"


def links():
    """The project's Binder and Colab addresses, from pyproject.toml's [project.urls] and version."""
    return Links(*read_project(ROOT))


def repository():
    """owner/name of the project's public home."""
    return links().slug


def series(source=ROOT):
    """The notebooks with their titles, what each teaches and their times (notebook 00's table)."""
    notebooks = sorted((source / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    start = nbformat.read(notebooks[0], as_version=4)
    table = "\n".join(c.source for c in start.cells if c.cell_type == "markdown")
    table += "\n" + (source / "README.md").read_text(encoding="utf-8")
    rows = {}
    pattern = r"^\|\s*(\d\d)\s*\|\s*\[([^\]]+)\]\(([^)]+)\)\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|"
    for number, title, _, what, time in re.findall(pattern, table, flags=re.M):
        rows.setdefault(number, (title, what, time))
    result = []
    for path in notebooks:
        number = path.name[:2]
        title, what, time = rows.get(number, (None, "", ""))
        if title is None:
            nb = nbformat.read(path, as_version=4)
            title = next(c.source for c in nb.cells if c.cell_type == "markdown").split("\n")[0]
            title = title.lstrip("# ").strip()
        result.append(Notebook(number, title, path, what, time))
    return result


def rewrite_links(text, source_dir, page_dir, repo):
    """Point links between the repository's files at their pages; drop pictures from other hosts."""

    def target(match):
        href = html.unescape(match.group(2))
        if re.search(r"\bdownload\b", match.group(1)):  # the file itself, not its page
            return match.group(0)
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", href, flags=re.I):
            return match.group(0)
        path, _, fragment = href.partition("#")
        resolved = posixpath.normpath(posixpath.join(source_dir, path))
        if resolved.startswith("notebooks/") and resolved.endswith(".ipynb"):
            new = resolved.removesuffix(".ipynb") + ".html"
        elif resolved.startswith("docs/") and resolved.endswith(".md"):
            new = resolved.removesuffix(".md") + ".html"
        elif resolved == "README.md":
            new = "index.html"
        elif (ROOT / resolved).exists():
            kind = "tree" if (ROOT / resolved).is_dir() else "blob"
            return f'{match.group(1)}"https://github.com/{repo}/{kind}/main/{resolved}"'
        else:
            return match.group(0)
        new = posixpath.relpath(new, page_dir or ".")
        if fragment:
            new += "#" + fragment
        return f'{match.group(1)}"{html.escape(new)}"'

    text = re.sub(r'(<a\b[^>]*?\bhref=)"([^"]*)"', target, text)

    def picture(match):
        alt = re.search(r'\balt="([^"]*)"', match.group(0))
        return f'<span class="site-badge">{alt.group(1) if alt else "link"}</span>'

    return re.sub(r'<img\b[^>]*\bsrc="https?://[^"]*"[^>]*>', picture, text)


def launch_links(notebook, repo):
    """Run in your browser, Binder, Colab and download, relative to the notebook's page."""
    name = notebook.path.name
    return {
        "lite_url": f"../lite/lab/index.html?path={name}",
        "binder_url": links().binder(f"notebooks/{name}"),
        "colab_url": links().colab(f"notebooks/{name}"),
        "download": name,
        "where": NEEDS_REAL_PYTHON.get(notebook.number, RUNS_IN_BROWSER),
    }


def notebook_pages(notebooks, repo):
    """{page path: html} for every notebook, with prev/index/next."""
    exporter = HTMLExporter(
        template_name="notebook",
        extra_template_basedirs=[str(TEMPLATES)],
        mermaid_js_url="",
        exclude_anchor_links=False,
    )
    pages = {}
    for i, notebook in enumerate(notebooks):
        nb = nbformat.read(notebook.path, as_version=4)
        nb.metadata["title"] = f"{notebook.number} · {notebook.title} · sms-cookies"
        pager = {
            "prev": i
            and {"href": Path(notebooks[i - 1].page).name, "label": label(notebooks[i - 1])},
            "next": i + 1 < len(notebooks)
            and {"href": Path(notebooks[i + 1].page).name, "label": label(notebooks[i + 1])},
        }
        site = {
            "root": "../",
            "description": notebook_description(nb, notebook),
            **launch_links(notebook, repo),
            **pager,
        }
        drop_notebook_pager(nb)
        body, _ = exporter.from_notebook_node(nb, resources={"site": site})
        body = exact_mermaid(body, nb)
        body = scroll_boxes(rewrite_links(body, "notebooks", "notebooks", repo))
        pages[notebook.page] = body
    return pages


#: The prev | Index | next line that ends each notebook; the page has the site's own pager instead.
NOTEBOOK_PAGER = re.compile(
    r"\n+---\n+[^\n]*\[Index\]\(00-start-here\.ipynb#The-series\)[^\n]*\s*$"
)


def drop_notebook_pager(nb):
    """Take the notebook's own prev | Index | next line off its last cell: one pager per page."""
    for cell in reversed(nb.cells):
        if cell.cell_type == "markdown":
            cell.source = NOTEBOOK_PAGER.sub("", cell.source)
            return


def notebook_description(nb, notebook):
    """A notebook page's meta description: its "What you'll build" sentence."""
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    found = re.search(r"\*\*What you'll build:\*\*\s*(.+)", text)
    what = plain(found.group(1)) if found else notebook.what
    return f"{notebook.title}. What you'll build: {what}"


def doc_description(text):
    """A doc page's meta description: its first paragraph, else its title and section headings."""
    title = re.search(r"^#\s+(.+)$", text, flags=re.M).group(1).strip()
    for block in text.split("\n\n")[1:]:
        block = block.strip()
        if block and not re.match(r"[#|`>\-*<!\d]", block):
            return plain(block)
        if block.startswith("#"):
            break  # the first section starts: no lead paragraph
    sections = re.findall(r"^##\s+(.+)$", text, flags=re.M)
    return plain(f"{title}: " + ", ".join(sections) + ".")


def plain(markdown_text, limit=300):
    """Markdown as one line of plain text (for a meta description), cut at a word."""
    text = re.sub(r"<[^>]+>", "", mistune.html(markdown_text))
    text = " ".join(html.unescape(text).split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return text


def scroll_boxes(body):
    """Put every table in a box of its own that scrolls sideways, so the page never does."""
    return re.sub(r"(<table\b.*?</table>)", r'<div class="site-scroll">\1</div>', body, flags=re.S)


#: Classes the site's script gives the notebook pages after they load (site.js).
SCRIPT_CLASSES = {"jp-RenderedMermaid", "site-mermaid-error", "site-diagram"}


def used_css(css, pages_html):
    """JupyterLab's style trimmed to what the pages use: rules for classes no page has, and custom
    properties no kept rule reads, are left out (a notebook page's style drops from 260 to about
    60 kB, and the page paints sooner)."""
    used = SCRIPT_CLASSES | {
        name for found in re.findall(r'class="([^"]*)"', pages_html) for name in found.split()
    }

    def wanted(rule):
        for selector in tinycss2.serialize(rule.prelude).split(","):
            selector = re.sub(r":not\([^)]*\)", "", selector)  # an absent class there still matches
            if all(name in used for name in re.findall(r"\.(-?[_a-zA-Z][\w-]*)", selector)):
                return True
        return False

    def kept(rules):
        for rule in rules:
            if rule.type == "qualified-rule" and wanted(rule):
                yield rule.prelude, tinycss2.parse_blocks_contents(rule.content)
            elif rule.type == "at-rule" and rule.lower_at_keyword == "media" and rule.content:
                inner = list(kept(tinycss2.parse_rule_list(rule.content, True, True)))
                if inner:
                    yield ("@media", rule.prelude), inner

    tree = list(kept(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)))

    def declarations(tree):
        for prelude, body in tree:
            if isinstance(prelude, tuple):
                yield from declarations(body)
            else:
                yield from (d for d in body if d.type == "declaration")

    reads = re.compile(r"var\(\s*(--[\w-]+)")
    defined = {}
    for declaration in declarations(tree):
        if declaration.name.startswith("--"):
            defined.setdefault(declaration.name, []).append(tinycss2.serialize(declaration.value))
    needed = set(reads.findall(pages_html + (STATIC / "site.css").read_text(encoding="utf-8")))
    for declaration in declarations(tree):
        if not declaration.name.startswith("--"):
            needed.update(reads.findall(tinycss2.serialize(declaration.value)))
    pending = list(needed)
    while pending:  # custom properties that read other custom properties
        for value in defined.get(pending.pop(), []):
            for name in reads.findall(value):
                if name not in needed:
                    needed.add(name)
                    pending.append(name)

    def text(tree):
        lines = []
        for prelude, body in tree:
            if isinstance(prelude, tuple):
                lines.append(
                    f"@media {tinycss2.serialize(prelude[1]).strip()} {{\n{text(body)}\n}}"
                )
                continue
            kept = [
                f"  {d.name}: {tinycss2.serialize(d.value).strip()}"
                + (" !important" if d.important else "")
                for d in body
                if d.type == "declaration" and (not d.name.startswith("--") or d.name in needed)
            ]
            if kept:
                lines.append(
                    f"{tinycss2.serialize(prelude).strip()} {{\n" + ";\n".join(kept) + ";\n}"
                )
        return "\n".join(lines)

    return text(tree) + "\n"


def shared_notebook_css(pages, out):
    """Move the JupyterLab style every notebook page inlines into one cached file, linked instead."""
    style = re.compile(r'<style type="text/css">.*?</style>\s*', flags=re.S)
    heads = {path: text.split("</head>", 1)[0] for path, text in pages.items()}
    blocks = {path: style.findall(head) for path, head in heads.items()}
    first = next(iter(blocks.values()))
    if not first or any(found != first for found in blocks.values()):
        return pages  # not the same on every page: leave them inline
    css = "\n".join(re.sub(r"^<style[^>]*>|</style>\s*$", "", block) for block in first)
    css = used_css(css, style.sub("", "\n".join(pages.values())))
    (out / "assets").mkdir(parents=True, exist_ok=True)
    (out / "assets" / "notebook.css").write_text(css, encoding="utf-8")
    link = '<link rel="stylesheet" href="../assets/notebook.css">\n'
    result = {}
    for path, text in pages.items():
        head, rest = text.split("</head>", 1)
        head = style.sub("", head, count=len(first))
        head = re.sub(r"(?=<link\b)", lambda _: link, head, count=1)  # before the site's own CSS
        result[path] = head + "</head>" + rest
    return result


def exact_mermaid(body, nb):
    """Put each diagram's source back exactly as written (escaped), as JupyterLab hands it to mermaid.

    nbconvert writes it unescaped, so the browser reads tags in a label such as <Response> as HTML
    and drops them, with the <br/> line breaks.
    """
    fence = r"^\s*```mermaid\s*\n(.*?)^\s*```\s*$"
    sources = [
        found
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for found in re.findall(fence, cell.source, flags=re.M | re.S)
    ]
    blocks = re.findall(r'<pre class="mermaid">.*?</pre>', body, flags=re.S)
    if len(blocks) != len(sources):
        return body
    remaining = iter(sources)
    return re.sub(
        r'(<pre class="mermaid">).*?(</pre>)',
        lambda m: m.group(1) + html.escape(next(remaining)) + m.group(2),
        body,
        flags=re.S,
    )


def label(notebook):
    """How a notebook is named in links: "03 · Count messages with a session cookie"."""
    return f"{notebook.number} · {notebook.title}"


def slug(text, seen):
    """GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens, made unique."""
    base = re.sub(r"[^\w\- ]", "", re.sub(r"<[^>]+>", "", html.unescape(text)).strip().lower())
    base = base.replace(" ", "-")
    candidate, n = base, 0
    while candidate in seen:
        n += 1
        candidate = f"{base}-{n}"
    seen.add(candidate)
    return candidate


class SiteRenderer(mistune.HTMLRenderer):
    """Markdown as GitHub shows it: heading anchors, highlighted code, Mermaid as a diagram."""

    def __init__(self):
        super().__init__(escape=False)
        self.seen = set()

    def heading(self, text, level, **attrs):
        anchor = slug(text, self.seen)
        return f'<h{level} id="{anchor}">{text}<a class="anchor-link" href="#{anchor}">¶</a></h{level}>\n'

    def link(self, text, url, title=None):
        """A link, except a placeholder address such as https://…/sms, which stays text."""
        if "…" in url or "%E2%80%A6" in url.upper():
            return text
        return super().link(text, url, title)

    def table_cell(self, text, align=None, head=False):
        """A table cell; an empty corner cell of the header row is a plain cell, not a header."""
        if head and not text.strip():
            return "<td></td>\n"
        return render_table_cell(self, text, align=align, head=head)

    def block_code(self, code, info=None):
        language = (info or "").split()[0] if info else ""
        if language == "mermaid":
            return f'<div class="jp-Mermaid"><pre class="mermaid">{html.escape(code)}</pre></div>\n'
        try:
            lexer = get_lexer_by_name(language) if language else TextLexer()
        except ClassNotFound:
            lexer = TextLexer()
        return highlight(code, lexer, HtmlFormatter(cssclass="highlight"))


def markdown(text):
    """Markdown to HTML, GitHub-style."""
    return mistune.create_markdown(
        renderer=SiteRenderer(), plugins=["table", "strikethrough", "url"]
    )(text)


def page(environment, title, body, root, description, scripts=()):
    """A page of the site (home, docs, search) around body."""
    template = environment.get_template("page.html.j2")
    return template.render(
        # body is HTML made here from the repository's own files.
        title=title,
        description=description,
        body=Markup(body),  # noqa: S704
        resources={"site": {"root": root}},
        scripts=scripts,
    )


def doc_pages(environment, repo, source=ROOT):
    """{page path: html} for the instructor guide, troubleshooting and the cheat sheet."""
    pages = {}
    for name in DOCS:
        text = (source / "docs" / f"{name}.md").read_text(encoding="utf-8")
        title = re.search(r"^#\s+(.+)$", text, flags=re.M).group(1).strip()
        body = scroll_boxes(rewrite_links(markdown(text), "docs", "docs", repo))
        pages[f"docs/{name}.html"] = page(environment, title, body, "../", doc_description(text))
    return pages


def home_page(environment, notebooks, repo, source=ROOT):
    """The home page: what the series is, each notebook with its time and what it teaches, the docs."""
    readme = (source / "README.md").read_text(encoding="utf-8")
    lead = readme.split("\n## ")[0].split("\n", 1)[1]
    rows = []
    for nb in notebooks:
        links = launch_links(nb, repo)
        rows.append(
            f"<tr><td>{nb.number}</td>"
            f'<td><a href="{nb.page}">{html.escape(nb.title)}</a></td>'
            f"<td>{mistune.html(nb.what).strip().removeprefix('<p>').removesuffix('</p>')}</td>"
            f"<td>{html.escape(nb.time)}</td>"
            f'<td><a href="lite/lab/index.html?path={nb.path.name}">Run in your browser</a>'
            f'<br><span class="site-where">{html.escape(links["where"])}</span></td></tr>'
        )
    body = f"""
<h1 id="sms-cookies">sms-cookies</h1>
{rewrite_links(markdown(lead), "", "", repo)}
<h2 id="the-series">The series<a class="anchor-link" href="#the-series">¶</a></h2>
<table class="site-series">
<thead><tr><th>#</th><th>Notebook</th><th>What you do</th><th>Time</th><th>In your browser</th></tr></thead>
<tbody>
{"".join(rows)}
</tbody>
</table>
<h2 id="where-it-runs">Where it runs<a class="anchor-link" href="#where-it-runs">¶</a></h2>
<ul>
<li><strong>In your browser, nothing installed:</strong> “Run in your browser” opens the notebook in
JupyterLite, a JupyterLab that runs Python (Pyodide) inside the page. Everything it needs is on this
site, so it works even in a room with no internet. Threads, sockets and processes do not exist there:
a real local server, the ngrok tunnel and gunicorn's workers need a real Python.</li>
<li><strong>Binder:</strong> the series in JupyterLab on mybinder.org, from the repository
(slow to start, sometimes down).</li>
<li><strong>Colab:</strong> one notebook in Google Colab (needs a Google account); its first cell
installs the companion package.</li>
<li><strong>On your machine:</strong> <code>make lab</code> in a clone of the
<a href="https://github.com/{repo}">repository</a>: everything, including going live.</li>
</ul>
<h2 id="teaching-a-workshop">Teaching a workshop<a class="anchor-link" href="#teaching-a-workshop">¶</a></h2>
<ul>
<li><a href="docs/instructor-guide.html">Instructor guide</a>: plans, set-up, the exercises' answers,
and serving this site to a room.</li>
<li><a href="docs/troubleshooting.html">Troubleshooting</a>: each real failure's message, cause and fix.</li>
<li><a href="docs/cheat-sheet.html">Cheat sheet</a>: the cookie flow, the counter, the commands.</li>
</ul>
"""
    title = "Turn separate text messages into a conversation"
    return page(environment, title, scroll_boxes(body), "", plain(lead.split("\n\n")[0].strip()))


def search_page(environment):
    """The search page: the results are found in the browser from the index."""
    body = """
<h1 id="search">Search</h1>
<form class="site-search-big" action="search.html" method="get" role="search"
  aria-label="Search again">
  <input type="search" name="q" id="search-query" aria-label="Search the notebooks and guides">
  <button type="submit">Search</button>
</form>
<p id="search-summary" aria-live="polite"></p>
<ol id="search-results"></ol>
"""
    description = "Search every notebook of sms-cookies, the instructor guide, troubleshooting and the cheat sheet."
    return page(environment, "Search", body, "", description, scripts=("assets/search-index.js",))


class SectionText(HTMLParser):
    """The text of a page's <main>, cut into sections at each heading that has an id."""

    HEADINGS = {"h1", "h2", "h3"}
    SKIP = {"script", "style", "svg"}
    #: What a reader does not search for: JupyterLab's In [n]: / Out[n]: prompts, a diagram's
    #: Mermaid source (the drawing is what they see), the solutions and the Colab-only cell.
    SKIP_CLASSES = {"jp-InputPrompt", "jp-OutputPrompt", "mermaid", "site-solution", "site-colab"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections = []
        self.depth_main = 0
        self.skip_tag = None
        self.skip_depth = 0
        self.heading = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.skip_tag is not None:
            self.skip_depth += tag == self.skip_tag
            return
        classes = set((attrs.get("class") or "").split())
        if tag in self.SKIP or classes & self.SKIP_CLASSES:
            self.skip_tag, self.skip_depth = tag, 1
        elif tag == "main":
            self.depth_main += 1
        elif tag in self.HEADINGS and self.depth_main and attrs.get("id"):
            self.heading = {"id": attrs["id"], "title": "", "text": ""}
            self.sections.append(self.heading)

    def handle_endtag(self, tag):
        if self.skip_tag is not None:
            self.skip_depth -= tag == self.skip_tag
            if not self.skip_depth:
                self.skip_tag = None
        elif tag == "main":
            self.depth_main -= 1
        elif tag in self.HEADINGS:
            self.heading = None
        elif self.depth_main and tag in ("p", "div", "pre", "li", "td", "th", "tr"):
            self.handle_data(" ")  # a block ends: its words do not run into the next block's

    def handle_data(self, data):
        if not self.depth_main or self.skip_tag is not None or not self.sections:
            return
        data = data.replace("¶", "")
        if self.heading is not None:
            self.heading["title"] += data
        else:
            self.sections[-1]["text"] += data


def search_index(pages):
    """One entry per section of every page: its title, where it is and its words."""
    entries = []
    for path, text in sorted(pages.items()):
        parser = SectionText()
        parser.feed(text)
        page_title = re.search(r"<title>(.*?)</title>", text, flags=re.S).group(1)
        page_title = html.unescape(page_title).split(" · sms-cookies")[0]
        for section in parser.sections:
            words = " ".join(section["text"].split())
            entries.append(
                {
                    "page": page_title,
                    "title": " ".join(section["title"].split()),
                    "url": f"{path}#{section['id']}",
                    "text": words[:3000],
                }
            )
    return "window.SMS_COOKIES_SEARCH = " + json.dumps(entries, ensure_ascii=False) + ";\n"


def build_pages(out, source=ROOT):
    """Write every reading page and the search index into out, from the files in source."""
    repo = repository()
    notebooks = series(source)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, keep_trailing_newline=True
    )
    pages = shared_notebook_css(notebook_pages(notebooks, repo), out)
    pages.update(doc_pages(environment, repo, source))
    pages["index.html"] = home_page(environment, notebooks, repo, source)
    for path, text in pages.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text, encoding="utf-8")
    (out / "search.html").write_text(search_page(environment), encoding="utf-8")
    (out / "assets").mkdir(exist_ok=True)
    (out / "assets" / "search-index.js").write_text(search_index(pages), encoding="utf-8")
    (out / "assets" / "pygments.css").write_text(
        HtmlFormatter(cssclass="highlight").get_style_defs(".highlight"), encoding="utf-8"
    )
    for notebook in notebooks:
        (out / "notebooks" / notebook.path.name).write_bytes(notebook.path.read_bytes())
    return sorted([*pages, "search.html"])
