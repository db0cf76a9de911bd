"""Analysis floor: the corpus as a queryable object, its graphs and statistics (no Dash)."""
