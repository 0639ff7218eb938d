"""``preflight diff``: what changed between two JSON reports, for the ticket thread."""
