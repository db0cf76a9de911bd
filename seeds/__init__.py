"""The embedded default corpus (real PFOCR records): installed as the data package `dashboard.seeds`."""
