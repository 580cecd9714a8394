"""Per-repository GitHub facts read for many repositories at once, through GitHub's GraphQL API.

A scan asked each repository's REST endpoints for its top directory (CODEOWNERS, SECURITY.md
and .github/ are found there) and its deploy keys: two requests per repository, 400 for an
organization of 200 repositories. One GraphQL query asks both of `CHUNK` repositories
(aliases `t<i>` and `k<i>`, so an error on one repository's deploy keys cannot void its
listing), and the same facts come back:

- the top directory as REST's contents API lists it: entries {"name", "path", "type"} with
  REST's types (GraphQL's blob/tree/commit become file/dir/submodule, a blob of mode 120000
  a symlink), None for an empty repository (no HEAD, as REST's 404);
- the deploy keys as dicts of github_supply_chain's _DEPLOY_KEY_FIELDS. GraphQL's `id`
  is the key's node id, not REST's number.

The repositories of the scan's listing are cut into chunks in the listing's order, and each
chunk is one memoized collection, fetched by the first per-repository read that needs it, on
that read's thread: no fan-out is nested on the bounded pool, and different chunks may be
in flight at once. The query goes through `call` like every REST request: throttled,
rate limits waited out, 5xx retried.

What GraphQL cannot settle is asked through REST as before, so nothing the REST reads could
read becomes ERROR: a whole query that still fails (GraphQL disabled, an outage, a rate
limit beyond the wait), a repository missing from the listing, a listing or key list
GraphQL did not return, an unexpected error on one repository, or more than 100 deploy keys
(hasNextPage: the REST list is read whole). Two answers are per-repository errors, worded
as the REST reads word them: NOT_FOUND on the repository (it vanished or the token lost
sight of it since the listing) and FORBIDDEN on the deploy keys (they are an admin's).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from github import GithubException

from compliance_app.providers import callchain
from compliance_app.providers.base import CollectionError

T = TypeVar("T")

#: Repositories asked in one query. GitHub limits what a query may return (500,000 nodes) and what it
#: costs (points per hour): 50 repositories with up to 100 deploy keys each stay far below both.
CHUNK = 50
#: Deploy keys asked per repository: GitHub's largest page. A repository with more is read through REST.
KEYS_PAGE = 100
#: A fact this module cannot settle for a repository: the caller asks REST.
ASK_REST = object()
#: Git's file mode of a symbolic link; GraphQL's TreeEntry.mode is an Int, read either as the mode
#: (0o120000) or as its octal digits (120000), neither of which any other Git mode can be.
_SYMLINK_MODES = (0o120000, 120000)
_REST_TYPES = {"tree": "dir", "blob": "file", "commit": "submodule"}
_TREE = '{ object(expression: "HEAD:") { ... on Tree { entries { name type mode } } } }'
_KEYS = (f"{{ deployKeys(first: {KEYS_PAGE}) {{ pageInfo {{ hasNextPage }} "
         "nodes { id title readOnly createdAt verified } } }")


def deploy_keys_refused(repo: str, answer: str) -> str:
    """The ERROR reason for deploy keys GitHub shows only to admins; `answer`: how GitHub refused."""
    return (f"The token cannot read the deploy keys of {repo} (GitHub {answer} without admin rights: the "
            "token needs admin access to the repository, or the fine-grained permission 'Administration: "
            "read').")


def batch_query(names: list[str]) -> tuple[str, dict[str, str]]:
    """The query and its variables asking the top directory and deploy keys of each of `names`."""
    variables: dict[str, str] = {}
    declarations, fields = [], []
    for i, full_name in enumerate(names):
        owner, _, name = full_name.partition("/")
        variables[f"o{i}"], variables[f"n{i}"] = owner, name
        declarations.append(f"$o{i}: String!, $n{i}: String!")
        repository = f"repository(owner: $o{i}, name: $n{i})"
        fields.append(f"t{i}: {repository} {_TREE}")
        fields.append(f"k{i}: {repository} {_KEYS}")
    return f"query({', '.join(declarations)}) {{\n" + "\n".join(fields) + "\n}", variables


def rest_entry(entry: dict[str, Any]) -> dict[str, Any] | None:
    """A GraphQL tree entry of the top directory as REST's contents API lists it; None if unreadable."""
    name, kind, mode = entry.get("name"), entry.get("type"), entry.get("mode")
    if not isinstance(name, str) or kind not in _REST_TYPES:
        return None
    rest_type = "symlink" if kind == "blob" and mode in _SYMLINK_MODES else _REST_TYPES[kind]
    return {"name": name, "path": name, "type": rest_type}


