"""Write a deterministic synthetic PFOCR corpus in the site layout, shaped like the real one.

    python benchmarks/make_corpus.py --figures 10000 --seed 1 /tmp/pfocr-10k

Shape (from the PFOCR site statistics and the sample in seeds/): ~1.35 distinct genes per figure at full scale
(148k genes for 110k figures), 18.6k of them human; gene popularity long-tailed (Zipf); genes per figure
log-normal with median 20 and a tail past 300 (mean ~43, so 110k figures give ~4.7M links); human-dominant
figures across ~2,000 organisms; years 1995–2025 weighted to recent years; 93k papers per 110k figures; ~3
chemical and ~0.4 disease mentions per figure; both front-matter schemas (about a third the older one, genes in the
front matter), with the real quirks: `[NA]` organisms, empty years, `.na.character`, folded Unicode captions,
OCR words such as `NO`, `On` and `0123`, TSV rows without an NCBI id, 10-column genes files.
"""

from __future__ import annotations

import argparse
import logging
import math
from pathlib import Path

import numpy as np

log = logging.getLogger("make_corpus")

FULL_FIGURES = 110_000
FULL_GENES = 148_000
HUMAN_SHARE = 18_600 / FULL_GENES
MAJOR_ORGANISMS = [
    ("Homo sapiens", "Primates", 9606),
    ("Mus musculus", "Rodents", 10090),
    ("Rattus norvegicus", "Rodents", 10116),
    ("Drosophila melanogaster", "Insects", 7227),
    ("Arabidopsis thaliana", "Plants", 3702),
    ("Danio rerio", "Fishes", 7955),
    ("Saccharomyces cerevisiae", "Fungi", 4932),
    ("Escherichia coli", "Bacteria", 562),
    ("Oryza sativa", "Plants", 4530),
    ("Bos taurus", "Mammals", 9913),
]
MINOR_ORGANISMS = 2_000
WORDS = [
    "signalling",
    "pathway",
    "kinase",
    "receptor",
    "activation",
    "inhibition",
    "transcription",
    "phosphorylation",
    "membrane",
    "cytokine",
    "apoptosis",
    "metabolism",
    "synthesis",
    "degradation",
    "complex",
    "nucleus",
    "mitochondria",
    "ligand",
    "feedback",
    "regulation",
    "stress",
    "β‑catenin",
    "NF‑κB",
    "TGF‑β",
    "α‑ketoglutarate",
    "Ca²⁺",
    "—",
    "–",
    "−",
    "‘quoted’",
    "“double”",
    "naïve",
    "façade",
    "µM",
]
GENE_SOURCES_OLD = ["hgnc_symbol", "hgnc_alias_symbol", "hgnc_prev_symbol", "bioentities_symbol"]
GENE_SOURCES_NEW = ["ncbigene_symbol", "ncbigene_synonym", "famplex_relations"]
TRAP_WORDS = ["NO", "On", "0123", "yes", "null", "~", "1e3"]


