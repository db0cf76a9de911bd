"""Corpus floor: PFOCR records and side files → pandas tables, with a load report and a cache."""
