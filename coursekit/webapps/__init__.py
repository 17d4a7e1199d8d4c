"""Course web apps (RStudio, MATLAB, a Linux desktop, VS Code, TensorBoard) behind
jupyter-server-proxy.

coursekit does not install the per-app proxy packages: it builds the server specs itself
(:mod:`.catalogue`), one per app that a student's modules enable, and hands them to
jupyter-server-proxy through its ``ServerProxy.servers`` configuration before that
extension loads. Plain Python: nothing here imports tornado.
"""

from .catalogue import APPS, AppDefinition, AppPlan, plan_apps

__all__ = ["APPS", "AppDefinition", "AppPlan", "plan_apps"]
