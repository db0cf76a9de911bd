"""Web floor: wording the page shares — a count written out with its noun."""


def plural(count: int, noun: str) -> str:
    """'1 figure', '2 figures', '1,234 genes'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
