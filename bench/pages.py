"""Server time and statement count of every page of the site, as each kind of person sees it
with the demo data, slowest first; and the operators' review actions on fresh applications.

The pages are those of the site crawler (``tests/site_pages.py``): every GET URL pattern with
its path parameters filled with what the person's organisation can see, kept when it answers
200 with HTML. Each is requested ``--rounds`` times (after one warm-up request) through the
Django test client in this process: the time is the server's (URL resolution, middleware,
view, template, database round trips), without HTTP or a network hop. The statement count is
taken on one more request. A trivial view (``HttpResponse("ok")``) behind the same middleware
gives the floor every page pays, for scale.

The review actions (start review, tick the checklist, approve) are POSTed, as an operator, on
fresh submitted applications like the demo's (three documents, a brand claim, owner and admin to
notify); their time is the POST's, and "seen" adds the page the browser is sent back to.

    .venv/bin/python bench/pages.py [--rounds 5] [--roles operator,merchant] [--applications 10]
                                   [--top 40] [--profile /merchants/review/]

Follow-up work is queued to the broker of ``REDIS_URL`` (nothing runs it: set a Redis database
of your own). A scratch database is created on the development server and dropped afterwards.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import scratch_database  # noqa: E402

# The demo person of each role (tests/site_pages.py's), by a short name.
ROLES = {
    "anonymous": "anonymous",
    "buyer": "buyer owner",
    "merchant": "merchant owner",
    "operator": "operator staff",
}


@dataclass
class Timing:
    role: str
    url: str
    times_ms: list[float] = field(default_factory=list)
    queries: int = 0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def trivial(request):
    from django.http import HttpResponse

    return HttpResponse("ok", content_type="text/plain")


def __getattr__(name):  # this module is also the URLconf of the trivial view's request
    if name == "urlpatterns":
        from django.urls import path

        return [path("bench/trivial/", trivial)]
    raise AttributeError(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed requests per page")
    parser.add_argument(
        "--roles", default=",".join(ROLES), help=f"comma-separated, of {', '.join(ROLES)}"
    )
    parser.add_argument(
        "--applications", type=int, default=10, help="fresh applications taken through review"
    )
    parser.add_argument("--top", type=int, default=0, help="print only the N slowest pages")
    parser.add_argument(
        "--profile", default="", help="print a profile of the pages whose URL starts with this"
    )
    args = parser.parse_args()
    roles = [role.strip() for role in args.roles.split(",") if role.strip()]
    unknown = set(roles) - set(ROLES)
    if unknown:
        parser.error(f"unknown roles: {', '.join(sorted(unknown))}")

    media = tempfile.mkdtemp(prefix="bench-pages-media-")
    environ = {
        "MEDIA_ROOT": f"{media}/media",
        "PRIVATE_MEDIA_ROOT": f"{media}/private",
        "DJANGO_DEBUG": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    with scratch_database(f"bench_pages_{os.getpid()}", environ=environ) as url:
        run(args, roles, url)
    return 0


def run(args, roles: list[str], database_url: str) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tests.site_pages import demo_people, pages_for, sign_in_as

    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
    print(f"Demo seeded in {time.perf_counter() - started:.0f} s.", flush=True)

    people = demo_people()
    timings: list[Timing] = []
    floors: dict[str, Timing] = {}
    for role in roles:
        person = people[ROLES[role]]
        client = Client()
        client.raise_request_exception = False
        started = time.perf_counter()
        urls = pages_for(client, person)  # signs in; the first request of each page warms it
        print(
            f"{role}: {len(urls)} pages found in {time.perf_counter() - started:.0f} s.",
            flush=True,
        )
        floors[role] = _time_trivial(client, role, args.rounds)
        for url in urls:
            timing = Timing(role, url)
            for _round in range(args.rounds):
                began = time.perf_counter()
                client.get(url)
                timing.times_ms.append((time.perf_counter() - began) * 1000)
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            timing.queries = len(captured)
            timings.append(timing)
            if args.profile and url.startswith(args.profile):
                _profile(client, url)
        sign_in_as(client, None)

    timings.sort(key=lambda t: t.percentile(0.95), reverse=True)
    shown = timings[: args.top] if args.top else timings
    print()
    print(f"Pages, slowest first (server time in-process, {args.rounds} rounds each):")
    print(f"  {'p50 ms':>7} {'p95 ms':>7} {'queries':>7}  {'role':<9} page")
    for timing in shown:
        print(
            f"  {timing.percentile(0.5):7.1f} {timing.percentile(0.95):7.1f} "
            f"{timing.queries:7d}  {timing.role:<9} {timing.url}"
        )
    if len(shown) < len(timings):
        print(f"  … and {len(timings) - len(shown)} faster pages")
    for role, floor in floors.items():
        print(
            f"  {floor.percentile(0.5):7.1f} {floor.percentile(0.95):7.1f} "
            f"{floor.queries:7d}  {role:<9} trivial view (same middleware), for scale"
        )
    over = [t for t in timings if t.percentile(0.95) >= 150]
    print(
        f"{len(timings)} pages; {len(over)} at or over 150 ms p95; most statements: "
        f"{max((t.queries for t in timings), default=0)}."
    )

    if args.applications:
        review_actions(people["operator staff"], args.applications)
        first_visits(people["operator staff"], database_url)


def _time_trivial(client, role: str, rounds: int) -> Timing:
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext

    timing = Timing(role, "/bench/trivial/")
    with override_settings(ROOT_URLCONF="bench.pages"):
        client.get(timing.url)
        for _round in range(max(rounds, 20)):
            began = time.perf_counter()
            client.get(timing.url)
            timing.times_ms.append((time.perf_counter() - began) * 1000)
        with CaptureQueriesContext(connection) as captured:
            client.get(timing.url)
    timing.queries = len(captured)
    return timing


def _profile(client, url: str) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url)
    profiler.disable()
    print(f"--- profile of {url}")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


# --- The review actions ------------------------------------------------------------------------


def _fresh_applications(count: int):
    """``count`` merchants that have just submitted a complete application, as the demo's."""
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from merchants.demo import _add_document, demo_pdf, demo_png
    from merchants.models import (
        ApplicationStatus,
        BrandClaim,
        MerchantApplication,
        MerchantDocument,
        ProductCategory,
    )
    from network.models import Membership, Organization, Role, User

    applications = []
    stamp = int(time.time())
    # New organisations of the bench's own, each with its application: no one tenant's scope.
    with scopes_disabled():
        for index in range(count):
            name = f"Bench Applicant {stamp}-{index}"
            organization = Organization.objects.create(
                name=name, slug=f"bench-applicant-{stamp}-{index}", kind="merchant", country="US"
            )
            owner = User.objects.create_user(email=f"owner-{stamp}-{index}@bench.example")
            admin = User.objects.create_user(email=f"admin-{stamp}-{index}@bench.example")
            Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
            Membership.objects.create(user=admin, organization=organization, role=Role.ADMIN)
            application = MerchantApplication.objects.create(
                organization=organization,
                status=ApplicationStatus.SUBMITTED,
                legal_name=f"{name} LLC",
                ein="38-1234567",
                state_of_incorporation="MI",
                address_line1="1 Woodward Ave",
                city="Detroit",
                state="MI",
                postal_code="48226",
                website="https://bench.example",
                contact_name="Jordan Lee",
                contact_phone="+13135550100",
                year_founded=1987,
                employee_band="10-49",
                revenue_band="1-10m",
                categories=[ProductCategory.FOOD],
                export_experience="some",
                fulfilment="own",
                submitted_at=timezone.now(),
                submission_count=1,
            )
            BrandClaim.objects.create(
                application=application, name=name, relationship="owner", trademark_number="5123456"
            )
            for kind, file_name, content, content_type in [
                (
                    MerchantDocument.Kind.REGISTRATION,
                    "articles.pdf",
                    demo_pdf(name),
                    "application/pdf",
                ),
                (MerchantDocument.Kind.W9, "w9.pdf", demo_pdf("W-9"), "application/pdf"),
                (MerchantDocument.Kind.INSURANCE, "insurance.png", demo_png(name), "image/png"),
            ]:
                _add_document(application, kind, file_name, content, content_type, owner)
            applications.append(application)
    return applications


