"""A cheap load client for the web benchmarks: threads on http.client, to 127.0.0.1 only.

The server and this client share the machine's cores, so the client does little: one
connection per request (gunicorn's sync workers close every connection anyway), regular
expressions instead of an HTML parser, and each thread keeps its own tally, merged at the
end, so no lock is taken per request.

A respondent here is what a browser without script does (tests/respondents/
test_concurrency.py): GET the open link's consent page, POST consent (303 to the resume
link), GET the first page, then for each page POST its answers with the CSRF token and the
page's hidden fields (303) and GET the next page. A "submit" is that POST plus the GET of
the page it leads to: token lookup, CSRF check, validation, save, next page rendered.
"""

from __future__ import annotations

import http.client
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

USER_AGENT = "panelwave-bench/1"
# The end page (respondents/templates/respondents/end.html) thanks the respondent.
END_MARK = "Thank you"
BARE_PATH = "/bench/bare/"
# Bounds on every loop: a respondent makes at most this many moves (the form has four
# pages; the rest is room for retries while the database is away), a client thread at most
# this many respondents or bare requests.
MAX_MOVES = 400
MAX_ITERATIONS = 1_000_000

Pages = Mapping[str, Mapping[str, Sequence[str]]]
Span = tuple[float, float]

_HIDDEN = {
    name: re.compile(rf'name="{name}" value="([^"]*)"')
    for name in ("csrfmiddlewaretoken", "_pw_page", "_pw_step")
}
_SHOWN = re.compile(r'name="_pw_shown" value="([^"]*)"')


@dataclass(frozen=True)
class Reply:
    status: int
    location: str
    body: str


@dataclass
class RespondentLog:
    """One respondent as the client saw it: its resume token and the pages the server
    acknowledged (answered 303 to)."""

    token: str
    acked: list[str] = field(default_factory=list)
    finished: bool = False


@dataclass
class Tally:
    # Every HTTP request: (start, end, status), status 0 when no HTTP answer came back.
    requests: list[tuple[float, float, int]] = field(default_factory=list)
    submits: list[Span] = field(default_factory=list)
    bare: list[Span] = field(default_factory=list)
    respondents: list[RespondentLog] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def merge(self, other: Tally) -> None:
        self.requests += other.requests
        self.submits += other.submits
        self.bare += other.bare
        self.respondents += other.respondents
        self.errors.update(other.errors)


