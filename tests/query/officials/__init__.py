"""Questions as officials type them: the question files, the county table, and their loader."""
