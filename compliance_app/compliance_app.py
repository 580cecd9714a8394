"""The Reflex app: theme, every page under pages/, and the custom HTTP routes of api/."""

from __future__ import annotations

import importlib
import pkgutil

import reflex as rx
from reflex_base.registry import RegistrationContext

from compliance_app import pages
from compliance_app.api import create_api
from compliance_app.schema_version import refuse_to_start_with_another_schema
from compliance_app.security_headers import SecurityHeaders
from compliance_app.services.keys import refuse_to_start_with_foreign_keys
from compliance_app.state.payload_guard import PayloadGuard
from compliance_app.web_tokens import take_over_tabs_of_dead_processes


def _import_pages() -> None:
    """Importing a page module registers its routes (rx.page / app_page decorators)."""
    for info in sorted(pkgutil.iter_modules(pages.__path__), key=lambda i: i.name):
        importlib.import_module(f"{pages.__name__}.{info.name}")


def _add_pages_once(application: rx.App) -> None:
    """Add the decorated pages to the app here, once, and leave none for Reflex's compile.

    Reflex's compile adds every @rx.page page each time it runs, and `reflex run --env prod`
    compiles one App twice: in the supervisor, which Granian then forks its workers from, and
    again in each worker's app factory. The second pass re-added all the pages and logged
    "Page … is being redefined with the same component" once per route at every start.
    """
    pending = RegistrationContext.ensure_context().decorated_pages
    for render, kwargs in pending:
        application.add_page(render, **kwargs)
    pending.clear()


_import_pages()

app = rx.App(
    # The custom routes mount the Reflex app; SecurityHeaders then wraps all of it (pages,
    # /api, Reflex's own endpoints). Referrer-Policy comes from there, per path.
    api_transformer=[create_api(), SecurityHeaders],
    stylesheets=["/styles.css"],
)
_add_pages_once(app)
#: Events whose arguments are not the JSON types their handler declares are dropped before it runs.
app.add_middleware(PayloadGuard())
#: A web process refuses to start (one line, exit 1) on a database at another migration (checked
#: first: the keys check may write), or with keys that are not the database's. In this order.
app.register_lifespan_task(refuse_to_start_with_another_schema)
app.register_lifespan_task(refuse_to_start_with_foreign_keys)
#: With Redis: a tab whose web process died keeps its page state on the process it reconnects to.
app.register_lifespan_task(take_over_tabs_of_dead_processes)
