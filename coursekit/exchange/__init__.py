"""The coursekit nbgrader exchange: a JupyterHub service that keeps students out of each
other's work (``service``, over ``storage``), and the nbgrader ``ExchangeFactory`` plugin
classes that talk to it from single-user servers (``nbgrader_plugins``)."""
