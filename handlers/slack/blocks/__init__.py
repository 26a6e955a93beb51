"""Block Kit for every Slack surface: one module per surface, shared pieces in `common`."""
