"""pfocr-dashboard: explore the gene–figure network of Pathway Figure OCR."""

__version__ = "0.1.0"
