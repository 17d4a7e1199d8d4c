"""The coursekit nbgrader exchange: a JupyterHub service that keeps students out of each
other's work (``service``, over ``storage``), and the nbgrader ``ExchangeFactory`` plugin
classes that talk to it from single-user servers (``nbgrader_plugins``)."""

# nbgrader ``ExchangeFactory`` trait -> the class of ``nbgrader_plugins`` for it (the same
# names as nbgrader's own in ``nbgrader.exchange.default``). Here, not in nbgrader_plugins,
# so that ``jupyter coursekit apply`` names them without importing nbgrader.
NBGRADER_PLUGINS = {
    "exchange": "Exchange",
    "fetch_assignment": "ExchangeFetchAssignment",
    "fetch_feedback": "ExchangeFetchFeedback",
    "release_assignment": "ExchangeReleaseAssignment",
    "release_feedback": "ExchangeReleaseFeedback",
    "list": "ExchangeList",
    "submit": "ExchangeSubmit",
    "collect": "ExchangeCollect",
}
SERVICE_URL_ENV = "COURSEKIT_EXCHANGE_URL"


def nbgrader_config() -> dict:
    """nbgrader config (as in an ``nbgrader_config.json``) that turns the coursekit plugins
    on: they use the service where ``$COURSEKIT_EXCHANGE_URL`` names one, and nbgrader's own
    filesystem exchange elsewhere."""
    module = "coursekit.exchange.nbgrader_plugins"
    return {
        "ExchangeFactory": {trait: f"{module}.{name}" for trait, name in NBGRADER_PLUGINS.items()}
    }
