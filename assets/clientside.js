// Clientside callbacks of the dashboard (bound by the register functions of the modules in dashboard/web/).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  pfocr: {
    // A new selection empties the figure grid's block cache, so the grid asks the server for its rows again.
    refreshTable: async function (selection, gridId) {
      const api = await dash_ag_grid.getApiAsync(gridId);
      api.purgeInfiniteCache();
      api.paginationGoToFirstPage();
      return window.dash_clientside.no_update;
    },
    // A table row opened a record: the detail panel may be far above the tables, so bring it into view, with its
    // top shown, and flash it once.
    showRecord: function (figureCell, enrichCell, panelId) {
      const triggered = (window.dash_clientside.callback_context.triggered || [])[0];
      const record = document.getElementById(panelId);
      const panel = record && (record.closest(".record-panel") || record);
      if (!triggered || !triggered.value || !panel) return window.dash_clientside.no_update;
      const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      panel.scrollTop = 0;
      panel.scrollIntoView({ block: "nearest", behavior: still ? "auto" : "smooth" });
      panel.classList.remove("record-flash");
      void panel.offsetWidth; // restart the animation
      panel.classList.add("record-flash");
      return Date.now();
    },
    // The node budget box, on Enter or when it loses focus: a value the view cannot use (the browser finds it
    // invalid: out of range, not whole, or empty) is replaced by the budget the view keeps, and the note under the
    // box says what is allowed; a new valid budget clears the note. Done here because Dash's Input sends no new
    // value for a second invalid entry in a row, so the server never hears of it.
    checkBudget: function (submitted, blurred, state, inputId, low, high) {
      const noUpdate = window.dash_clientside.no_update;
      const input = document.getElementById(inputId);
      if (!input || !state || state.budget == null) return noUpdate;
      if (input.value !== "" && input.checkValidity()) {
        return Number(input.value) !== state.budget ? "" : noUpdate;
      }
      const typed = input.value === "" ? "An empty box" : input.value;
      input.value = String(state.budget);
      return (
        typed + " is not a node budget: type a whole number from " + low + " to " + high.toLocaleString("en") +
        ". The view keeps " + state.budget.toLocaleString("en") + "."
      );
    },
    // The drawn network as an image file, made by plotly from the figure on the page: SVG, or a PNG at
    // publication size (1600 × 1200 layout at 3×: 4800 × 3600 pixels).
    // Named after the selection (`pfocr-network_genes-TP53-any.svg`), as the server names the other exports.
    downloadNetworkImage: function (_svg, _png, graphId, name) {
      const triggered = (window.dash_clientside.callback_context.triggered || [])[0];
      const graph = document.querySelector("#" + graphId + " .js-plotly-plot");
      if (!triggered || !graph || !window.Plotly) return window.dash_clientside.no_update;
      const format = triggered.prop_id.startsWith("export-network-svg") ? "svg" : "png";
      window.Plotly.downloadImage(graph, {
        format: format,
        filename: typeof name === "string" && name ? name : "pfocr-network",
        width: 1600,
        height: 1200,
        scale: format === "png" ? 3 : 1,
      });
      return format;
    },
    // A link opened in another form than its canonical one: rewrite it in place. Replacing (not pushing) the
    // history entry lets Back leave the link instead of returning to a form that would be rewritten again. The
    // Location component is told the new URL too: it pushes any URL of its own that differs from the window's.
    replaceUrl: function (search, locationId) {
      if (typeof search !== "string") return window.dash_clientside.no_update;
      const url = window.location.pathname + search + window.location.hash;
      window.history.replaceState(window.history.state, "", url);
      window.dash_clientside.set_props(locationId, { search: search, href: window.location.href });
      return Date.now();
    },
    // The open figure changes without the network being redrawn: move the ring around it (or hide it).
    ringOpenFigure: function (state, figure) {
      const noUpdate = window.dash_clientside.no_update;
      if (!figure || !Array.isArray(figure.data)) return noUpdate;
      const ringIndex = figure.data.findIndex((t) => t.name === "Open figure");
      if (ringIndex < 0) return noUpdate;
      const open = state && state.figure ? "figure:" + state.figure : null;
      let found = { x: [], y: [], size: [], nodes: [] };
      if (open) {
        for (const trace of figure.data) {
          if (trace.name === "Open figure" || !trace.marker || !Array.isArray(trace.customdata)) continue;
          const i = trace.customdata.indexOf(open);
          if (i < 0) continue;
          const size = Array.isArray(trace.marker.size) ? trace.marker.size[i] : trace.marker.size;
          found = { x: [trace.x[i]], y: [trace.y[i]], size: [size + 10], nodes: [open] };
          break;
        }
      }
      const ring = figure.data[ringIndex];
      if ((ring.customdata || []).join() === found.nodes.join()) return noUpdate;
      const data = figure.data.slice();
      data[ringIndex] = Object.assign({}, ring, {
        x: found.x,
        y: found.y,
        customdata: found.nodes,
        marker: Object.assign({}, ring.marker, { size: found.size }),
      });
      return Object.assign({}, figure, { data: data });
    },
    // Copies of the selection for callbacks that most selection changes leave with nothing to do (ids.py): each is
    // made only when its callback has something to do, so that a click costs no server round trip for the others.
    // A pattern tab's view: while its tab is open, and when the tabs change (the view is then drawn or emptied).
    selectionForTab: function (name, selection, tab) {
      const triggered = (window.dash_clientside.callback_context.triggered || []).map((t) => t.prop_id);
      const tabsChanged = triggered.some((id) => id.split(".")[0] === "pattern-tabs");
      return tab === name || tabsChanged ? selection : window.dash_clientside.no_update;
    },
    selectionForTimeline: function (selection, tab) {
      return window.dash_clientside.pfocr.selectionForTab("timeline", selection, tab);
    },
    selectionForCooccurrence: function (selection, tab) {
      return window.dash_clientside.pfocr.selectionForTab("cooccurrence", selection, tab);
    },
    // The map draws itself when its tab opens: only a new selection while it is open is passed on.
    selectionForMap: function (selection, tab) {
      return tab === "map" ? selection : window.dash_clientside.no_update;
    },
    // The search's hits: while there is a search, and once more when it ends (they are emptied then).
    selectionForHits: function (selection, passed) {
      const searched = (s) => Boolean(s && s.text);
      return searched(selection) || searched(passed) ? selection : window.dash_clientside.no_update;
    },
    // The enrichment: once a list was run (it is run again under the new selection).
    selectionForEnrichment: function (selection, query) {
      return query ? selection : window.dash_clientside.no_update;
    },
  },
});

// Functions the AG Grids call by name (their `eventListeners`).
window.dashAgGridFunctions = Object.assign({}, window.dashAgGridFunctions, {
  // Enter on a focused row of the figure table opens its record, as a click does.
  pfocrOpenRowOnEnter: function (params, setGridProps) {
    if (params.event.key !== "Enter" || !params.node || !params.node.id) return;
    setGridProps({
      cellClicked: {
        value: params.value,
        colId: params.column.getColId(),
        rowIndex: params.rowIndex,
        rowId: params.node.id,
        timestamp: Date.now(),
      },
    });
  },
  // Enter on a focused enrichment result picks it, as a click does.
  pfocrSelectRowOnEnter: function (params, setGridProps) {
    if (params.event.key !== "Enter" || !params.node || !params.node.data) return;
    params.node.setSelected(true, true);
    window.dashAgGridFunctions.pfocrOpenRowOnEnter(params, setGridProps);
  },
});
