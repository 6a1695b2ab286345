"""Django glue the contexts share: read-only admin pages, the API's error shapes, who sees which rows.

It imports no context, no project configuration and nothing of the event bus (an import-linter
contract), so every context can use it and a context split into its own service takes it along.
"""
