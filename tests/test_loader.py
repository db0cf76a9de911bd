"""Corpus floor: finding, parsing and assembling records into tables, the load report, and the cache."""

from __future__ import annotations

import gc
import logging
import os
import shutil
import sys
import threading
import weakref
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import PLAIN, SEEDS, SITE, write
from hostile import as_unprivileged, shared_temporary_folder

from dashboard.corpus import columns as C
from dashboard.corpus import loader
from dashboard.corpus.cache import load_corpus
from dashboard.corpus.loader import WORD_JUNK, CorpusError, _read_text, discover, parse_file, read_corpus
from dashboard.corpus.records import SIDE_FILE_KINDS, read_tsv, tsv_genes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import make_corpus  # the synthetic corpus generator of the benchmarks

GOOD = "---\nfigid: PMC5__good\npmcid: PMC5\nyear: '2010'\norganisms: Homo sapiens\n---\n"


def test_site_layout_tables(site_tables):
    figures = site_tables.figures.set_index(C.FIGID)
    assert sorted(figures.index) == [
        "PMC1000001__old-f1",
        "PMC1000002__new-f2",
        "PMC1000003__new-f3",
        "PMC1000004__new-f4",
    ]
    assert site_tables.genes[C.GENE_ID].nunique() == 9
    assert len(site_tables.links) == 10
    assert site_tables.skipped_rows == 1  # the histone family placeholder without an NCBI id
    # README.md beside _figures is not a record, and the junk gene entry is the only problem.
    assert [reason for reason in site_tables.problems[C.REASON]] == ["1 gene entry without an NCBI Gene id skipped"]


def test_figure_fields(site_tables):
    figures = site_tables.figures.set_index(C.FIGID)
    old = figures.loc["PMC1000001__old-f1"]
    assert old[C.ORGANISMS].split("\t") == ["Homo sapiens", "Drosophila melanogaster"]
    assert old[C.YEAR] == 2005
    assert old[C.CAPTION] == "TNF signalling: ‘NF‑κB’ activation via p65 — with the receptor's help and β‑catenin."
    assert old[C.FIGURE_URL] == "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1000001/figure/F1/"
    assert old[C.IMAGE_URL] == "https://europepmc.org/articles/PMC1000001/bin/old-f1.jpg"
    assert old[C.NDEX_URL] == "https://www.ndexbio.org/viewer/networks/0a8c15d8-df03-11ea-99da-0ac135e8bacf"
    new = figures.loc["PMC1000002__new-f2"]
    assert new[C.ORGANISMS] == "Mus musculus"
    assert new[C.YEAR] is pd.NA
    assert new[C.DOI_URL] is pd.NA
    assert new[C.KEYWORDS] == "On | signalling"
    assert new[C.CAPTION] == "A block caption with <script>alert(1)</script> in it."
    assert figures.loc["PMC1000003__new-f3", C.FIGURE_URL].endswith("/figure/F3/")
    assert figures.loc["PMC1000003__new-f3", C.DOI_URL] == "https://doi.org/10.1000/plant.3"
    assert figures.loc["PMC1000004__new-f4", C.ORGANISMS] == "Unknown"


def test_links_keep_every_word_and_source(site_tables):
    links = site_tables.links.set_index([C.FIGID, C.GENE_ID])
    tnf = links.loc[("PMC1000001__old-f1", 7124)]
    assert tnf[C.WORDS].split("\t") == ["TNF", "TNFa"]
    assert tnf[C.SOURCES].split("\t") == ["hgnc_symbol", "hgnc_alias_symbol"]
    assert bool(tnf[C.EXACT])
    trp53 = links.loc[("PMC1000002__new-f2", 22059)]
    assert trp53[C.WORDS].split("\t") == ["p53", "Trp53"]  # two rows for p53 collapse into one link
    assert not bool(links.loc[("PMC1000002__new-f2", 7157)][C.EXACT])


