"""Corpus floor: finding, parsing and assembling records into tables, the load report, and the cache."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from conftest import PLAIN, SEEDS, SITE, write
from hostile import as_unprivileged, shared_temporary_folder

from dashboard.corpus import columns as C
from dashboard.corpus.cache import load_corpus
from dashboard.corpus.loader import CorpusError, _read_text, discover, parse_file, read_corpus

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
    assert any("ingested in a child process" in r.message for r in caplog.records)
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
