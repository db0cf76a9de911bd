"""A corpus of broken and hostile PFOCR files, written for the tests, with the report entry each must produce.

`write_hostile_corpus(folder)` lays it out in the PFOCR site layout (`_figures/`, `_data/`) and returns
(expected problems: file name → reason fragment, figids that must load). Big files are made here, not committed,
and so are the entries git cannot hold: symbolic links, a FIFO, a device, a socket. `write_unreadable_corpus`
adds what only an unprivileged reader meets (permission denied); `as_unprivileged` runs a load as one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import stat
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

import pytest

GENES_HEADER = (
    "organism_id\torganism_name\torganism_group\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\t"
    "count_direct\tcount_synonym\tcount_match\n"
)
SCRIPT = "<script>window.__xss = 1</script>"
IMG = '<img src=x onerror="window.__xss = 2">'
XSS_FIGURE = "PMC9000001__xss-f1"
LINKS_FIGURE = "PMC9000002__links-f2"


def record(figid: str, extra: str = "", year: str = "'2015'") -> str:
    return (
        f"---\nfigid: {figid}\npmcid: {figid.split('__')[0]}\nfigtitle: Good figure {figid}\nyear: {year}\n"
        f"organisms: Homo sapiens\nfiglink: /pmc/articles/{figid.split('__')[0]}/figure/F1/\n{extra}---\n"
    )


def gene_rows(*rows: tuple[str, str, str]) -> str:
    return "".join(f"9606\tHomo sapiens\tPrimates\t{w}\t{w}\t{s}\t{i}\tncbigene_symbol\t1\t1\t1\n" for w, s, i in rows)


def alias_bomb(levels: int = 9) -> str:
    """A "billion laughs" record: each level an anchored list of ten aliases of the one before (10**levels nodes
    once expanded), about 60 bytes a level."""
    lines = ["---", "figid: PMC1__bomb", 'l0: &l0 ["lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join([*lines, "---", ""])


def write_special_files(figures: Path, data: Path, expected: dict[str, str]) -> list[str]:
    """Entries that are not regular files, or links that lead nowhere or back; returns the figids that still load."""
    (figures / "self").symlink_to(".", target_is_directory=True)  # a folder link that contains itself
    expected["self"] = "symbolic link to a folder already read"
    outside = figures.parent / "linked-records"  # outside the two folders read: reached through a link only
    outside.mkdir()
    (outside / "PMC1__linked.md").write_text(record("PMC1__linked"))
    (figures / "linked").symlink_to(outside, target_is_directory=True)
    (figures / "PMC1__dangling.md").write_text(record("PMC1__dangling"))
    (data / "PMC1__dangling-genes.tsv").symlink_to(data / "no-such-file.tsv")
    expected["PMC1__dangling-genes.tsv"] = "broken symbolic link"
    (figures / "loop.md").symlink_to("loop.md")
    expected["loop.md"] = "Too many levels of symbolic links"
    os.mkfifo(figures / "fifo.md")
    expected["fifo.md"] = "not a regular file (a FIFO)"
    (figures / "PMC1__fifo.md").write_text(record("PMC1__fifo"))
    os.mkfifo(data / "PMC1__fifo-genes.tsv")
    expected["PMC1__fifo-genes.tsv"] = "not a regular file (a FIFO)"
    try:  # a device node where one may be made (root), else a link to one
        os.mknod(figures / "device.md", 0o644 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        (figures / "device.md").symlink_to("/dev/null")
    expected["device.md"] = "not a regular file (a character device)"
    with socket.socket(socket.AF_UNIX) as server, contextlib.chdir(figures):
        server.bind("socket.md")  # a relative name: a socket's path may not be longer than 107 bytes
    expected["socket.md"] = "not a regular file (a socket)"
    return ["PMC1__linked", "PMC1__dangling", "PMC1__fifo"]


def write_hostile_corpus(folder: Path) -> tuple[dict[str, str], list[str]]:
    figures = folder / "_figures"
    data = folder / "_data"
    figures.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}

    def bad(name: str, content: str | bytes, reason: str, where: Path = figures) -> None:
        path = where / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        expected[name] = reason

    bad("invalid-yaml.md", "---\nfigid: PMC1__a\ncaption: [unclosed\n---\n", "invalid YAML")
    bad("no-closing.md", "---\nfigid: PMC1__b\ncaption: never closed\n", "front matter is not closed")
    bad("empty.md", "", "empty file")
    bad("binary.md", bytes(range(256)) * 4, "binary file")
    bad("latin1.md", "---\nfigid: PMC1__c\ncaption: caf\xe9 cr\xe8me\n---\n".encode("latin-1"), "not UTF-8")
    bad("huge-caption.md", record("PMC1__huge", f"caption: {'x' * 10_000_000}\n"), "caption is 10,000,000 characters")
    bad("no-figid.md", "---\nfigtitle: a figure with no id\n---\n", "no figid")
    bad("figid-not-string.md", "---\nfigid:\n  nested: mapping\n---\n", "figid is a dict, not a string")
    bad("year-abc.md", record("PMC1__year", year="abc"), "year 'abc' is not a year")
    bad(
        "organisms-number.md",
        record("PMC1__org").replace("organisms: Homo sapiens", "organisms: 42"),
        "organisms holds a number",
    )
    bad("genes-not-list.md", record("PMC1__genes", "genes: TP53\n"), "genes is not a list")
    bad(
        "gene-no-id.md",
        record("PMC1__noid", "genes:\n- word: TP53\n  hgnc_symbol: TP53\n"),
        "1 gene entry without an NCBI Gene id",
    )
    bad("no-front-matter.md", "# Just a markdown page\n\nNo front matter here.\n", "no front matter")
    bad("not-a-mapping.md", "---\n- a\n- list\n---\n", "not a mapping")
    bad("bad-figid.md", "---\nfigid: <script>alert(1)</script> x\n---\n", "not a valid figure id")
    bad(
        "javascript-link.md",
        record("PMC1__js").replace("figlink: /pmc", "figlink: javascript:alert(1)//pmc"),
        "is not a PMC figure link",
    )
    (figures / "PMC1__tsv.md").write_text(record("PMC1__tsv"))
    bad("PMC1__tsv-genes.tsv", "word\tmatch\nTP53\tTP53\n", "genes TSV lacks column", data)
    (figures / "PMC1__ragged.md").write_text(record("PMC1__ragged"))
    bad(
        "PMC1__ragged-genes.tsv",
        GENES_HEADER + gene_rows(("TP53", "TP53", "7157")) + "9606\textra\tcells\t1\n",
        "1 row(s) with the wrong number of cells",
        data,
    )
    bad(
        "PMC404__absent-genes.tsv",
        GENES_HEADER + gene_rows(("TP53", "TP53", "7157")),
        "side file for figure PMC404__absent, which has no record file",
        data,
    )
    (figures / "a-first.md").write_text(record("PMC1__dup"))
    bad("b-duplicate.md", record("PMC1__dup"), "duplicate figid PMC1__dup")
    # YAML that no valid record needs and that would stop a naive loader.
    bad("key-is-list.md", record("PMC1__key", "[a, b]: c\n"), "a key at line 8 is a list or mapping")
    bad("key-is-mapping.md", record("PMC1__map", "? {a: b}\n: c\n"), "a key at line 8 is a list or mapping")
    bad("recursive-alias.md", record("PMC1__rec", "x: &a [*a]\n"), "aliases are not allowed")
    bad("alias-bomb.md", alias_bomb(), "aliases are not allowed")
    bad("deep-nesting.md", record("PMC1__deep", f"x: {'[' * 100_000}{']' * 100_000}\n"), "nested more than 100")
    bad("node-flood.md", record("PMC1__flood", f"x: [{'a,' * 250_000}a]\n"), "more than 200,000 YAML nodes")
    special = write_special_files(figures, data, expected)

    # Hostile but valid: markup and scripts in every text field, links with other schemes.
    (figures / f"{XSS_FIGURE}.md").write_text(
        "---\n"
        f"figid: {XSS_FIGURE}\npmcid: PMC9000001\nfilename: xss.jpg\nyear: '2021'\n"
        f"figtitle: '{SCRIPT} title'\n"
        f"caption: '{IMG} caption with **markdown** [a link](javascript:alert(1)) and &lt;b&gt;entities&lt;/b&gt;'\n"
        f"papertitle: '{SCRIPT} paper'\nreftext: '{IMG} et al.'\n"
        "organisms:\n- <b>Homo sapiens</b>\n"
        "figlink: /pmc/articles/PMC9000001/figure/F1/\n"
        "ndex: javascript:alert(1)\ndoi: javascript:alert(1)\n"
        "genes:\n"
        f"- word: '{IMG}'\n  symbol: TP53\n  source: hgnc_symbol\n  hgnc_symbol: TP53\n  entrez: '7157'\n"
        f"- word: MDM2\n  symbol: MDM2\n  source: hgnc_symbol\n  hgnc_symbol: '{SCRIPT}'\n  entrez: '4193'\n"
        "---\n"
    )
    (figures / f"{LINKS_FIGURE}.md").write_text(record(LINKS_FIGURE, "ndex: 0a8c15d8-df03-11ea-99da-0ac135e8bacf\n"))
    (data / f"{LINKS_FIGURE}-genes.tsv").write_text(GENES_HEADER + gene_rows(("p53", "TP53", "7157")))
    loads = [
        XSS_FIGURE,
        LINKS_FIGURE,
        "PMC1__huge",
        "PMC1__year",
        "PMC1__org",
        "PMC1__genes",
        "PMC1__noid",
        "PMC1__js",
        "PMC1__tsv",
        "PMC1__ragged",
        "PMC1__dup",
        *special,
    ]
    return expected, loads


def write_unreadable_corpus(folder: Path) -> tuple[dict[str, str], list[str]]:
    """A good record beside a record, a side file and a folder that nobody but root may read."""
    figures, data = folder / "_figures", folder / "_data"
    (figures / "locked").mkdir(parents=True)
    data.mkdir()
    (figures / "PMC2__good.md").write_text(record("PMC2__good"))
    (figures / "locked" / "PMC2__hidden.md").write_text(record("PMC2__hidden"))
    (figures / "unreadable.md").write_text(record("PMC2__unreadable"))
    (data / "PMC2__good-genes.tsv").write_text(GENES_HEADER + gene_rows(("p53", "TP53", "7157")))
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    for path in (figures / "unreadable.md", data / "PMC2__good-genes.tsv", figures / "locked"):
        path.chmod(0)
    expected = {
        "unreadable.md": "cannot read the file: Permission denied",
        "PMC2__good-genes.tsv": "cannot read the file: Permission denied",
        "locked": "cannot list the folder: Permission denied",
    }
    return expected, ["PMC2__good"]


NOBODY = 65534


def _drop_privileges() -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


@contextlib.contextmanager
def shared_temporary_folder() -> Iterator[Path]:
    """A temporary folder that the `nobody` user can reach (pytest's own are private to their owner)."""
    folder = Path(tempfile.mkdtemp(prefix="pfocr-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o700)
        shutil.rmtree(folder)


def as_unprivileged(function: Callable, *args):
    """Call `function(*args)` where file permissions hold: here if we are not root, else in a forked child that
    has given up root for the `nobody` user (root reads any file whatever its mode). What it touches must be
    reachable by that user, and its result picklable."""
    if os.geteuid() != 0:
        return function(*args)
    with ProcessPoolExecutor(1, mp_context=get_context("fork"), initializer=_drop_privileges) as pool:
        try:
            assert pool.submit(os.geteuid).result() == NOBODY
        except BrokenProcessPool:  # the initializer failed: root without the capability to change user
            pytest.skip("running as root, which may read every file, and not allowed to become another user")
        return pool.submit(function, *args).result()
