"""Queues per kind of work: the fan-out of purchase orders, carrier calls and payments go to
queues the mail worker never consumes, mail goes to its own, and `make run` starts one worker
per entry of WORKER_QUEUES, consuming exactly those queues."""

import pytest
from django.conf import settings

from network.celery import app
from network.run import BIN, worker_commands

MAIL_WORKER = "worker-mail"


@pytest.fixture(scope="module")
def routes() -> dict[str, str]:
    """Every task the workers know, and the queue it is sent to."""
    app.loader.import_default_modules()
    return {
        name: app.amqp.router.route({}, name)["queue"].name
        for name in app.tasks
        if not name.startswith("celery.")
    }


def _worker_of(queue: str) -> str:
    (worker,) = [name for name, queues in settings.WORKER_QUEUES.items() if queue in queues]
    return worker


@pytest.mark.parametrize("prefix", ["orders.tasks.", "shipping.tasks.", "payments.tasks."])
def test_fan_out_carrier_and_payment_work_never_waits_behind_mail(routes, prefix):
    tasks = {name: queue for name, queue in routes.items() if name.startswith(prefix)}
    assert tasks, prefix
    for name, queue in tasks.items():
        assert queue not in settings.WORKER_QUEUES[MAIL_WORKER], name
        assert _worker_of(queue) != MAIL_WORKER, name
    assert routes["orders.tasks.purchase_order_fan_out"] == "orders"
    assert routes["shipping.tasks.booking_sync"] == "shipping"


def test_fan_out_and_carrier_calls_have_workers_of_their_own(routes):
    assert _worker_of(routes["orders.tasks.purchase_order_fan_out"]) != _worker_of(
        routes["shipping.tasks.booking_sync"]
    )


def test_mail_goes_to_the_mail_queue(routes):
    for name in (
        "network.tasks.notification_deliver",
        "network.tasks.notification_mail_batch",
        "deals.tasks.message_mail",
    ):
        assert routes[name] == "mail", name
    assert _worker_of("mail") == MAIL_WORKER


def test_every_task_goes_to_a_queue_some_worker_consumes(routes):
    consumed = {queue for queues in settings.WORKER_QUEUES.values() for queue in queues}
    assert {name: queue for name, queue in routes.items() if queue not in consumed} == {}


def test_make_run_starts_one_worker_per_kind_of_work_with_its_own_concurrency():
    commands = worker_commands({"WORKER_MAIL_CONCURRENCY": "3"})
    assert list(commands) == list(settings.WORKER_QUEUES)
    for name, command in commands.items():
        assert command[:4] == [str(BIN / "celery"), "-A", "network", "worker"]
        queues = command[command.index("-Q") + 1].split(",")
        assert queues == list(settings.WORKER_QUEUES[name])
        assert command[command.index("--hostname") + 1].startswith(f"{name}-")
    assert commands["worker"][commands["worker"].index("--concurrency") + 1] == "2"
    assert commands["worker-mail"][commands["worker-mail"].index("--concurrency") + 1] == "3"
    assert "mail" not in commands["worker"][commands["worker"].index("-Q") + 1].split(",")