def _root_listing(answer: Any) -> Any:
    """The top directory from the `t<i>` answer: entries, None (empty repository) or ASK_REST."""
    if not isinstance(answer, dict) or "object" not in answer:
        return ASK_REST
    tree = answer["object"]
    if tree is None:  # no HEAD: an empty repository, which REST's 404 also reads as "no directory"
        return None
    entries = tree.get("entries") if isinstance(tree, dict) else None
    if not isinstance(entries, list):
        return ASK_REST
    listing = [rest_entry(e) if isinstance(e, dict) else None for e in entries]
    return ASK_REST if any(e is None for e in listing) else listing


def _deploy_keys(answer: Any) -> Any:
    """The deploy keys from the `k<i>` answer, or ASK_REST (not returned, or more than one page)."""
    keys = answer.get("deployKeys") if isinstance(answer, dict) else None
    nodes = keys.get("nodes") if isinstance(keys, dict) else None
    if not isinstance(nodes, list) or (keys.get("pageInfo") or {}).get("hasNextPage") is not False:
        return ASK_REST
    if not all(isinstance(k, dict) for k in nodes):
        return ASK_REST
    return [{"id": k.get("id"), "title": k.get("title"), "read_only": k.get("readOnly"),
             "created_at": k.get("createdAt"), "verified": k.get("verified")} for k in nodes]


