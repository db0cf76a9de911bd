"""Corpus floor: the full-text index of the figures — an SQLite FTS5 file built with the tables, opened read-only.

One FTS5 document per figure (rowid = the figure's row in the figures table) with six columns: title, caption,
paper title, keywords, chemical and disease names, and ids (figid, PMCID, DOI). The index is contentless (the
texts stay in the Arrow tables; snippets are cut from them by FTS5 itself in a small in-memory table of the hits),
and ranked by FTS5's BM25 with the titles weighted above the captions.

The modules, in the order a search meets them:

- `schema`: the file's layout — tables, indexed columns, tokenizer, the statements that write and score them;
- `texts`: what is indexed of each figure, the keys its ids are looked up by, the digest tying a file to figures;
- `build`: writing the file beside a cache entry's or bundle's tables (`build_text_index`);
- `loading`: the index of some tables, opened from that file or built for this process (`load_text_index`);
- `query`: what the user typed, parsed (`parse_query`) and compiled against the vocabulary (`compile_query`);
- `index`: the open index (`TextIndex`): vocabulary, ids, search and snippets of one file;
- `connections`: its per-thread SQLite connections and the time budget of one query;
- `scoring`: BM25 by FTS5, or summed from the scores stored for frequent terms, ranking alike;
- `snippets`: passages of the hits with their matches marked, as plain-text pieces.
"""
