"""docker-compose.yml and the Dockerfile agree with the settings: one image for every process,
the service names in the URLs, health checks, the Celery app and queues, no root at run time;
PgBouncer and the load balancer's files agree with the compose file and with
scripts/compose_local.py, and the balancer passes on only the forwarded headers it may."""

from __future__ import annotations

import configparser
import http.server
import json
import os
import re
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from scripts.local_proxies import HAPROXY, LocalHAProxy, render_haproxy_cfg, render_pgbouncer_ini

ROOT = Path(__file__).resolve().parents[2]
WORKERS = tuple(settings.WORKER_QUEUES)
APP_SERVICES = ("web", *WORKERS, "beat")
PGBOUNCER_INI = ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini"
HAPROXY_CFG = ROOT / "deploy" / "haproxy" / "haproxy.cfg"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return [i.strip() for i in re.sub(r"\\\n", " ", "\n".join(lines)).splitlines() if i.strip()]


def _command(service: dict) -> list[str]:
    command = service["command"]
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def _option(command: list[str], *names: str) -> str:
    for index, part in enumerate(command):
        if part in names:
            return command[index + 1]
        for name in names:
            if part.startswith(f"{name}="):
                return part.split("=", 1)[1]
    raise AssertionError(f"none of {names} in {command}")


def _routed_queues() -> set[str]:
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return routed | {settings.CELERY_TASK_DEFAULT_QUEUE}


@pytest.fixture(scope="module")
def pgbouncer_ini() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(comment_prefixes=(";", "#"), interpolation=None)
    parser.read_string(PGBOUNCER_INI.read_text())
    return parser


@pytest.fixture(scope="module")
def haproxy_cfg() -> list[str]:
    """The balancer's configuration lines, comments dropped."""
    lines = (line.split("#", 1)[0].strip() for line in HAPROXY_CFG.read_text().splitlines())
    return [line for line in lines if line]


def test_the_services_exist(services):
    assert {
        "postgres",
        "pgbouncer",
        "redis-broker",
        "redis-cache",
        "lb",
        *APP_SERVICES,
    } <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["pgbouncer"]["image"].startswith("edoburu/pgbouncer:")
    assert services["redis-broker"]["image"].startswith("redis:")
    assert services["redis-cache"]["image"].startswith("redis:")
    assert services["lb"]["image"].startswith("haproxy:")


def test_web_worker_and_beat_run_the_same_image(services):
    builds = {repr(services[name].get("build")) for name in APP_SERVICES}
    assert len(builds) == 1 and builds != {"None"}
    images = {services[name].get("image") for name in APP_SERVICES}
    assert len(images) == 1


@pytest.mark.parametrize("name", APP_SERVICES)
def test_the_app_reaches_postgres_through_pgbouncer_and_each_redis_by_its_role(
    services, pgbouncer_ini, name
):
    environment = services[name]["environment"]
    listen_port = pgbouncer_ini["pgbouncer"]["listen_port"]
    assert re.match(rf"postgres(ql)?://[^@]+@pgbouncer:{listen_port}/", environment["DATABASE_URL"])
    assert environment["DATABASE_PGBOUNCER"] == "true"
    assert re.match(r"redis://redis-broker:6379/\d+$", environment["REDIS_BROKER_URL"])
    assert re.match(r"redis://redis-cache:6379/\d+$", environment["REDIS_CACHE_URL"])
    assert environment["REDIS_URL"] == environment["REDIS_BROKER_URL"]
    assert environment["DJANGO_PRODUCTION"] == "true"


def test_migrate_goes_straight_to_postgres_with_the_rest_of_the_app_environment(services):
    migrate, web = services["migrate"]["environment"], services["web"]["environment"]
    assert re.match(r"postgres(ql)?://[^@]+@postgres:5432/", migrate["DATABASE_URL"])
    assert migrate["DATABASE_URL"].split("@")[0] == web["DATABASE_URL"].split("@")[0]
    assert migrate["DATABASE_URL"].rsplit("/", 1)[1] == web["DATABASE_URL"].rsplit("/", 1)[1]
    assert migrate["DATABASE_PGBOUNCER"] == "false"
    different = {key for key in web if migrate.get(key) != web[key]}
    assert different == {"DATABASE_URL", "DATABASE_PGBOUNCER"}
    assert set(services["migrate"]["depends_on"]) == {"postgres", "redis-broker", "redis-cache"}


