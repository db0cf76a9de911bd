"""Analysis floor: organisms by the names people type — "human", "mouse", "yeast", "E. coli" — as well as by their
scientific names, ranked by figure counts.

The common names are NCBI Taxonomy's GenBank common names and common synonyms of the model organisms and of the
organisms PFOCR figures name most, plus the names biologists use for them ("fly", "worm"). Only organisms of the
corpus are offered; a common name of an organism the corpus does not hold finds nothing.

The colours figures are drawn in by the organisms they state are defined here too: one palette for the network and
the corpus map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from dashboard.analysis.model import Corpus, organism_figure_counts

# Scientific name → common names (lower case), from NCBI Taxonomy and usage.
COMMON_NAMES: dict[str, tuple[str, ...]] = {
    "Homo sapiens": ("human", "humans"),
    "Mus musculus": ("mouse", "house mouse", "mice"),
    "Rattus norvegicus": ("rat", "norway rat", "brown rat", "rats"),
    "Saccharomyces cerevisiae": ("yeast", "baker's yeast", "brewer's yeast", "budding yeast"),
    "Schizosaccharomyces pombe": ("yeast", "fission yeast"),
    "Danio rerio": ("zebrafish", "zebra fish", "zebra danio"),
    "Drosophila melanogaster": ("fly", "fruit fly", "flies", "vinegar fly"),
    "Caenorhabditis elegans": ("worm", "nematode", "roundworm"),
    "Escherichia coli": ("e. coli", "e coli", "ecoli"),
    "Arabidopsis thaliana": ("arabidopsis", "thale cress", "mouse-ear cress"),
    "Gallus gallus": ("chicken", "chick"),
    "Bos taurus": ("cattle", "cow", "bovine"),
    "Sus scrofa": ("pig", "swine", "porcine", "wild boar"),
    "Canis lupus familiaris": ("dog",),
    "Felis catus": ("cat", "domestic cat"),
    "Ovis aries": ("sheep",),
    "Capra hircus": ("goat",),
    "Equus caballus": ("horse",),
    "Oryctolagus cuniculus": ("rabbit",),
    "Macaca mulatta": ("rhesus monkey", "rhesus macaque", "macaque", "monkey"),
    "Macaca fascicularis": ("crab-eating macaque", "cynomolgus monkey", "macaque", "monkey"),
    "Pan troglodytes": ("chimpanzee",),
    "Cavia porcellus": ("guinea pig",),
    "Cricetulus griseus": ("chinese hamster", "hamster"),
    "Mesocricetus auratus": ("golden hamster", "syrian hamster", "hamster"),
    "Xenopus laevis": ("african clawed frog", "frog", "xenopus"),
    "Xenopus tropicalis": ("tropical clawed frog", "western clawed frog", "frog"),
    "Oryzias latipes": ("medaka", "japanese medaka"),
    "Bombyx mori": ("silkworm", "domestic silkworm"),
    "Apis mellifera": ("honey bee", "honeybee", "bee"),
    "Aedes aegypti": ("yellow fever mosquito", "mosquito"),
    "Anopheles gambiae": ("african malaria mosquito", "mosquito"),
    "Oryza sativa": ("rice", "asian rice"),
    "Zea mays": ("maize", "corn"),
    "Triticum aestivum": ("wheat", "bread wheat"),
    "Hordeum vulgare": ("barley",),
    "Glycine max": ("soybean", "soya bean", "soy"),
    "Solanum lycopersicum": ("tomato",),
    "Solanum tuberosum": ("potato",),
    "Nicotiana tabacum": ("tobacco", "common tobacco"),
    "Nicotiana benthamiana": ("tobacco", "benthamiana"),
    "Medicago truncatula": ("barrel medic", "medicago"),
    "Physcomitrium patens": ("moss", "spreading earthmoss"),
    "Chlamydomonas reinhardtii": ("green alga", "chlamydomonas"),
    "Dictyostelium discoideum": ("slime mold", "slime mould", "social amoeba"),
    "Human immunodeficiency virus 1": ("hiv", "hiv-1", "hiv1"),
    "Severe acute respiratory syndrome coronavirus 2": ("sars-cov-2", "sars-cov2", "covid-19", "covid", "coronavirus"),
    "Hepatitis B virus": ("hbv",),
    "Hepatitis C virus": ("hcv",),
    "Influenza A virus": ("flu", "influenza"),
    "Plasmodium falciparum": ("malaria parasite", "plasmodium"),
    "Mycobacterium tuberculosis": ("tuberculosis", "tb bacillus"),
    "Staphylococcus aureus": ("staph", "s. aureus"),
    "Pseudomonas aeruginosa": ("pseudomonas",),
    "Bacillus subtilis": ("hay bacillus", "b. subtilis"),
    "Helicobacter pylori": ("h. pylori",),
    "Candida albicans": ("candida", "thrush"),
    "Toxoplasma gondii": ("toxoplasma",),
    "Trypanosoma brucei": ("trypanosome",),
}
_BY_COMMON_NAME: dict[str, list[str]] = {}
for _scientific, _names in COMMON_NAMES.items():
    for _name in _names:
        _BY_COMMON_NAME.setdefault(_name, []).append(_scientific)
_ABBREVIATION = re.compile(r"([a-z])(?:\.\s*|\s+)([a-z][a-z-]*)")
MAX_QUERY = 200


@dataclass(frozen=True)
class OrganismMatch:
    """An organism offered for a query: its scientific name as the corpus spells it, its figures, and the common
    name that found it (None when found by its scientific name)."""

    name: str
    figures: int
    common_name: str | None


def _tier(name: str, needle: str) -> tuple[int, str | None] | None:
    """How well an organism's scientific name answers the query (lower is better), and the common name that did:
    0 the query is its common name or its name, 1 the start of its common name or of its name, 2 its genus
    abbreviated (`e. coli`), 3 the start of a word of its name; None if it does not answer."""
    folded = name.lower()
    species = " ".join(folded.split()[:2])
    commons = COMMON_NAMES.get(name, ()) or COMMON_NAMES.get(species.capitalize(), ())
    if needle == folded:
        return 0, None
    for common in commons:
        if needle == common:
            return 0, common
    if folded.startswith(needle):
        return 1, None
    if len(needle) >= 3:
        for common in commons:
            if common.startswith(needle):
                return 1, common
    abbreviated = _ABBREVIATION.fullmatch(needle)
    words = folded.split()
    if abbreviated and len(words) >= 2:
        initial, epithet = abbreviated.groups()
        if words[0].startswith(initial) and words[1].startswith(epithet):
            return 2, None
    if any(word.startswith(needle) for word in words[1:]):
        return 3, None
    return None


def search_organisms(
    corpus: Corpus, query: str, limit: int = 20, mask: np.ndarray | None = None
) -> list[OrganismMatch]:
    """Organisms of the corpus answering a query by common name ("human", "zebrafish", "E. coli") or scientific
    name (its start, or the start of a word of it), best answers first, then most figures. Counts within the mask
    (None: all figures)."""
    needle = " ".join(query.lower().split())[:MAX_QUERY]
    if not needle:
        return []
    counts = corpus.organism_counts if mask is None else organism_figure_counts(corpus, mask)
    found = []
    for name in corpus.organism_counts:
        tier = _tier(name, needle)
        if tier is not None:
            found.append((tier[0], -counts.get(name, 0), name, tier[1]))
    found.sort()
    return [OrganismMatch(name, -negative, common) for _, negative, name, common in found[:limit]]


# --- the colours of figures by the organisms they state, in the network and the corpus map ------------------------
# Both views colour their most frequent organisms in this order — the network those of the figures it draws, the map
# those of the whole corpus —, so an organism that ranks alike is one colour in both (Homo sapiens, PFOCR's first,
# in the default view). No blue: the network's genes are blue circles, and a blue figure would be taken for one; the
# first is the network's own figure orange.
ORGANISM_COLOURS = ("#e07b39", "#8c564b", "#2ca02c", "#9467bd", "#17becf", "#bcbd22", "#e6ab02", "#d62728")
SEVERAL_ORGANISMS_COLOUR = "#f781bf"  # a figure stating several organisms: none of them is its colour alone
# One organism past the coloured ones dark grey, none stated pale grey: at least 3:1 apart (WCAG's contrast for
# graphics), as their legends say, and the dark one at least 3:1 off the white.
OTHER_ORGANISM_COLOUR = "#666666"
NO_ORGANISM_COLOUR = "#cfcfcf"