def review_actions(operator, count: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from merchants.models import MerchantApplication
    from tests.site_pages import sign_in_as

    applications = _fresh_applications(count + 1)  # the first warms every path up
    client = Client()
    client.raise_request_exception = False
    sign_in_as(client, operator)
    steps = ["open review page", "start review", "tick checklist", "approve"]
    posted = {step: Timing("operator", step) for step in steps}
    seen = {step: Timing("operator", step) for step in steps}
    checklist = {name: "on" for name in MerchantApplication.CHECKLIST}
    for index, application in enumerate(applications):
        page = f"/merchants/review/{application.pk}/"
        requests = [
            ("open review page", "GET", page, {}),
            ("start review", "POST", f"{page}start/", {}),
            ("tick checklist", "POST", f"{page}checklist/", checklist),
            ("approve", "POST", f"{page}approve/", {}),
        ]
        for step, method, url, data in requests:
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                response = client.get(url) if method == "GET" else client.post(url, data)
                answered = time.perf_counter()
                if response.status_code == 302:
                    client.get(response["Location"])
                ended = time.perf_counter()
            expected = 200 if method == "GET" else 302
            if response.status_code != expected:
                print(f"  {step} on {url} answered {response.status_code}")
            if index == 0:
                continue
            posted[step].times_ms.append((answered - began) * 1000)
            seen[step].times_ms.append((ended - began) * 1000)
            posted[step].queries = len(captured)  # with the page it redirects to
    print()
    print(
        f"Review actions on {count} fresh submitted applications (server time in-process; "
        "'seen' adds the page the browser is sent back to, and the statements count both):"
    )
    print(f"  {'p50 ms':>7} {'p95 ms':>7} {'seen p50':>8} {'seen p95':>8} {'queries':>7}  action")
    for step in steps:
        print(
            f"  {posted[step].percentile(0.5):7.1f} {posted[step].percentile(0.95):7.1f} "
            f"{seen[step].percentile(0.5):8.1f} {seen[step].percentile(0.95):8.1f} "
            f"{posted[step].queries:7d}  {step}"
        )


# --- First visits over HTTP -------------------------------------------------------------------


def unwarmed():
    """The WSGI application as Django makes it, without the project's start-up warming: what
    every worker was before it, for comparison."""
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def first_visits(operator, database_url: str) -> None:
    """The review flow as an operator's browser walks it over HTTP (page, start, page, checklist,
    page, approve, page) against a gunicorn worker that has just started and served nothing but
    a static file: each request's time as the client sees it, for the worker as deployed and for
    one without the start-up warming."""
    import http.client
    from urllib.parse import urlencode

    from django.test import Client

    from bench._http import gunicorn
    from merchants.models import MerchantApplication
    from tests.site_pages import sign_in_as

    client = Client()
    sign_in_as(client, operator)
    client.get("/merchants/review/")  # sets the CSRF cookie
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    token = cookies["csrftoken"]
    checklist = {name: "on" for name in MerchantApplication.CHECKLIST}
    print()
    print(
        "First visits of the review flow after a worker starts, over HTTP (gunicorn, 1 worker, "
        "time seen by the client):"
    )
    print(f"  {'warmed ms':>9} {'unwarmed ms':>11}  request")
    labels = {
        "GET": "open the review page",
        "start": "start review",
        "checklist": "tick the checklist",
        "approve": "approve",
    }
    flow: list[str] = []
    figures: dict[str, list[float]] = {}
    for app in ("network.wsgi:application", "bench.pages:unwarmed()"):
        (application,) = _fresh_applications(1)
        page = f"/merchants/review/{application.pk}/"
        steps = [
            ("GET", page, {}),
            ("POST", f"{page}start/", {}),
            ("GET", page, {}),
            ("POST", f"{page}checklist/", checklist),
            ("GET", page, {}),
            ("POST", f"{page}approve/", {}),
            ("GET", page, {}),
        ]
        flow = [labels[m if m == "GET" else p.rstrip("/").rsplit("/")[-1]] for m, p, _d in steps]
        times = figures.setdefault(app, [])
        with gunicorn(database_url, workers=1, app=app) as port:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            _wait_for_worker(connection)
            for method, path, data in steps:
                headers = {"Cookie": cookie}
                body = None
                if method == "POST":
                    body = urlencode({"csrfmiddlewaretoken": token, **data})
                    headers["Content-Type"] = "application/x-www-form-urlencoded"
                began = time.perf_counter()
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                times.append((time.perf_counter() - began) * 1000)
                if response.status not in (200, 302):
                    print(f"  {method} {path} answered {response.status}")
            connection.close()
    warmed, cold = figures.values()
    for label, warm_ms, cold_ms in zip(flow, warmed, cold, strict=True):
        print(f"  {warm_ms:9.0f} {cold_ms:11.0f}  {label}")
    print(f"  {sum(warmed):9.0f} {sum(cold):11.0f}  the whole flow")


def _wait_for_worker(connection) -> None:
    """Until the worker answers a static file (served before any page's code runs)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            connection.request("GET", "/favicon.ico")
            connection.getresponse().read()
            return
        except OSError:
            connection.close()
            time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