def test_yaml_11_words_stay_words(site_tables):
    words = set(site_tables.links[C.WORDS])
    assert {"NO", "On", "0123"} <= words


def test_genes_are_keyed_on_ncbi_id_with_symbol_and_organism(site_tables):
    genes = site_tables.genes.set_index(C.GENE_ID)
    assert genes.loc[7157, C.SYMBOL] == "TP53" and genes.loc[7157, C.N_FIGURES] == 2
    assert genes.loc[22059, C.SYMBOL] == "Trp53" and genes.loc[22059, C.ORGANISM] == "Mus musculus"
    assert genes.loc[6678, C.SYMBOL] == "SPARC" and genes.loc[6678, C.ORGANISM] == "Homo sapiens"
    assert genes.loc[100287, C.SYMBOL] == ""  # an id without a symbol is still a gene


def test_chemicals_and_diseases(site_tables):
    chemicals = site_tables.chemicals
    new = chemicals[chemicals[C.FIGID] == "PMC1000002__new-f2"]
    assert len(new) == 2  # the duplicated NADH row is kept once
    old = chemicals[chemicals[C.FIGID] == "PMC1000001__old-f1"]
    assert old[C.MESH].tolist() == ["mesh:D001839"]
    assert site_tables.diseases[C.NAME].tolist() == ["cancer"]


def test_plain_folder_is_searched_recursively():
    tables = read_corpus([PLAIN])
    assert sorted(tables.figures[C.FIGID]) == ["PMC1000005__deep", "PMC7090164__fcell-08-00089-g002"]
    assert tables.problems.empty


def test_single_file_and_mixed_inputs():
    single = read_corpus([PLAIN / "seed.txt"])
    assert single.figures[C.FIGID].tolist() == ["PMC7090164__fcell-08-00089-g002"]
    assert sorted(single.genes[C.SYMBOL]) == ["EPHA2", "TNFRSF11A", "TNFSF11"]
    mixed = read_corpus([SITE, PLAIN / "seed.txt", PLAIN / "sub"])
    assert len(mixed.figures) == 6


def test_seeds_match_the_independent_reading():
    tables = read_corpus([SEEDS])
    assert tables.problems.empty
    assert len(tables.figures) == 190
    assert tables.genes[C.GENE_ID].nunique() == 4073
    assert len(tables.links) == 6874
    assert tables.figures[C.PMCID].nunique() == 190
    organisms = Counter(o for names in tables.figures[C.ORGANISMS] for o in names.split("\t"))
    assert organisms["Homo sapiens"] == 107 and organisms["Unknown"] == 66 and organisms["Mus musculus"] == 22
    sample = read_corpus([SEEDS / "pfocr-sample"])
    assert (len(sample.figures), sample.genes[C.GENE_ID].nunique(), len(sample.links)) == (189, 4072, 6871)


