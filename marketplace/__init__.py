"""Alliance Marketplace: the application kernel and factory.

`flask --app marketplace ...` finds `create_app` here. The factory is the only place that imports
every domain, so it is imported lazily: domains import kernel modules (`marketplace.db`,
`marketplace.extensions`, ...) without pulling in the whole application.
"""


def create_app(config: dict | None = None):
    """Build the Flask application (see `marketplace.app.build_app`)."""
    from marketplace.app import build_app

    return build_app(config)