def symbol_for(index: int, organism: int) -> str:
    """A deterministic gene-symbol-like string; case follows the species' convention."""
    letters = "ABCDEFGHIJKLMNOPRSTVWXYZ"
    stem = letters[index % 24] + letters[(index // 24) % 24] + letters[(index // 576) % 24]
    symbol = f"{stem}{index % 97 + 1}"
    if organism in (1, 2):  # mouse, rat: Title case
        return symbol.capitalize()
    if organism == 5:  # zebrafish: lower case
        return symbol.lower()
    return symbol


def build_genes(n_genes: int, rng: np.random.Generator):
    """Gene ids, symbols, organism indexes and popularity weights (Zipf over a shuffled order, human boosted)."""
    ids = rng.choice(np.arange(1, 60 * n_genes), size=n_genes, replace=False).astype(np.int64)
    n_human = max(50, int(n_genes * HUMAN_SHARE))
    organism = np.empty(n_genes, dtype=np.int64)
    organism[:n_human] = 0
    shares = np.array([0.16, 0.12, 0.08, 0.1, 0.04, 0.03, 0.02, 0.05, 0.03])  # of the non-human genes
    rest = n_genes - n_human
    major = rng.choice(np.arange(1, 10), size=rest, p=np.append(shares, 1 - shares.sum())[:9] / shares.sum())
    minor = rng.random(rest) < 1 - shares.sum()
    organism[n_human:] = np.where(minor, 10 + rng.integers(0, MINOR_ORGANISMS, size=rest), major)
    rank = rng.permutation(n_genes) + 1
    # Zipf–Mandelbrot: long-tailed, but the most popular gene is in ~15% of the figures, not in all of them.
    weight = 1.0 / (rank + 500) ** 1.1
    weight[:n_human] *= 6  # human genes take about half of all links
    cumulative = np.cumsum(weight)
    human = np.cumsum(weight[:n_human])
    symbols = [symbol_for(i, int(o)) for i, o in enumerate(organism)]
    return ids, symbols, organism, cumulative / cumulative[-1], human / human[-1]


def organism_name(index: int) -> tuple[str, str, int]:
    if index < len(MAJOR_ORGANISMS):
        return MAJOR_ORGANISMS[index]
    k = index - len(MAJOR_ORGANISMS)
    return f"Genus{k} species{k % 37}", "Other", 100_000 + k


def caption_text(rng: np.random.Generator) -> str:
    n = int(rng.integers(50, 301))
    return " ".join(WORDS[i] for i in rng.integers(0, len(WORDS), size=n))


def yaml_text(value: str) -> str:
    """A single-quoted YAML scalar (quotes doubled), as PFOCR's own files write long text."""
    return "'" + value.replace("'", "''") + "'"


def folded(key: str, value: str, width: int = 90) -> str:
    """`key: 'long text'` folded over indented lines like the real files."""
    text = yaml_text(value)
    lines, line = [], f"{key}: "
    for word in text.split(" "):
        if len(line) + len(word) > width and line.strip() != f"{key}:":
            lines.append(line.rstrip())
            line = "  "
        line += word + " "
    lines.append(line.rstrip())
    return "\n".join(lines)


def write_corpus(out: Path, n_figures: int, seed: int) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    n_genes = max(2_000, int(FULL_GENES * (n_figures / FULL_FIGURES) ** 0.85))
    ids, symbols, gene_organism, cumulative, human_cumulative = build_genes(n_genes, rng)
    (out / "_figures").mkdir(parents=True, exist_ok=True)
    (out / "_data").mkdir(parents=True, exist_ok=True)
    n_papers = max(1, int(n_figures * 93_057 / 110_408))
    sizes = np.clip(np.round(rng.lognormal(math.log(20), 1.23, size=n_figures)), 1, 1_500).astype(int)
    years = (2025 - np.floor(rng.exponential(7.0, size=n_figures))).astype(int)
    years = np.clip(years, 1995, 2025)
    figure_organism = rng.choice(
        [0, 1, 2, -1, 3, 4, 5, 6, 7, 8, 9, 10],
        size=n_figures,
        p=[0.5, 0.11, 0.05, 0.22, 0.01, 0.03, 0.01, 0.01, 0.01, 0.01, 0.01, 0.03],
    )
    stats = {"figures": n_figures, "links": 0, "files": 0}
    for i in range(n_figures):
        pmc = 1_000_000 + int(rng.integers(0, n_papers)) * 7 + (i % 7)
        pmcid = f"PMC{pmc}"
        stem = f"fig-{i:06d}-g{i % 9 + 1}"
        figid = f"{pmcid}__{stem}"
        older = rng.random() < 0.35
        # Older records carry human genes only; popular genes are drawn again and again, so draw extra.
        pool = human_cumulative if older else cumulative
        draws = np.searchsorted(pool, rng.random(int(sizes[i] * 2.5) + 5))
        genes = list(dict.fromkeys(draws.tolist()))[: sizes[i]]
        stats["links"] += len(genes)
        org = int(figure_organism[i])
        if org == 10:
            org = 10 + int(rng.integers(0, MINOR_ORGANISMS))
        year = "" if rng.random() < 0.01 else str(years[i])
        title = " ".join(WORDS[j] for j in rng.integers(0, len(WORDS), size=int(rng.integers(4, 14))))
        lines = ["---", f"figid: {figid}"]
        if older:
            organisms = "Homo sapiens" if org != 3 else "Homo sapiens, Drosophila melanogaster"
            lines += [
                f"figlink: /pmc/articles/{pmcid}/figure/F{i % 9 + 1}/",
                f"number: F{i % 9 + 1}",
                folded("caption", caption_text(rng)),
                f"pmcid: {pmcid}",
                folded("papertitle", f"Paper {pmc}: {title}."),
                f"reftext: Author{pmc % 1000}, et al. J Synth. {year or 2020};{i % 50}:{i}.",
                f"pmc_ranked_result_index: '{i}'",
                f"pathway_score: {rng.random():.4f}",
                f"filename: {stem}.jpg",
                folded("figtitle", title),
                f"year: '{year}'",
                f"organisms: {organisms}",
                "ndex: ''",
                "annotations: []",
                "seo: CreativeWork",
                "genes:",
            ]
            for g in genes:
                word = TRAP_WORDS[g % len(TRAP_WORDS)] if rng.random() < 0.02 else symbols[g]
                source = GENE_SOURCES_OLD[int(rng.integers(0, 4))] if rng.random() < 0.4 else "hgnc_symbol"
                lines += [
                    f"- word: {yaml_text(word) if word in TRAP_WORDS or word.lower() in ('yes', 'null') else word}",
                    f"  symbol: {symbols[g]}",
                    f"  source: {source}",
                    f"  hgnc_symbol: {symbols[g]}",
                    f"  entrez: '{ids[g]}'",
                ]
            lines += ["chemicals: []", "diseases: []", f"figid_alias: {pmcid}__F{i % 9 + 1}", "figtype: Figure"]
        else:
            name = "NA" if org < 0 else organism_name(org)[0]
            organisms = ["- NA"] if org < 0 else [f"- {name}"] + (["- NA"] if rng.random() < 0.1 else [])
            lines += [
                folded("figtitle", title),
                "organisms:",
                *organisms,
                f"pmcid: {pmcid}",
                f"filename: {stem}.jpg",
                f"figlink: /pmc/articles/{pmcid}/figure/F{i % 9 + 1}/",
                f"number: F{i % 9 + 1}",
                folded("caption", caption_text(rng)),
                folded("papertitle", f"Paper {pmc}: {title}."),
                f"reftext: Author{pmc % 1000}, et al. J Synth. {year or 2020};{i % 50}:{i}.",
                f"year: '{year}'",
                "doi: .na.character" if rng.random() < 0.2 else f"doi: 10.5555/synth.{pmc}",
                "journal_title: Journal of Synthetic Pathways",
                "keywords: signalling | pathway | .na.character",
                f"automl_pathway: {rng.random():.4f}",
                "figtype: Figure",
                "ndex: ''",
                "seo: CreativeWork",
            ]
            write_genes_tsv(out / "_data" / f"{figid}-genes.tsv", genes, ids, symbols, gene_organism, rng)
            stats["files"] += 1
        # Like the real files: a JSON-LD block repeating the caption and listing every gene symbol again.
        lines += [
            "schema-jsonld:",
            "  '@context': https://schema.org/",
            f"  '@id': https://pfocr.wikipathways.org/figures/{figid}.html",
            "  '@type': Dataset",
            "  " + folded("description", caption_text(rng)).replace("\n", "\n  "),
            "  license: CC0",
            "  keywords:",
            *(f"  - {symbols[g]}" for g in genes),
        ]
        lines.append("---")
        (out / "_figures" / f"{figid}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        stats["files"] += 1
        if rng.random() < 0.5:
            n_chem = int(rng.integers(1, 12))
            rows = ["word\tmesh\tmatch\tname\tchebi"] + [
                f"chem{c % 300}\tmesh:D{c:06d}\tChem{c}\tchemical {c}\tchebi:{c}"
                for c in rng.integers(0, 14_000, size=n_chem)
            ]
            (out / "_data" / f"{figid}-chemicals.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
            stats["files"] += 1
        if rng.random() < 0.2:
            rows = ["word\tmesh\tmatch\tname\tdoid", f"disease{i % 1600}\tmesh:D{i % 1600:06d}\tD\tdisease\tNA"]
            (out / "_data" / f"{figid}-diseases.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
            stats["files"] += 1
    return stats


def write_genes_tsv(path: Path, genes, ids, symbols, gene_organism, rng) -> None:
    ten_columns = rng.random() < 0.1
    header = (
        [
            "organism_id",
            "organism_name",
            "organism_group",
            "word",
            "match",
            "ncbigene_symbol",
            "ncbigene_id",
            "source",
            "count_direct",
        ]
        + ([] if ten_columns else ["count_synonym"])
        + ["count_match"]
    )
    rows = ["\t".join(header)]
    for g in genes:
        name, group, taxon = organism_name(int(gene_organism[g]))
        source = GENE_SOURCES_NEW[int(rng.integers(0, 3))] if rng.random() < 0.4 else "ncbigene_symbol"
        word = TRAP_WORDS[g % len(TRAP_WORDS)] if rng.random() < 0.02 else symbols[g]
        counts = ["1", "NA"] if ten_columns else ["1", "2", "NA"]
        rows.append(
            "\t".join([str(taxon), name, group, word, symbols[g].upper(), symbols[g], str(ids[g]), source, *counts])
        )
        if rng.random() < 0.05:  # the same mention twice with other counts
            rows.append(rows[-1])
    if rng.random() < 0.1:  # a family placeholder without an NCBI id
        rows.append(
            "\t".join(
                [
                    "9606",
                    "Homo sapiens",
                    "Primates",
                    "H2A",
                    "H2A",
                    "NA",
                    "NaN",
                    "famplex_relations",
                    *(["NA"] * (2 if ten_columns else 3)),
                ]
            )
        )
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figures", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    stats = write_corpus(args.out, args.figures, args.seed)
    log.info("wrote %s: %d figures, %d links, %d files", args.out, stats["figures"], stats["links"], stats["files"])


if __name__ == "__main__":
    main()