BROKEN = {
    "invalid.md": ("---\nfigid: [oops\n---\n", "invalid YAML"),
    "unclosed.md": ("---\nfigid: PMC1__x\n", "not closed"),
    "empty.md": ("", "empty file"),
    "binary.md": (b"\x00\x01\x02\x03", "binary"),
    "latin1.md": ("---\nfigid: PMC1__y\ncaption: caf\xe9\n---\n".encode("latin-1"), "not UTF-8"),
    "nofigid.md": ("---\nfigtitle: no id\n---\n", "no figid"),
    "listfigid.md": ("---\nfigid: [a, b]\n---\n", "not a string"),
    "nofront.md": ("just text\n", "no front matter"),
    "scalar.md": ("---\njust a string\n---\n", "not a mapping"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_broken_file_is_reported_and_the_rest_loads(tmp_path, name):
    content, reason = BROKEN[name]
    write(tmp_path, "good.md", GOOD)
    bad = write(tmp_path, name, content)
    tables = read_corpus([tmp_path])
    assert tables.figures[C.FIGID].tolist() == ["PMC5__good"]
    assert tables.problems[C.PATH].tolist() == [str(bad)]
    assert reason in tables.problems[C.REASON].iloc[0]


def test_side_file_problems(tmp_path):
    write(tmp_path, "_figures/PMC5__good.md", GOOD)
    write(tmp_path, "_data/PMC5__good-genes.tsv", "word\tmatch\nA\tB\n")
    write(tmp_path, "_data/PMC404__absent-genes.tsv", "word\n")
    tables = read_corpus([tmp_path])
    assert len(tables.figures) == 1 and tables.links.empty
    reasons = dict(zip(tables.problems[C.PATH].map(os.path.basename), tables.problems[C.REASON], strict=True))
    assert "lacks column" in reasons["PMC5__good-genes.tsv"]
    assert "no record file" in reasons["PMC404__absent-genes.tsv"]


def test_duplicate_figid_keeps_the_first(tmp_path):
    write(tmp_path, "a.md", GOOD)
    second = write(tmp_path, "b.md", GOOD.replace("2010", "2011"))
    tables = read_corpus([tmp_path])
    assert tables.figures[C.YEAR].tolist() == [2010]
    assert tables.problems[C.PATH].tolist() == [str(second)]
    assert "duplicate figid PMC5__good" in tables.problems[C.REASON].iloc[0]


def test_missing_path_and_nothing_valid_are_errors(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        discover([tmp_path / "absent"])
    with pytest.raises(CorpusError, match="no record files"):
        read_corpus([tmp_path])
    write(tmp_path, "bad.md", "nothing here")
    with pytest.raises(CorpusError, match="no valid figure record"):
        read_corpus([tmp_path])


def test_parallel_parse_equals_serial(tmp_path):
    for i in range(2_100):
        write(tmp_path, f"PMC{i}__f.md", GOOD.replace("PMC5__good", f"PMC{i}__f").replace("PMC5", f"PMC{i}"))
    serial = read_corpus([tmp_path], workers=1)
    parallel = read_corpus([tmp_path], workers=2)
    assert len(parallel.figures) == 2_100
    assert parallel.figures.equals(serial.figures)


def test_cache_second_start_reads_no_yaml(tmp_path, caplog):
    cache = tmp_path / "cache"
    caplog.set_level(logging.INFO)
    first = load_corpus([SITE], cache_dir=cache)
    assert any("parsed" in r.message for r in caplog.records)
    caplog.clear()
    second = load_corpus([SITE], cache_dir=cache)
    assert any("from cache" in r.message for r in caplog.records)
    assert not any("parsed" in r.message for r in caplog.records)
    for name in ("figures", "genes", "links", "chemicals", "diseases", "problems"):
        assert getattr(second, name).astype(str).equals(getattr(first, name).astype(str)), name
    assert second.skipped_rows == first.skipped_rows


def test_cache_notices_a_changed_source(tmp_path):
    data = tmp_path / "data"
    record = write(data, "a.md", GOOD)
    load_corpus([data], cache_dir=tmp_path / "cache")
    record.write_text(GOOD.replace("2010", "2012"))
    os.utime(record, ns=(1, 1))
    assert load_corpus([data], cache_dir=tmp_path / "cache").figures[C.YEAR].tolist() == [2012]


def test_unwritable_cache_still_loads(tmp_path, caplog):
    blocker = write(tmp_path, "not-a-folder", "x")
    tables = load_corpus([SITE], cache_dir=blocker / "cache")
    assert len(tables.figures) == 4
    assert any("could not write the cache" in r.message for r in caplog.records)


def test_large_ingest_runs_apart_and_serves_from_the_mapped_cache(tmp_path, monkeypatch, caplog):
    from dashboard.corpus import cache

    monkeypatch.setattr(cache, "INGEST_APART_FROM", 1)  # any corpus counts as large here
    caplog.set_level(logging.INFO)
    tables = load_corpus([SITE], cache_dir=tmp_path)
    assert len(tables.figures) == 4 and len(tables.links) == 10
    assert any("in a child process" in r.getMessage() for r in caplog.records)
    assert list(tmp_path.glob("corpus-*/figures.arrow"))


@pytest.mark.parametrize(
    ("link", "target"),
    [("real/up", ".."), ("another-route", "real")],  # a link back up the tree; a second route to the folder
)
def test_a_folder_reached_twice_is_read_once_under_its_real_path(tmp_path, link, target):
    """Mutation: `_walk` without its `walked` check → the record is read again through the link (duplicate
    figids; the loop goes on until the OS refuses 40 links deep)."""
    record = write(tmp_path, "real/PMC5__good.md", GOOD)
    (tmp_path / link).symlink_to(target, target_is_directory=True)
    tables = read_corpus([tmp_path])
    assert tables.figures[C.PATH].tolist() == [str(record)]
    assert tables.problems[C.PATH].tolist() == [str(tmp_path / link)]
    assert tables.problems[C.REASON].iloc[0].startswith("symbolic link to a folder already read")


def test_a_named_path_that_is_not_a_file_is_reported_not_opened(tmp_path):
    fifo = tmp_path / "named.md"
    os.mkfifo(fifo)
    good = write(tmp_path / "data", "good.md", GOOD)
    tables = read_corpus([fifo, good])
    assert tables.figures[C.FIGID].tolist() == ["PMC5__good"]
    assert tables.problems.values.tolist() == [[str(fifo), "not a regular file (a FIFO); not read"]]
    with pytest.raises(CorpusError, match=r"no record files found .*named.md: not a regular file \(a FIFO\)"):
        read_corpus([fifo])


def test_a_fifo_put_in_place_of_a_record_after_the_walk_does_not_block(tmp_path):
    """Mutation: `_read_text` opening without O_NONBLOCK → the open waits for a writer forever (caught by the
    timeout)."""
    record = write(tmp_path, "a.md", GOOD)
    (path,) = discover([tmp_path]).records
    record.unlink()
    os.mkfifo(record)
    result = {}
    reader = threading.Thread(target=lambda: result.update(problems=parse_file(path, {})[5]), daemon=True)
    reader.start()
    reader.join(10)
    try:
        assert not reader.is_alive(), "reading a FIFO blocked"
    finally:
        if reader.is_alive():  # release the blocked open, so that the test run can end
            os.close(os.open(record, os.O_WRONLY | os.O_NONBLOCK))
    assert result["problems"] == [(path, "not a regular file (a FIFO); not read")]


def _snapshot(folder: Path) -> list[tuple[str, int, int, int]]:
    """Every entry below a folder (and the folder) with its mode, size and modification time."""
    return sorted(
        (str(p.relative_to(folder)), p.lstat().st_mode, p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in [folder, *folder.rglob("*")]
    )


def _load_twice(data: Path, cache: Path) -> tuple[list[str], list[str], list[str]]:
    cold = load_corpus([data], cache_dir=cache)
    warm = load_corpus([data], cache_dir=cache)
    return sorted(cold.figures[C.FIGID]), sorted(warm.figures[C.FIGID]), sorted(p.name for p in cache.iterdir())


def test_a_read_only_data_folder_loads_and_nothing_is_written_there():
    """Loaded by a user who cannot write there (`nobody` when the tests run as root), and every entry's mode,
    size and mtime compared before and after. Mutation: `discover` writing a marker file into each root → the
    load fails with PermissionError (and, as root, the snapshot differs)."""
    with shared_temporary_folder() as folder:
        data, cache = folder / "data", folder / "cache"
        shutil.copytree(SITE, data)
        cache.mkdir()
        cache.chmod(0o777)
        for path in [data, *data.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        before = _snapshot(data)
        cold, warm, entries = as_unprivileged(_load_twice, data, cache)
        assert cold == warm == ["PMC1000001__old-f1", "PMC1000002__new-f2", "PMC1000003__new-f3", "PMC1000004__new-f4"]
        assert [name for name in entries if name.startswith("corpus-")]  # the cache went where it was told
        assert _snapshot(data) == before


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux's /proc")
def test_a_file_that_holds_more_than_its_size_says_is_read_whole():
    """A file that grew between the stat and the read, as /proc files always do (their size says 0). Mutation:
    only the stat's size read → one byte."""
    text = _read_text("/proc/self/status")
    assert os.stat("/proc/self/status").st_size == 0
    assert text.startswith("Name:") and "\nPid:" in text


# --- the streaming build ------------------------------------------------------------------------------------------
def read_independently(paths: list[Path]) -> dict[str, object]:
    """The tables as the loader's rules define them, assembled row by row in plain Python from each record's own
    reading (`parse_file`), with none of the streaming build: the reference the built tables must equal. First
    figid read wins; links in (figure row, gene id) order; a gene named by the first label that has a symbol;
    words split, stripped of punctuation and sorted; orphan side files reported last."""
    sources = discover(paths)
    problems = list(sources.problems)
    figures, links, chemicals, diseases = [], [], [], []
    first: dict[str, str] = {}
    labels: dict[int, tuple[str, str]] = {}
    skipped = 0
    for path in sources.records:
        stem = os.path.splitext(os.path.basename(path))[0]
        side = {kind: sources.side_files[stem, kind] for kind in SIDE_FILE_KINDS if (stem, kind) in sources.side_files}
        figure, record_links, record_labels, record_chemicals, record_diseases, found, dropped = parse_file(path, side)
        problems += found
        if figure is None:
            continue
        figid = figure[C.FIGID]
        if figid in first:
            problems.append((path, f"duplicate figid {figid} (first read from {first[figid]})"))
            continue
        first[figid] = path
        links += [(len(figures), *link) for link in sorted(record_links)]
        figures.append(figure)
        for gene_id, label in record_labels.items():
            if gene_id not in labels or (label[0] and not labels[gene_id][0]):
                labels[gene_id] = label
        chemicals += [(figid, *row) for row in record_chemicals]
        diseases += [(figid, *row) for row in record_diseases]
        skipped += dropped
    stems = {os.path.splitext(os.path.basename(path))[0] for path in sources.records}
    for (key, _kind), path in sorted(sources.side_files.items()):
        if key not in stems:
            problems.append((path, f"side file for figure {key}, which has no record file"))

    figure_table = pd.DataFrame(figures, columns=C.FIGURE_COLUMNS)
    figure_table = figure_table.astype({name: "Int16" if name == C.YEAR else "string" for name in C.FIGURE_COLUMNS})
    rows = pd.DataFrame(links, columns=["row", C.GENE_ID, C.WORDS, C.SOURCES, C.EXACT])
    link_table = pd.DataFrame(
        {
            C.FIGID: pd.Categorical.from_codes(rows["row"], categories=pd.Index([f[C.FIGID] for f in figures])),
            C.GENE_ID: rows[C.GENE_ID].astype("int64"),
            C.WORDS: rows[C.WORDS].astype("string"),
            C.SOURCES: rows[C.SOURCES].astype("category"),
            C.EXACT: rows[C.EXACT].astype(bool),
        }
    )
    counts = Counter(rows[C.GENE_ID].tolist())
    ids = sorted(labels)
    gene_table = pd.DataFrame(
        {
            C.GENE_ID: pd.array(ids, dtype="int64"),
            C.SYMBOL: pd.array([labels[i][0] for i in ids], dtype="string"),
            C.ORGANISM: pd.array([labels[i][1] for i in ids], dtype="category"),
            C.N_FIGURES: pd.array([counts[i] for i in ids], dtype="int32").to_numpy(),
        }
    )
    pairs = sorted(
        {
            (word.strip(WORD_JUNK), gene_id)
            for _, gene_id, joined, _, _ in links
            for word in joined.split("\t")
            if word.strip(WORD_JUNK)
        },
        key=lambda pair: (pair[0].encode(), pair[1]),  # Arrow sorts text by its UTF-8 bytes
    )
    word_table = pd.DataFrame(
        {
            C.WORD: pd.array([word for word, _ in pairs], dtype="string"),
            C.GENE_ID: np.array([gene_id for _, gene_id in pairs], dtype=np.int64),
        }
    )
    term_columns = [C.FIGID, C.WORD, C.MESH, C.MATCH, C.NAME]
    return {
        "figures": figure_table,
        "genes": gene_table,
        "links": link_table,
        "words": word_table,
        "chemicals": pd.DataFrame(list(dict.fromkeys(chemicals)), columns=[*term_columns, C.CHEBI], dtype="string"),
        "diseases": pd.DataFrame(list(dict.fromkeys(diseases)), columns=[*term_columns, C.DOID], dtype="string"),
        "problems": pd.DataFrame(problems, columns=[C.PATH, C.REASON], dtype="string"),
        "skipped_rows": skipped,
    }


GENES_TSV = "organism_name\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\n"


def _placeholder_rows(genes_file: Path) -> int:
    """The rows of a genes TSV without an NCBI id (0 if there is no such file)."""
    if not genes_file.is_file():
        return 0
    return tsv_genes(read_tsv(genes_file.read_text(), "genes")[0])[1]


@pytest.fixture(scope="module")
def messy_corpus(tmp_path_factory) -> Path:
    """A synthetic corpus past PARALLEL_FROM (so parsed by worker processes), with what the build must settle
    across runs: figids read twice (the copy read first once, last once), a side file without a record, a broken
    record, and a gene first seen without a symbol, named in a later figure."""
    folder = tmp_path_factory.mktemp("messy")
    make_corpus.write_corpus(folder, 2_300, seed=3)
    figures = folder / "_figures"
    originals = sorted(figures.iterdir())
    # A copy read before its original, which becomes the duplicate: one whose genes file has rows without an NCBI
    # id, which must not count once the record is dropped.
    first = next(path for path in originals if _placeholder_rows(folder / "_data" / f"{path.stem}-genes.tsv"))
    shutil.copy(first, figures / "AAA-copy.md")
    shutil.copy(originals[900], figures / "zz-copy.md")
    shutil.copy(originals[1800], figures / "zz-copy-2.md")
    write(folder, "_data/PMC9__orphan-genes.tsv", GENES_TSV)
    write(folder, "_figures/broken.md", "---\nfigid: [oops\n---\n")
    for name, rows in (
        ("PMC9__label-a", ["Homo sapiens\tx1\tx1\tNA\t990001\tncbigene_synonym"]),
        (
            "PMC9__label-b",
            [
                "Homo sapiens\tx1\tx1\tNA\t990001\tncbigene_synonym",
                "Mus musculus\tLbl1\tLbl1\tLbl1\t990001\tncbigene_symbol",
            ],
        ),
    ):
        write(folder, f"_figures/{name}.md", f"---\nfigid: {name}\npmcid: PMC9\n---\n")
        write(folder, f"_data/{name}-genes.tsv", GENES_TSV + "\n".join(rows) + "\n")
    return folder


def _assert_tables_equal(tables, expected: dict[str, object]) -> None:
    for name in ("figures", "genes", "links", "words", "chemicals", "diseases", "problems"):
        pd.testing.assert_frame_equal(getattr(tables, name), expected[name], obj=name)
    assert tables.skipped_rows == expected["skipped_rows"]


@pytest.mark.parametrize("corpus", ["site", "plain", "seeds", "mixed"])
def test_built_tables_equal_an_independent_reading(corpus):
    """Mutations: a figure's links left in the order its record lists them (not by gene id), or the words not
    stripped of punctuation → caught."""
    paths = {"site": [SITE], "plain": [PLAIN], "seeds": [SEEDS], "mixed": [SITE, PLAIN / "seed.txt", SEEDS]}[corpus]
    _assert_tables_equal(read_corpus(paths), read_independently(paths))


def test_streamed_runs_equal_an_independent_reading_across_runs_and_merges(messy_corpus, monkeypatch):
    """Small runs (each duplicate in another run than its original) and per-gene and word state merged every few
    runs. Mutations: duplicate figids settled within a run only, a dropped duplicate's links or skipped rows kept,
    merged gene counts not summed, a gene named by its first figure's label though that has no symbol → caught."""
    monkeypatch.setattr(loader, "CHUNK", 64)
    monkeypatch.setattr(loader, "MERGE_FROM", 50)
    tables = read_corpus([messy_corpus], workers=2)
    expected = read_independently([messy_corpus])
    _assert_tables_equal(tables, expected)
    assert len(tables.figures) == 2_302 and tables.skipped_rows > 0
    reasons = tables.problems[C.REASON].tolist()
    assert sum(reason.startswith("duplicate figid") for reason in reasons) == 3
    assert tables.genes.set_index(C.GENE_ID).loc[990001, [C.SYMBOL, C.ORGANISM]].tolist() == ["Lbl1", "Mus musculus"]
    codes = tables.links[C.FIGID].cat.codes.to_numpy()
    order = np.lexsort((tables.links[C.GENE_ID].to_numpy(), codes))
    assert (np.diff(codes) >= 0).all() and (order == np.arange(len(order))).all()


class _LazyPool:
    """A stand-in for the process pool whose runs are parsed only when their result is asked for, counting the
    runs submitted and not yet taken."""

    def __init__(self, max_workers: int) -> None:
        self.workers = max_workers
        self.waiting = self.most_waiting = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    def submit(self, function, *args):
        pool = self
        pool.waiting += 1
        pool.most_waiting = max(pool.most_waiting, pool.waiting)

        class Lazy:
            def done(self) -> bool:
                return False

            def result(self):
                pool.waiting -= 1
                return function(*args)

        return Lazy()


def test_runs_in_flight_are_bounded(monkeypatch):
    """The parent holds the results of a few runs at most, whatever the corpus size. Mutation: every run
    submitted before the first result is taken (as `pool.map` does) → 95 runs waiting."""
    pools = []
    monkeypatch.setattr(
        loader, "ProcessPoolExecutor", lambda max_workers: pools.append(_LazyPool(max_workers)) or pools[-1]
    )
    monkeypatch.setattr(loader, "PARALLEL_FROM", 1)
    monkeypatch.setattr(loader, "CHUNK", 2)
    tables = read_corpus([SEEDS], workers=2)
    assert len(tables.figures) == 190
    assert pools[0].workers == 2 and pools[0].most_waiting == loader.RUNS_AHEAD * 2 + 1


def test_each_table_is_let_go_before_the_next_is_built():
    """A writer that stores each table and drops it holds one at a time. Mutation: `tables()` keeping a reference
    to the table it handed out (`figures = …; yield "figures", figures`) → the figures are still alive."""
    alive = []

    def take(name: str, table: pd.DataFrame) -> None:
        gc.collect()
        alive.append([previous for previous, ref in handed if ref() is not None])
        handed.append((name, weakref.ref(table)))

    handed: list[tuple[str, weakref.ref]] = []
    loader.parse_sources_into(discover([SITE]), take)
    assert [name for name, _ in handed] == ["figures", "genes", "links", "words", "chemicals", "diseases", "problems"]
    assert alive == [[]] * 7


def test_a_full_temporary_folder_keeps_the_parsed_columns_in_memory(monkeypatch, caplog):
    """Mutation: no fallback when no temporary file can be made → the load fails with the OSError."""

    def no_space(**_options):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(loader.tempfile, "TemporaryFile", no_space)
    tables = read_corpus([SITE])
    _assert_tables_equal(tables, read_independently([SITE]))
    assert any("holding the parsed columns in memory" in r.message for r in caplog.records)