def test_pgbouncer_pools_transactions_in_front_of_the_postgres_service(services, pgbouncer_ini):
    from scripts.compose_local import CONFIG_FILES

    pgbouncer = services["pgbouncer"]
    source, target = CONFIG_FILES["pgbouncer"]
    assert f"./{source.relative_to(ROOT)}:{target}:ro" in pgbouncer["volumes"]
    assert pgbouncer_ini["pgbouncer"]["pool_mode"] == "transaction"
    assert pgbouncer_ini["databases"]["*"] == "host=postgres port=5432"
    assert pgbouncer_ini["pgbouncer"]["auth_type"] == pgbouncer["environment"]["AUTH_TYPE"]
    assert pgbouncer_ini["pgbouncer"]["auth_file"] == str(Path(target).parent / "userlist.txt")
    postgres = services["postgres"]["environment"]
    assert pgbouncer["environment"]["DB_USER"] == postgres["POSTGRES_USER"]
    assert pgbouncer["environment"]["DB_PASSWORD"] == postgres["POSTGRES_PASSWORD"]
    pool = int(pgbouncer_ini["pgbouncer"]["default_pool_size"])
    reserve = int(pgbouncer_ini["pgbouncer"]["reserve_pool_size"])
    assert pool + reserve <= 50  # half of PostgreSQL's default max_connections
    check = pgbouncer["healthcheck"]["test"]
    assert check[:2] == ["CMD", "pg_isready"]
    assert check[check.index("-p") + 1] == pgbouncer_ini["pgbouncer"]["listen_port"]
    assert pgbouncer["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_broker_keeps_its_data_and_the_cache_evicts_instead(services):
    broker = _command(services["redis-broker"])
    assert _option(broker, "--appendonly") == "yes"
    assert any(entry.endswith(":/data") for entry in services["redis-broker"]["volumes"])
    cache = _command(services["redis-cache"])
    assert _option(cache, "--appendonly") == "no" and _option(cache, "--save") == ""
    assert _option(cache, "--maxmemory-policy") == "allkeys-lru"
    assert re.fullmatch(r"\$\{REDIS_CACHE_MAXMEMORY:-\d+mb\}", _option(cache, "--maxmemory"))
    assert "volumes" not in services["redis-cache"]


def test_only_the_balancer_publishes_the_site_and_it_balances_every_web_replica(
    services, haproxy_cfg
):
    from scripts.compose_local import CONFIG_FILES

    lb = services["lb"]
    assert lb["ports"] == ["${WEB_PORT:-8000}:8000"]
    assert [name for name, service in services.items() if service.get("ports")] == ["lb"]
    source, target = CONFIG_FILES["lb"]
    assert f"./{source.relative_to(ROOT)}:{target}:ro" in lb["volumes"]
    assert lb["depends_on"]["web"]["condition"] == "service_healthy"
    assert "bind :8000" in haproxy_cfg
    web_port = _option(_command(services["web"]), "--bind", "-b").rsplit(":", 1)[1]
    templates = [line for line in haproxy_cfg if line.startswith("server-template ")]
    assert templates and all(f" web:{web_port} " in line for line in templates)
    assert all("resolvers docker" in line for line in templates)
    assert "resolvers docker" in haproxy_cfg
    assert "nameserver dns 127.0.0.11:53" in haproxy_cfg
    # Checked replicas on /healthz, as web's own compose health check.
    checked = [line for line in templates if " check" in line]
    assert checked
    check = next(line for line in haproxy_cfg if line.startswith("http-check send "))
    assert "uri /healthz" in check
    assert "http-check expect status 200" in haproxy_cfg
    assert "option forwardfor" in haproxy_cfg
    # The balancer's own health check asks its monitor.
    monitor = next(line for line in haproxy_cfg if line.startswith("monitor-uri "))
    monitor_port = next(
        line.split(":")[1]
        for line in haproxy_cfg
        if line.startswith("bind :") and line != "bind :8000"
    )
    assert f"http://127.0.0.1:{monitor_port}{monitor.split()[1]}" in lb["healthcheck"]["test"]
    assert lb["environment"]["LB_TLS_PROXIES"] == "${LB_TLS_PROXIES:-}"


def test_the_app_counts_the_address_the_balancer_appends(services):
    for name in APP_SERVICES:
        assert services[name]["environment"]["TRUSTED_PROXY_COUNT"] == "${TRUSTED_PROXY_COUNT:-1}"


def test_the_carrier_process_calls_the_site_through_the_balancer(services):
    command = _command(services["carriers"])
    assert _option(command, "--booking-callback").startswith("http://lb:8000/")


def test_the_configuration_files_render_for_this_machine(tmp_path):
    rendered = render_pgbouncer_ini(
        server_host="127.0.0.1", server_port=5432, listen_port=6543, auth_file=tmp_path / "u"
    )
    parser = configparser.ConfigParser(comment_prefixes=(";", "#"), interpolation=None)
    parser.read_string(rendered)
    assert parser["databases"]["*"] == "host=127.0.0.1 port=5432"
    assert parser["pgbouncer"]["listen_port"] == "6543"
    assert parser["pgbouncer"]["pool_mode"] == "transaction"
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        render_haproxy_cfg(
            port=8100, servers=[("127.0.0.1", 8101), ("127.0.0.1", 8102)], monitor_port=8104
        )
    )
    assert "server web2 127.0.0.1:8102 check" in config.read_text()
    assert "resolvers" not in config.read_text()
    if not os.access(HAPROXY, os.X_OK):
        pytest.skip("haproxy is not installed (scripts/ensure_test_servers.sh)")
    checked = subprocess.run(
        [HAPROXY, "-c", "-q", "-f", str(config)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


class _EchoHeaders(http.server.BaseHTTPRequestHandler):
    """A web process that answers /healthz and echoes the forwarded headers it got."""

    def do_GET(self):
        body = json.dumps(
            # Header lines of one name joined, as gunicorn hands them to the app.
            {
                name: ", ".join(self.headers.get_all(name) or [])
                for name in ("X-Forwarded-For", "X-Forwarded-Proto")
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def echo_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoHeaders)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.mark.parametrize(
    ("tls_proxies", "forwarded_for", "scheme"),
    [
        # A client's own claims are dropped: the app would trust them.
        ("", "127.0.0.1", "http"),
        # A TLS proxy listed in LB_TLS_PROXIES tells the client and the scheme.
        ("127.0.0.1/32", "203.0.113.7, 127.0.0.1", "https"),
    ],
)
def test_the_balancer_forwards_only_the_headers_it_may(
    echo_server, tls_proxies, forwarded_for, scheme
):
    if not os.access(HAPROXY, os.X_OK):
        pytest.skip("haproxy is not installed (scripts/ensure_test_servers.sh)")
    with LocalHAProxy(servers=[("127.0.0.1", echo_server)], tls_proxies=tls_proxies) as lb:
        request = urllib.request.Request(  # noqa: S310 - the local balancer
            f"{lb.url}/",
            headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            seen = json.loads(response.read())
    assert seen == {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": scheme}


def test_the_secret_key_must_be_given(services):
    for name in APP_SERVICES:
        assert services[name]["environment"]["DJANGO_SECRET_KEY"].startswith(
            "${DJANGO_SECRET_KEY:?"
        )


def test_every_service_is_health_checked_or_waits_for_healthy_ones(services):
    for name, service in services.items():
        if "healthcheck" in service:
            continue
        depends_on = service.get("depends_on")
        assert isinstance(depends_on, dict) and depends_on, f"{name} has no health check"
        for dependency, rule in depends_on.items():
            condition = rule["condition"]
            assert condition in {"service_healthy", "service_completed_successfully"}, name
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], dependency


def test_web_is_checked_on_healthz(services):
    check = " ".join(services["web"]["healthcheck"]["test"])
    assert "/healthz" in check


def test_migrations_run_once_before_every_app_process(services):
    assert _command(services["migrate"])[-3:] == ["manage.py", "migrate", "--noinput"]
    for name in APP_SERVICES:
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"


def test_web_serves_the_wsgi_application(services):
    command = _command(services["web"])
    assert command[:2] == ["gunicorn", "network.wsgi:application"]
    assert _option(command, "--bind", "-b").endswith(":8000")


@pytest.mark.parametrize("name", WORKERS)
def test_each_worker_consumes_the_queues_the_settings_give_it(services, name):
    command = _command(services[name])
    assert command[:4] == ["celery", "-A", "network", "worker"]
    assert _option(command, "-Q", "--queues").split(",") == list(settings.WORKER_QUEUES[name])


def test_every_routed_queue_has_exactly_one_worker():
    consumed = [queue for queues in settings.WORKER_QUEUES.values() for queue in queues]
    assert sorted(consumed) == sorted(_routed_queues())


@pytest.mark.parametrize("name", WORKERS)
def test_each_worker_has_its_own_concurrency_with_the_local_runs_default(services, name):
    from network.run import WORKER_CONCURRENCY, concurrency_variable

    concurrency = _option(_command(services[name]), "--concurrency", "-c")
    assert concurrency == f"${{{concurrency_variable(name)}:-{WORKER_CONCURRENCY[name]}}}"


def test_beat_runs_the_network_app(services):
    assert _command(services["beat"])[:4] == ["celery", "-A", "network", "beat"]
    assert settings.CELERY_BEAT_SCHEDULER.startswith("django_celery_beat.")


@pytest.mark.parametrize("name", WORKERS)
def test_each_worker_can_be_scaled_and_is_health_checked(services, name):
    worker = services[name]
    assert "container_name" not in worker
    assert "ports" not in worker
    assert worker["healthcheck"] == services["worker"]["healthcheck"]


def test_data_lives_in_named_volumes(compose, services):
    volumes = set(compose["volumes"])
    mounted = {
        entry.split(":", 1)[0]
        for service in services.values()
        for entry in service.get("volumes", [])
        if not entry.startswith("./")  # the configuration files of this checkout
    }
    assert mounted <= volumes
    assert any(
        entry.endswith(":/var/lib/postgresql/data") for entry in services["postgres"]["volumes"]
    )
    assert any(entry.endswith(":/data") for entry in services["redis-broker"]["volumes"])
    environment = services["web"]["environment"]
    web_mounts = [entry.split(":", 1)[1] for entry in services["web"]["volumes"]]
    for variable in ("MEDIA_ROOT", "PRIVATE_MEDIA_ROOT", "NETWORK_DATA_DIR"):
        assert any(environment[variable].startswith(mount) for mount in web_mounts), variable


def test_the_image_collects_static_files_at_build_time(dockerfile):
    runs = [line for line in dockerfile if line.startswith("RUN ")]
    assert any("manage.py collectstatic --noinput" in line for line in runs)
    assert any("npm ci" in line for line in runs)
    # settings serve htmx from BASE_DIR/node_modules/htmx.org/dist
    assert any(
        line.startswith("COPY --from=") and line.endswith("/app/node_modules/htmx.org")
        for line in dockerfile
    )


def test_the_image_does_not_run_as_root(dockerfile):
    users = [line.split()[1] for line in dockerfile if line.startswith("USER ")]
    assert users, "the Dockerfile has no USER line"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_the_image_starts_gunicorn_on_port_8000(dockerfile):
    assert "EXPOSE 8000" in dockerfile
    command = next(line for line in dockerfile if line.startswith("CMD "))
    assert '"network.wsgi:application"' in command and '"0.0.0.0:8000"' in command


def test_the_local_run_script_uses_the_compose_commands_word_for_word(services):
    from scripts.compose_local import COMMANDS

    assert set(COMMANDS) == {"migrate", *APP_SERVICES}
    for name in ("migrate", *APP_SERVICES):
        assert COMMANDS[name] == _command(services[name]), name


def test_the_local_run_script_runs_the_worker_healthcheck_of_compose(services):
    from scripts.compose_local import WORKER_HEALTHCHECK

    test = services["worker"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    assert test[1].replace("$$", "$") == WORKER_HEALTHCHECK


def test_web_logs_json_and_sums_metrics_over_its_processes(services, dockerfile):
    command = _command(services["web"])
    assert _option(command, "--config", "-c") == "python:network.gunicorn_config"
    assert "--access-logfile" not in command  # the app logs each request, with its id
    cmd = next(line for line in dockerfile if line.startswith("CMD "))
    assert '"python:network.gunicorn_config"' in cmd
    environment = services["web"]["environment"]
    assert environment["LOG_FORMAT"] == "json"
    assert environment["METRICS_TOKEN"] == "${METRICS_TOKEN:-}"


def test_no_app_service_pins_a_container_name(services):
    for name in ("migrate", *APP_SERVICES):
        assert "container_name" not in services[name], name
    assert all("ports" not in services[name] for name in (*WORKERS, "beat"))
