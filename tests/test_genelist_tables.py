"""Analysis floor: gene tables read as CSV (quotes, embedded commas and line breaks, a BOM, `;` and tab delimiters,
Excel's and R's exports) give their gene column only; free lists stay free lists.

Each case names the entries that must be read, in order, and the entries that must never be: the numbers of a
numeric column (an NCBI id lookalike such as 7124, which is TNF's id) and the words of a description column."""

from __future__ import annotations

import pytest

from dashboard.analysis.enrich import enrich
from dashboard.analysis.genelist import read_gene_list

# (text, genes read in order, entries that must never be read, words the note names)
CASES = {
    "quoted commas, two rows": (
        'gene,description,count\nTP53,"kinase, binds TNF and TNF, see notes",7124\n'
        'MDM2,"ligase, binds IL6 and TP53",3569\n',
        ["TP53", "MDM2"],
        {"7124", "3569", "TNF", "IL6", "kinase", "binds", "ligase", "see notes"},
        ["'gene'", "comma", "2 rows", "3 columns"],
    ),
    "quoted commas, one row among plain ones": (
        'gene,description,count\nTP53,"kinase, binds TNF",7124\nMDM2,ligase,3569\nCDKN1A,inhibitor,1026\n'
        "EGFR,receptor,1956\n",
        ["TP53", "MDM2", "CDKN1A", "EGFR"],
        {"7124", "3569", "1026", "1956", "TNF", "kinase", "ligase", "inhibitor", "receptor"},
        ["'gene'", "4 rows"],
    ),
    "a line break inside a quoted field": (
        'symbol,note,log2FC\nTP53,"first line\nEGFR, KRAS on the second",2.5\nMDM2,"plain",-1.25\n'
        '# a comment line between rows\nCDKN1A,"a note\n# not a comment: inside quotes",0.5\n',
        ["TP53", "MDM2", "CDKN1A"],
        {"EGFR", "KRAS", "first line", "2.5", "-1.25", "0.5", "plain", "# not a comment: inside quotes"},
        ["'symbol'", "3 rows"],
    ),
    "a UTF-8 byte order mark before the header": (
        "\ufeffgene,count\nTP53,7124\nMDM2,3569\n",
        ["TP53", "MDM2"],
        {"7124", "3569", "\ufeffgene", "gene"},
        ["'gene'"],
    ),
    "semicolons and decimal commas (European Excel)": (
        "symbol;log2FC;padj;count\nTP53;2,1;0,01;7124\nMDM2;-1,5;0,2;3569\nCDKN1A;3,75;0,001;1026\n",
        ["TP53", "MDM2", "CDKN1A"],
        {"7124", "3569", "1026", "2", "1", "0", "01", "2,1", "-1,5"},
        ["'symbol'", "semicolon"],
    ),
    "Excel's CSV export: CRLF line ends, quoted header": (
        '"Gene symbol","Description","Count"\r\n"TP53","tumor protein p53, TNF pathway","7124"\r\n'
        'MDM2,"MDM2 proto-oncogene, IL6",3569\r\n',
        ["TP53", "MDM2"],
        {"7124", "3569", "TNF", "IL6", "tumor", "p53", "Gene", "symbol", "Gene symbol"},
        ["'Gene symbol'", "comma"],
    ),
    "DESeq2 as TSV: an empty first header cell over the row names": (
        '# DESeq2 results, featureCounts input: "-a" "genes.gtf"\n'
        "\tbaseMean\tlog2FoldChange\tlfcSE\tstat\tpvalue\tpadj\n"
        "TP53\t1523.2\t2.1\t0.3\t7.0\t2.5e-12\t3e-10\n"
        "MDM2\t7124\t-1.1\t0.2\t-5.5\t3.8e-08\t2e-06\n"
        "IL6\t3569\t0.4\t0.5\t0.8\t0.42\tNA\n",
        ["TP53", "MDM2", "IL6"],
        {"7124", "3569", "1523.2", "2.1", "NA", "baseMean"},
        ["column 1", "tab", "3 rows", "7 columns"],
    ),
    "R's write.table: no header cell over the row names": (
        "baseMean\tlog2FoldChange\tpadj\nTP53\t1523.2\t2.1\t3e-10\nMDM2\t7124\t-1.1\t2e-06\n",
        ["TP53", "MDM2"],
        {"7124", "1523.2", "baseMean", "2.1"},
        ["column 1", "tab", "2 rows", "4 columns"],
    ),
    "one column under a header": (
        '"Gene symbol"\r\nTP53\r\nMDM2\r\n7157\r\n',
        ["TP53", "MDM2", "7157"],
        {"Gene", "symbol", "Gene symbol"},
        ["'Gene symbol'"],
    ),
    "a free list: newlines, commas, spaces, tabs and a comment": (
        "# my genes, from the paper\nTP53, MDM2\nCDKN1A\t7157 EGFR\nTP53\n",
        ["TP53", "MDM2", "CDKN1A", "7157", "EGFR"],
        {"#", "my", "genes", "paper"},
        [],
    ),
}


@pytest.mark.parametrize(("text", "genes", "never", "note"), list(CASES.values()), ids=list(CASES))
def test_a_table_gives_its_gene_column_and_nothing_else(text, genes, never, note):
    found = read_gene_list(text)
    assert found.tokens == genes
    assert not never & set(found.tokens)
    for words in note:
        assert words in (found.note or "")
    if not note:
        assert found.note is None


def test_numbers_and_descriptions_of_a_table_name_no_gene(seed_corpus):
    """The reported case end to end: 7124 (TNF's id) and 3569 (IL6's) in a count column, TNF and IL6 in a
    description; the enrichment's list is the gene column's TP53 and AKT1, nothing else."""
    text = (
        'gene,description,count\nTP53,"kinase, binds TNF and TNF, see notes",7124\n'
        'AKT1,"kinase, binds IL6, see notes",3569\n'
    )
    for gene_id in (7124, 3569):  # genes of the seeds: read as ids, they would have been found
        assert seed_corpus.gene_row(gene_id) is not None
    result = enrich(seed_corpus, text)
    assert sorted(seed_corpus.gene_label(r) for r in result.genes.rows) == ["AKT1", "TP53"]
    assert result.genes.entries == 2 and result.unrecognised == [] and result.species == "Homo sapiens"