class BatchReads:
    """The `repository_batch` collections, mixed into GitHubSession (see the module docstring)."""

    #: Whether the chunks' queries were sent (`_start_chunks`), set once per session under `_lock`.
    _chunks_started = False

    if TYPE_CHECKING:  # provided by GitHubSession
        org_login: str
        _lock: threading.Lock

        def call(self, what: str, fn: Callable[[], T]) -> T: ...
        def collect(self, name: str, **kw: Any) -> Any: ...
        def client(self) -> Any: ...

    def _batched(self, repo: str, fact: str) -> Any:
        """`fact` ("root" or "deploy_keys") of `repo` from its chunk's query, or ASK_REST.

        Raises the repository's CollectionError when GitHub answered it with an error of its own.
        """
        try:
            plan = self.collect("batch_plan")
            chunk = plan.get(repo)
            if chunk is None:  # not in the listing: its own REST reads answer
                return ASK_REST
            self._start_chunks(plan)
            answers = self.collect("repository_batch", chunk=chunk)
        except CollectionError:  # the listing or the whole query failed: REST reads answer
            return ASK_REST
        found = answers.get(repo, {}).get(fact, ASK_REST)
        if isinstance(found, CollectionError):
            raise CollectionError(found.reason)  # a new one each time: the memoized one is shared by threads
        return found

    def _start_chunks(self, plan: dict[str, int]) -> None:
        """Send every chunk's query as soon as the first is needed, each on a thread of its own.

        Fetched one by one as readers reached them, the queries went out seconds apart (each after
        the previous chunk's repositories were evaluated), and meanwhile the readers of the next
        chunk held the bounded pool's threads waiting for it, so other checks' requests stalled
        (bench scan_latency's timeline: almost no GitHub request for 2 s mid-scan). These threads
        are not the pool's, so nothing waits on the pool for them; each query still takes a slot
        of the session's throttle like any request, and `collect` keeps each chunk read once.
        """
        with self._lock:
            if self._chunks_started:
                return
            self._chunks_started = True
        for chunk in sorted(set(plan.values())):
            context = contextvars.copy_context()  # the call chain so far, one copy per thread
            threading.Thread(target=context.run, args=(self._read_chunk, chunk), daemon=True,
                             name=f"github-batch-{chunk}").start()

    def _read_chunk(self, chunk: int) -> None:
        with contextlib.suppress(CollectionError):  # kept by collect: the chunk's reader meets it there
            self.collect("repository_batch", chunk=chunk)

    def _fetch_batch_plan(self) -> dict[str, int]:
        """{repository full name: its chunk}: the listing's repositories in order, CHUNK to a chunk."""
        return {r["full_name"]: i // CHUNK for i, r in enumerate(self.collect("repositories"))}

    def _fetch_repository_batch(self, chunk: int) -> dict[str, dict[str, Any]]:
        """{full name: {"root": listing, "deploy_keys": keys}} of one chunk, each fact a value, ASK_REST
        or the repository's CollectionError."""
        names = [name for name, c in self.collect("batch_plan").items() if c == chunk]
        query, variables = batch_query(names)
        what = f"the top directories and deploy keys of {len(names)} repositories of '{self.org_login}'"
        data, errors = self.call(what, lambda: self._graphql(query, variables, names))
        refused: dict[str, str] = {}
        for error in errors:
            path = error.get("path") if isinstance(error, dict) else None
            if isinstance(path, list) and path and isinstance(path[0], str):
                refused.setdefault(path[0], str(error.get("type") or ""))
        answers: dict[str, dict[str, Any]] = {}
        for i, repo in enumerate(names):
            answers[repo] = {"root": self._settled(repo, "root", refused.get(f"t{i}"),
                                                   lambda a=data.get(f"t{i}"): _root_listing(a)),
                             "deploy_keys": self._settled(repo, "deploy_keys", refused.get(f"k{i}"),
                                                          lambda a=data.get(f"k{i}"): _deploy_keys(a))}
        return answers

    @staticmethod
    def _settled(repo: str, fact: str, error_type: str | None, read: Callable[[], Any]) -> Any:
        """The fact read from the answer when GitHub raised no error on it; the repository's error for
        NOT_FOUND (and FORBIDDEN on deploy keys); ASK_REST for any other error."""
        if error_type is None:
            return read()
        if error_type == "NOT_FOUND":
            what = "the top directory" if fact == "root" else "the deploy keys"
            return CollectionError(f"GitHub returned 404 for {what} of {repo}: it does not exist or the token "
                                   "cannot see it.")
        if error_type == "FORBIDDEN" and fact == "deploy_keys":
            return CollectionError(deploy_keys_refused(repo, "answers FORBIDDEN"))
        return ASK_REST

    def _graphql(self, query: str, variables: dict[str, str], names: list[str]) -> tuple[dict[str, Any], list]:
        """POST the query to GitHub's GraphQL endpoint: (data, errors), partial data kept.

        PyGithub derives the endpoint from the base URL (api.github.com/graphql; GitHub
        Enterprise's .../api/v3 becomes .../api/graphql). Its `graphql_query` raises on any
        error, which would lose the other repositories' answers, so the request is made here.
        GitHub answers its GraphQL rate limit with HTTP 200 and an error of type RATE_LIMITED:
        it is raised as the 403 it means, so `call` waits it out as for REST.
        """
        requester = self.client().requester
        callchain.record("github", "POST", "/graphql" + json.dumps({"repositories": names}))
        headers, body = requester.requestJsonAndCheck(
            "POST", requester.graphql_url, input={"query": query, "variables": variables})
        body = body if isinstance(body, dict) else {}
        errors = body.get("errors") if isinstance(body.get("errors"), list) else []
        data = body.get("data")
        if not isinstance(data, dict):
            messages = "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict)) or "no data"
            if any(isinstance(e, dict) and e.get("type") == "RATE_LIMITED" for e in errors):
                raise GithubException(403, {"message": f"GraphQL rate limit: {messages}"}, headers)
            raise CollectionError(f"GitHub's GraphQL API answered without data: {messages}")
        return data, errors
