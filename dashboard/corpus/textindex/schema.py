"""Corpus floor: the layout of a text index file — its tables, the indexed columns and their tokenizer, and the
statements that write and score them. The builder (`build`), the open index (`index`, `connections`) and the
snippet cutter (`snippets`) all read the file through these, so its layout is written down once.
"""

from __future__ import annotations

INDEX_FILE = "text-index.sqlite"
INDEX_FORMAT = 1  # bump when the file's layout or what is indexed changes
COLUMNS = ("title", "caption", "paper_title", "keywords", "terms", "ids")
TOKENIZER = "unicode61 remove_diacritics 2"

SCHEMA = f"""
create virtual table fts using fts5({", ".join(COLUMNS)}, content='', tokenize='{TOKENIZER}');
create table vocab (term text primary key, df integer not null) without rowid;
create table ids (key text not null, row integer not null, primary key (key, row)) without rowid;
create table terms (row integer primary key, text text not null);
create table stored (term text primary key, rows blob not null, scores blob not null) without rowid;
create table meta (key text primary key, value text not null) without rowid;
"""
# BM25 weights of the columns: title 10, caption 1, paper title 5, keywords 4, chemicals and diseases 3, ids 2.
SCORES = "select rowid, bm25(fts, 10.0, 1.0, 5.0, 4.0, 3.0, 2.0) from fts where fts match ? order by rowid"
INSERT = "insert into {} (rowid, title, caption, paper_title, keywords, terms, ids) values (?, ?, ?, ?, ?, ?, ?)"
