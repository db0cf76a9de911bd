// Clientside callbacks of the dashboard (bound in dashboard/web/callbacks.py).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  pfocr: {
    // A new selection empties the figure grid's block cache, so the grid asks the server for its rows again.
    refreshTable: async function (selection, gridId) {
      const api = await dash_ag_grid.getApiAsync(gridId);
      api.purgeInfiniteCache();
      api.paginationGoToFirstPage();
      return window.dash_clientside.no_update;
    },
  },
});
