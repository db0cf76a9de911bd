"""Web floor: every component id, one source of truth (tests and users' scripts rely on the public ones)."""

URL = "url"
STATE = "view-state"  # the whole view state, with the open figure
SELECTION = "view-selection"  # the same without the open figure: what the network, counts and table depend on
# Its copies for callbacks that most selection changes leave with nothing to do, made in the browser only when they
# have something to do (clientside `selectionFor*`): a pattern tab's view while its tab is open, the search's hits
# while there is a search, the enrichment once a list was run. The callbacks read the selection itself.
TIMELINE_SELECTION = "timeline-selection"
COOCCURRENCE_SELECTION = "cooccurrence-selection"
MAP_SELECTION = "map-selection"
HITS_SELECTION = "hits-selection"
ENRICH_SELECTION = "enrich-selection"
GATED_SELECTIONS = (TIMELINE_SELECTION, COOCCURRENCE_SELECTION, MAP_SELECTION, HITS_SELECTION, ENRICH_SELECTION)
NOTICE = "url-notice"
HEADER_STATS = "header-stats"
PROBLEMS = "load-problems"

TEXT_SEARCH = "text-search"  # full-text search of titles, captions, papers, ids (URL parameter q)
SEARCH_HITS = "search-hits"
GENE_SEARCH = "gene-search"
MATCH_MODE = "match-mode"
ORGANISM_FILTER = "filter-organism"
UNSTATED_SWITCH = "filter-unstated"  # with an organism filter, also the figures that state no organism
CHEMICAL_FILTER = "filter-chemicals"  # figures mentioning any of the chosen chemicals (URL parameter chemicals)
DISEASE_FILTER = "filter-diseases"
YEAR_FILTER = "filter-year"
YEAR_FROM = "filter-year-from"  # the year boxes: typed years, applied on Enter or on leaving the box
YEAR_TO = "filter-year-to"
EXACT_SWITCH = "exact-switch"
OTHER_SPECIES = "network-other-species"  # with an organism chosen, draw genes of other species too
NODE_BUDGET = "node-budget"
SELECTION_SUMMARY = "selection-summary"

NETWORK = "network-graph"
NETWORK_VIEW = "network-view"  # what the network depends on: the selection, view options, a centre figure
COLOUR_MODE = "network-colour"
LABEL_ALL = "network-label-all"
SHOW_TERMS = "network-terms"  # the network draws chemicals and diseases as nodes too (URL parameter terms=1)
CLICK_ADDS = "network-click-adds"  # a clicked gene is added to the chosen ones instead of replacing them
NETWORK_STATUS = "network-status"
DETAIL = "detail-panel"
OVERVIEW = "overview"  # the corpus at a glance, shown while the detail panel is empty
FIGURE_TABLE = "figure-table"
TABLE_STATUS = "table-status"
TABLE_REFRESH = "table-refresh"
THUMBNAILS = "show-thumbnails"  # figure lists and tables show thumbnails from Europe PMC (off until ticked)

# Pattern-matching ids of the clickable items inside the detail panel.
MORE_FILTERS = "more-filters"  # the filters after the text and gene search: folded on a narrow screen
GENE_CHIP = "gene-chip"
INCLUDE_GENES = "include-genes"  # a button adding its genes (index: NCBI ids joined by commas) to the chosen ones
FIGURE_LINK = "figure-link"
TERM_FILTER = "term-filter"  # a chemical or disease in a figure's record: filters by it
BACK_TO_GENES = "back-to-genes"  # in a figure's record: close it and return to the chosen genes
IMAGE_SHOW = "figure-image-show"  # a figure's image is fetched from Europe PMC only when asked for
IMAGE_BOX = "figure-image-box"

# Gene-list enrichment
ENRICH_GENES = "enrich-genes"
ENRICH_SPECIES = "enrich-species"  # the species the list is read in (empty: the one most entries name)
ENRICH_ORTHOLOGS = "enrich-orthologs"  # map the list to ENRICH_TARGET's species through orthologs
ENRICH_TARGET = "enrich-target"  # with orthologs: the species of the figures' gene sets tested
ENRICH_UPLOAD = "enrich-upload"
ENRICH_BACKGROUND = "enrich-background"
ENRICH_MIN_SIZE = "enrich-min-size"
ENRICH_RUN = "enrich-run"
ENRICH_MESSAGE = "enrich-message"
ENRICH_TABLE = "enrich-table"
ENRICH_QUERY = "enrich-query"  # the last query run (small: the pasted lists and the minimum size)
ENRICH_LINKED = "enrich-linked"  # the gene list a link (or Back) brings: the enrichment runs on it

# Exports of the current selection
EXPORT_FIGURES = "export-figures"
EXPORT_GMT = "export-gmt"
EXPORT_GRAPHML = "export-graphml"
EXPORT_CYJS = "export-cyjs"  # the drawn network as Cytoscape.js JSON
EXPORT_SVG = "export-network-svg"  # the drawn network as an image, made in the browser by plotly
EXPORT_PNG = "export-network-png"
IMAGE_SAVED = "network-image-saved"
NETWORK_NAME = "network-name"  # the drawn network's file name (no extension), for its SVG and PNG
EXPORT_ENRICHMENT = "export-enrichment"
DOWNLOAD = "download"

# Tables, records and controls that say what they did (issue 10)
URL_CANONICAL = "url-canonical"  # the canonical form of a link just opened: it replaces the history entry
RECORD_SHOWN = "record-shown"  # written when a table row opened a record, which is then scrolled into view
BUDGET_NOTE = "node-budget-note"
EXPORT_STATUS = "export-status"
FIGURE_GENES_TSV = "figure-genes-tsv"  # pattern-matched: the "download TSV" button of a figure's gene table
FIGURE_GENES_COPY = "figure-genes-copy"
URL_REPLACED = "url-replaced"  # when the history entry was last replaced by the canonical link

# Pattern views (each its own module: timeline.py, cooccurrence.py, paths.py, corpusmap.py)
PATTERN_TABS = "pattern-tabs"
TIMELINE_GRAPH = "timeline-graph"
TIMELINE_NOTE = "timeline-note"
COOCCURRENCE_GRAPH = "cooccurrence-graph"
COOCCURRENCE_TOP = "cooccurrence-top"
COOCCURRENCE_NOTE = "cooccurrence-note"
PATH_FROM = "path-from"
PATH_TO = "path-to"
PATH_RUN = "path-run"
PATH_RESULT = "path-result"
MAP_GRAPH = "corpus-map"
MAP_COLOUR = "corpus-map-colour"
MAP_NOTE = "corpus-map-note"
MAP_HOVER = "corpus-map-hover"  # the hovered point's title, as text
MAP_DRAWN = "corpus-map-drawn"  # the box or lasso last drawn (its outline only, never its points)
MAP_CLEAR = "corpus-map-clear"  # removes the drawn region from the selection
