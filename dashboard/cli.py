"""Entry point: `pfocr-dashboard check|build|enrich|serve|web ...` (also `python -m dashboard`).

Each command imports what it needs when it runs: the Procfile's `web` process answers the port while its builder
makes the data, and stays at about 25 MiB without pandas and the rest."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

from dashboard.config import Settings
from dashboard.corpus.errors import CorpusError
from dashboard.corpus.progress import Progress, TerminalReport
from dashboard.corpus.remote import is_url, write_archive

log = logging.getLogger("dashboard")

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", help="log every problem and timing")
    common.add_argument("--cache-dir", help="where parsed tables are cached (default: $PFOCR_CACHE_DIR or ~/.cache)")
    common.add_argument("--no-cache", action="store_true", help="parse the sources even if a cache is there")
    parser = argparse.ArgumentParser(prog="pfocr-dashboard", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser(
        "check", parents=[common], help="load records and report what was found and what was wrong"
    )
    check.add_argument("paths", nargs="+", help="record files, folders, a PFOCR site checkout, or a bundle")
    check.add_argument("--json", action="store_true", help="print one JSON object")

    build = commands.add_parser(
        "build", parents=[common], help="parse the sources once into a relocatable bundle that serves read-only"
    )
    build.add_argument("paths", nargs="+", help="record files, folders, or a PFOCR site checkout")
    build.add_argument("--out", required=True, help="the bundle folder to write (a bundle there is replaced)")
    build.add_argument("--archive", help="also write the bundle as one tar file, to be served by URL")

    enrich = commands.add_parser(
        "enrich", parents=[common], help="which figures match a gene list? (TSV on standard output)"
    )
    enrich.add_argument(
        "genes_file",
        help="a file of gene symbols or NCBI ids (newlines, commas, spaces, tabs; of a table, its gene column)",
    )
    enrich.add_argument(
        "--species", help="the species the list is read in, e.g. 'Homo sapiens' (default: the one most entries name)"
    )
    enrich.add_argument(
        "--include-unstated",
        action="store_true",
        help="with --organisms, also test the figures that state no organism",
    )
    enrich.add_argument(
        "--data",
        nargs="+",
        action="extend",
        help="record files, folders or one bundle; may be repeated (default: $PFOCR_DATA, else seeds/)",
    )
    enrich.add_argument("--organisms", default="", help="comma-separated organism names (default: all)")
    enrich.add_argument("--years", default="", help="a year range like 2010-2020 (default: all)")
    enrich.add_argument(
        "--background", help="a file of background genes (default: the species' genes in the filtered figures)"
    )
    enrich.add_argument("--min-size", type=int, default=3, help="smallest figure gene set tested (default 3)")
    enrich.add_argument("--exact", action="store_true", help="count only exact symbol matches")
    enrich.add_argument(
        "--orthologs",
        action="store_true",
        help="map the list to --species (default: the corpus' largest) through orthologs (NCBI HomoloGene)",
    )
    enrich.add_argument(
        "--list-species", help="with --orthologs: the species the list names, e.g. 'Mus musculus' (default: inferred)"
    )

    serve = commands.add_parser("serve", parents=[common], help="serve the dashboard")
    serve.add_argument(
        "--data",
        nargs="+",
        action="extend",
        help="record files, folders or one bundle; may be repeated (default: $PFOCR_DATA, else seeds/)",
    )
    serve.add_argument("--host", help="interface to listen on (default: $HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: $PORT or 8050)")
    serve.add_argument("--debug", action="store_true", help="Dash debug mode (never in production)")

    web = commands.add_parser(
        "web",
        parents=[common],
        help="the Procfile's command: answer $PORT at once, make the data, then serve it with gunicorn",
    )
    web.add_argument("--data", nargs="+", action="extend", help="as for serve (default: $PFOCR_DATA, else seeds/)")
    web.add_argument("--host", help="interface to listen on (default: $HOST or 0.0.0.0)")
    web.add_argument("--port", type=int, help="port (default: $PORT or 8050)")
    return parser


def summarise(tables, release=None) -> dict:
    """The `check --json` object: counts, organisms, years, problems (and the release, when known)."""
    from dashboard.analysis.model import Corpus

    corpus = Corpus(tables)
    span = corpus.year_span
    return {
        **({"release": release.to_json()} if release is not None else {}),
        "figures": corpus.n_figures,
        "genes": corpus.n_genes,
        "links": int(corpus.incidence.nnz),
        "papers": corpus.n_papers,
        "organisms": corpus.organism_counts,
        "years": {"min": span[0], "max": span[1]} if span else {"min": None, "max": None},
        "problems": [{"path": p, "reason": r} for p, r in tables.problems.itertuples(index=False)],
        "skipped_rows_without_gene_id": tables.skipped_rows,
    }


def with_progress(load):
    """Run `load(progress)` with its progress shown on the terminal (standard error)."""
    progress = Progress()
    with TerminalReport(progress):
        return load(progress)


def run_check(args: argparse.Namespace) -> int:
    from dashboard.corpus.bundle import load_data

    tables, release = with_progress(
        lambda progress: load_data(args.paths, cache_dir=args.cache_dir, use_cache=not args.no_cache, progress=progress)
    )
    summary = summarise(tables, release)
    if args.json:
        json.dump(summary, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    years = summary["years"]
    lines = [
        f"figures  {summary['figures']:,}",
        f"genes    {summary['genes']:,}",
        f"links    {summary['links']:,}",
        f"papers   {summary['papers']:,}",
        f"years    {years['min']}–{years['max']}",
        "organisms (figures):",
        *(f"  {n:>7,}  {name}" for name, n in list(summary["organisms"].items())[:15]),
        f"problems {len(summary['problems'])}",
        *(f"  {p['path']}: {p['reason']}" for p in summary["problems"]),
    ]
    if release.kind == "bundle":
        lines.insert(0, f"bundle   {release.name}, built {release.built} by pfocr-dashboard {release.built_by}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def read_list(path: str) -> str:
    """A gene-list file's text; a missing or unreadable file is bad input."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read the gene list ({exc})") from None