class Deadline:
    """When the clients stop starting work; a scenario may move it while they run."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def passed(self) -> bool:
        return time.monotonic() >= self.at


class Client:
    def __init__(self, port: int, tally: Tally, timeout: float) -> None:
        self.port = port
        self.tally = tally
        self.timeout = timeout

    def call(
        self,
        method: str,
        path: str,
        fields: Sequence[tuple[str, str]] | None = None,
        cookies: dict[str, str] | None = None,
    ) -> Reply | None:
        headers = {"User-Agent": USER_AGENT, "Accept-Language": "en"}
        body = None
        if fields is not None:
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        began = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            reply = conn.getresponse()
            data = reply.read()
        except (OSError, http.client.HTTPException) as exc:
            self.tally.requests.append((began, time.monotonic(), 0))
            self.tally.errors[f"no answer: {type(exc).__name__}"] += 1
            return None
        finally:
            conn.close()
        self.tally.requests.append((began, time.monotonic(), reply.status))
        if reply.status >= 400:
            self.tally.errors[f"HTTP {reply.status}"] += 1
        if cookies is not None:
            for header in reply.msg.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                cookies[name.strip()] = rest.split(";", 1)[0]
        return Reply(reply.status, reply.getheader("Location", ""), data.decode(errors="replace"))


def _hidden(html: str, name: str) -> str | None:
    match = _HIDDEN[name].search(html)
    return match.group(1) if match else None


def page_fields(html: str, answers: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """The POST a browser sends for the page in `html` with these answers ("Next")."""
    fields = [(name, _hidden(html, name) or "") for name in _HIDDEN]
    fields += [("_pw_shown", name) for name in _SHOWN.findall(html)]
    fields += [(name, value) for name, values in answers.items() for value in values]
    return [*fields, ("_pw_action", "next"), ("website", "")]


def respond(client: Client, slug: str, pages: Pages, deadline: Deadline, pause: float) -> None:
    """One respondent from consent through the pages, until the end page or the deadline.

    A failed request is retried after `pause` by fetching the page again (the server says
    which page the respondent is really on), as a person would reload.
    """
    cookies: dict[str, str] = {}
    consent = client.call("GET", f"/s/{slug}/?src=bench", cookies=cookies)
    csrf = _hidden(consent.body, "csrfmiddlewaretoken") if consent else None
    if consent is None or consent.status != 200 or csrf is None:
        time.sleep(pause)
        return
    fields = [("csrfmiddlewaretoken", csrf), ("website", "")]
    started = client.call("POST", f"/s/{slug}/?src=bench", fields, cookies)
    if started is None or started.status != 303:
        time.sleep(pause)
        return
    url = started.location
    log = RespondentLog(token=url.rstrip("/").rsplit("/", 1)[-1])
    client.tally.respondents.append(log)
    page = client.call("GET", url, cookies=cookies)
    for _ in range(MAX_MOVES):
        if deadline.passed():
            return
        if page is None or page.status != 200:
            time.sleep(pause)
            page = client.call("GET", url, cookies=cookies)
            continue
        name = _hidden(page.body, "_pw_page")
        if name is None:
            log.finished = END_MARK in page.body
            if not log.finished:
                client.tally.errors["neither a page nor the end page"] += 1
            return
        began = time.monotonic()
        posted = client.call("POST", url, page_fields(page.body, pages[name]), cookies)
        if posted is None or posted.status != 303:
            if posted is not None and posted.status == 200:
                client.tally.errors["page refused (shown again)"] += 1
            time.sleep(pause)
            page = client.call("GET", url, cookies=cookies)
            continue
        log.acked.append(name)
        page = client.call("GET", posted.location, cookies=cookies)
        if page is not None and page.status == 200:
            client.tally.submits.append((began, time.monotonic()))
    client.tally.errors["respondent gave up (too many moves)"] += 1


def bare_insert(client: Client, deadline: Deadline) -> None:
    """A burst of POSTs to the bare one-INSERT view, until the deadline."""
    for number in range(MAX_ITERATIONS):
        if deadline.passed():
            return
        began = time.monotonic()
        reply = client.call("POST", BARE_PATH, [("n", str(number))])
        if reply is not None and reply.status == 200:
            client.tally.bare.append((began, time.monotonic()))


def drive(
    clients: int,
    deadline: Deadline,
    work: Callable[[Client, Deadline], None],
    *,
    port: int,
    timeout: float = 30.0,
) -> Tally:
    """`clients` threads each running `work` again and again until the deadline."""
    tallies = [Tally() for _ in range(clients)]

    def loop(tally: Tally) -> None:
        client = Client(port, tally, timeout)
        for _ in range(MAX_ITERATIONS):
            if deadline.passed():
                return
            work(client, deadline)

    threads = [threading.Thread(target=loop, args=(t,), daemon=True) for t in tallies]
    for thread in threads:
        thread.start()
    for thread in threads:
        # Bounded: past the deadline a thread finishes at most its current request.
        thread.join(timeout=max(0.0, deadline.at - time.monotonic()) + timeout + 30)
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("load clients did not stop after the deadline")
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total


def percentile_ms(spans: Sequence[Span], fraction: float) -> float:
    if not spans:
        return 0.0
    ordered = sorted(end - start for start, end in spans)
    # Nearest rank.
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return round(ordered[index] * 1000, 1)


def ended_within(spans: Sequence[Span], start: float, end: float) -> list[Span]:
    return [span for span in spans if start <= span[1] <= end]
