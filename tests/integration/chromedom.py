"""The DOM real headless Chromium builds for a page, after the page's own script ran, as a small tree to
query: Chromium's --dump-dom, parsed with Python's html.parser (the HTML tests of triage's reports)."""
import html.parser
import pathlib
import shutil
import subprocess

CHROMIUM = shutil.which("chromium")


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.kids, self.parts = tag, dict(attrs), parent, [], []

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def all(self):
        yield self
        for k in self.kids:
            yield from k.all()

    def find(self, tag=None, cls=None, **attrs):
        """The nodes under this one (itself included) of that tag, class and attributes (data_x: data-x)."""
        return [n for n in self.all() if (tag is None or n.tag == tag) and (cls is None or cls in n.classes()) and
                all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def alltext(self):
        """The text as the source holds it."""
        return "".join(p if isinstance(p, str) else p.alltext() for p in self.parts)

    def text(self):
        """The text as shown: a <br> is a line break."""
        return "".join(p if isinstance(p, str) else ("\n" if p.tag == "br" else p.text()) for p in self.parts)


class Dom(html.parser.HTMLParser):
    VOID = {"meta", "br", "input", "img", "link", "hr"}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.root = self.cur = Node("#root", {}, None)
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.kids.append(n)
        self.cur.parts.append(n)
        if tag not in self.VOID:
            self.cur = n

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.parts.append(data)


def chromium_dom(check, flags, path, fragment=""):
    """Chromium's DOM of the file at path (with an address fragment, e.g. '#filter=...'), checked to open."""
    path = pathlib.Path(path)
    r = subprocess.run([CHROMIUM, *flags, "--dump-dom", path.resolve().as_uri() + fragment],
                       capture_output=True, text=True, timeout=180)
    check(r.returncode == 0 and "</html>" in r.stdout, f"Chromium opens {path.name}{fragment}")
    return Dom(r.stdout).root