def run_enrich(args: argparse.Namespace) -> int:
    from dashboard.analysis.enrich import enrich
    from dashboard.analysis.genelist import describe_gene_list, read_gene_list
    from dashboard.analysis.model import Corpus
    from dashboard.analysis.orthologs import describe_mapping, list_species_choices
    from dashboard.corpus.bundle import load_data
    from dashboard.web.exports import to_enrichment_tsv
    from dashboard.web.state import parse_query

    genes = read_gene_list(read_list(args.genes_file))
    background = read_gene_list(read_list(args.background)) if args.background else None
    data = tuple(args.data) if args.data else Settings().data
    corpus = Corpus(load_data(data, cache_dir=args.cache_dir, use_cache=not args.no_cache)[0])
    filters = {
        "organisms": args.organisms,
        "years": args.years,
        "include_unstated": "1" if args.include_unstated else "",
    }
    state, notices = parse_query(corpus, urlencode({k: v for k, v in filters.items() if v}))
    if any("reversed" not in notice for notice in notices):
        raise CorpusError(" ".join(notices))
    if args.species is not None and args.species not in corpus.species_gene_counts:
        raise CorpusError(f"species {args.species!r} has no genes in this corpus")
    if args.list_species is not None and not args.orthologs:
        raise CorpusError("--list-species is read only with --orthologs")
    if args.list_species is not None and args.list_species not in list_species_choices(corpus):
        raise CorpusError(f"--list-species {args.list_species!r}: neither the ortholog table nor the corpus knows it")
    for note in (genes.note, background.note if background else None):
        if note:
            log.info("%s", note)
    result = enrich(
        corpus,
        genes.tokens,
        species=args.species,
        organisms=state.organisms,
        years=state.years,
        unstated=state.unstated,
        background=background.tokens if background else None,
        min_size=max(1, args.min_size),
        exact=args.exact,
        orthologs=args.orthologs,
        list_species=args.list_species,
    )
    notes = describe_mapping(result.orthologs) if result.orthologs else describe_gene_list(corpus, result.genes)
    for line in notes:
        log.info("%s", line)
    for token in result.unrecognised:
        log.warning("not recognised: %s", token)
    for symbol in result.outside_background:
        log.warning("not in the background: %s", symbol)
    log.info(
        "%d genes tested against %d figures (background %d genes of %s)",
        result.query_size,
        result.tested,
        result.background_size,
        result.species,
    )
    if result.query_size == 0:
        raise CorpusError("none of the genes in the list is in the corpus")
    sys.stdout.write(to_enrichment_tsv(result, {"min_size": max(1, args.min_size)}))
    return 0


