"""PyGithub connections that read the proxy and CA-bundle environment once, not on every request.

requests re-reads the environment for each request of a session that trusts it: it walks
every environment variable for *_PROXY and NO_PROXY and checks the host against them. That
was a third of the client-side CPU of each GitHub request in a scan (bench scan_latency
--profile). A PyGithub connection only ever talks to one host, so the answer is the same
for all its requests: it is computed when the connection is made, with requests' own
functions, and the session then stops asking (trust_env off; the session has no other use
for it, PyGithub sets its own auth so .netrc is never read).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any


@cache
def _reading_environment_once(base: type) -> type:
    import requests

    class EnvironmentOnce(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            url = f"{self.protocol}://{self.host}:{self.port}/"
            self.session.proxies.update(requests.utils.get_environ_proxies(url))
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if bundle and self.verify in (True, None):
                self.verify = bundle
            self.session.trust_env = False

    EnvironmentOnce.__name__ = f"EnvironmentOnce{base.__name__}"
    return EnvironmentOnce


def read_environment_once(github: Any) -> None:
    """Make a PyGithub client's connections (created after this call) read the environment once."""
    requester = github.requester
    names = ("_Requester__httpConnectionClass", "_Requester__httpsConnectionClass", "_Requester__connectionClass")
    if not all(hasattr(requester, name) for name in names):
        raise RuntimeError("PyGithub's Requester changed: its connection classes can no longer be set")
    for name in names:
        setattr(requester, name, _reading_environment_once(getattr(requester, name)))
