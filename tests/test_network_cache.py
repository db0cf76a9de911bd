"""The network figures kept by view state (network.update_network): a view drawn again is the same figure as one
drawn anew, and every part of the state that changes the drawing reaches it."""

from __future__ import annotations

import json
from dataclasses import replace

from plotly.utils import PlotlyJSONEncoder

from dashboard.web.network import NETWORKS_KEPT, draw_network, update_network
from dashboard.web.state import ViewState


def as_json(found) -> str:
    return json.dumps(found, cls=PlotlyJSONEncoder, sort_keys=True)


def test_a_view_drawn_again_is_the_figure_drawn_anew(seed_corpus):
    states = [
        ViewState(),
        ViewState(genes=(7157,)),
        ViewState(genes=(7157,), label_all=True),
        ViewState(genes=(7157,), budget=50),
        ViewState(colour="year"),
        ViewState(years=(2015, 2020)),
        ViewState(genes=(7157, 207), match="all"),
    ]
    first = [update_network(seed_corpus, state) for state in states]
    assert len({as_json(found) for found in first}) == len(states)  # each state draws its own figure
    for state, found in zip(states, first, strict=True):
        again = update_network(seed_corpus, state)
        assert again is found
        assert as_json(again) == as_json(draw_network(seed_corpus, state))


def test_only_the_last_views_are_kept(seed_corpus):
    oldest = ViewState(budget=60)
    found = update_network(seed_corpus, oldest)
    for budget in range(61, 61 + NETWORKS_KEPT):
        update_network(seed_corpus, replace(oldest, budget=budget))
    assert update_network(seed_corpus, oldest) is not found
    assert as_json(update_network(seed_corpus, oldest)) == as_json(found)