def run_build(args: argparse.Namespace) -> int:
    from dashboard.corpus.bundle import build_bundle

    manifest = with_progress(
        lambda progress: build_bundle(
            args.paths, args.out, cache_dir=args.cache_dir, use_cache=not args.no_cache, progress=progress
        )
    )
    counts, sources = manifest["counts"], manifest["sources"]
    size = sum(table["bytes"] for table in manifest["tables"].values())
    sys.stdout.write(
        f"bundle   {os.path.abspath(args.out)}\n"
        f"built    {manifest['built']} by pfocr-dashboard {manifest['software_version']}\n"
        f"sources  {sources['record_files']:,} record files, {sources['side_files']:,} side files\n"
        f"figures  {counts['figures']:,}\ngenes    {counts['genes']:,}\nlinks    {counts['links']:,}\n"
        f"problems {counts['problems']:,}\nsize     {size / 2**20:,.1f} MiB\n"
    )
    if args.archive:
        sys.stdout.write(f"archive  {write_archive(args.out, args.archive)}\n")
    return 0


def check_paths(paths: Sequence[str]) -> None:
    """Every data path exists (checked before the port is bound, so a typo exits at once)."""
    for path in paths:
        if not is_url(path) and not os.path.exists(os.path.expanduser(path)):
            raise CorpusError(f"{os.path.abspath(path)}: no such file or folder")


def serve_settings(args: argparse.Namespace) -> Settings:
    """The settings of `serve` and `web`: the environment's, overridden by the flags given."""
    settings = Settings()
    settings = replace(
        settings,
        data=tuple(args.data) if args.data else settings.data,
        host=args.host or settings.host,
        port=args.port or settings.port,
        cache_dir=args.cache_dir or settings.cache_dir,
        use_cache=settings.use_cache and not args.no_cache,
    )
    check_paths(settings.data)
    return settings


def run_serve(args: argparse.Namespace) -> int:
    """Make the data (a progress bar on the terminal), then serve it with werkzeug's threaded server."""
    from dashboard.web.app import create_app, load_settings_corpus
    from dashboard.web.server import threaded_server

    settings = replace(serve_settings(args), debug=args.debug or Settings().debug)
    corpus, release = with_progress(lambda progress: load_settings_corpus(settings, progress))
    server = threaded_server(settings.host, settings.port, create_app(settings, corpus, release).server)
    log.info("listening on http://%s:%d/", settings.host, server.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        return 0
    finally:
        server.server_close()
    return 0


def run_web(args: argparse.Namespace) -> int:
    """The Procfile's command: see `dashboard.web.launcher`."""
    from dashboard.web.launcher import run

    settings = serve_settings(args)
    run(replace(settings, host=args.host or os.environ.get("HOST", "0.0.0.0")))  # noqa: S104 - a PaaS's router


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose or args.command in ("serve", "build", "web") else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("dashboard.corpus.progress").setLevel(logging.INFO)
    commands = {"check": run_check, "build": run_build, "enrich": run_enrich, "serve": run_serve, "web": run_web}
    try:
        return commands[args.command](args)
    except CorpusError as exc:
        log.error("%s", exc)
        return EXIT_BAD_INPUT
