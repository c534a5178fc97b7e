"""docker-compose.yml and the Dockerfile agree with the settings: one image for every process,
the service names in the URLs, health checks, the Celery app and queues, no root at run time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
WORKERS = tuple(settings.WORKER_QUEUES)
APP_SERVICES = ("web", *WORKERS, "beat")


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


def test_the_services_exist(services):
    assert {"postgres", "redis", *APP_SERVICES} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_web_worker_and_beat_run_the_same_image(services):
    builds = {repr(services[name].get("build")) for name in APP_SERVICES}
    assert len(builds) == 1 and builds != {"None"}
    images = {services[name].get("image") for name in APP_SERVICES}
    assert len(images) == 1


@pytest.mark.parametrize("name", APP_SERVICES)
def test_the_urls_name_the_postgres_and_redis_services(services, name):
    environment = services[name]["environment"]
    assert re.match(r"postgres(ql)?://[^@]+@postgres:5432/", environment["DATABASE_URL"])
    assert re.match(r"redis://redis:6379/\d+$", environment["REDIS_URL"])
    assert environment["DJANGO_PRODUCTION"] == "true"


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
    }
    assert mounted <= volumes
    assert any(
        entry.endswith(":/var/lib/postgresql/data") for entry in services["postgres"]["volumes"]
    )
    assert any(entry.endswith(":/data") for entry in services["redis"]["volumes"])
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
