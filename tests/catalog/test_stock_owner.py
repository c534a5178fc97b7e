"""Stock has one owner: no module of the apps but ``catalog/stock.py`` (and the migrations)
writes ``Inventory`` or ``InventoryLedger`` rows.

A static check over the source, kept simple: it flags, outside the owner,

- a write through the models' managers or querysets (``Inventory.objects…update(…)``,
  ``InventoryLedger.objects.bulk_create(…)``, …) or through a SKU's related managers
  (``sku.inventory.save()``, ``sku.ledger.create(…)``);
- a new instance (``Inventory(…)``, ``InventoryLedger(…)``), which exists only to be saved;
- ``.save()``/``.delete()`` on a name bound to a row read through the models;
- the model class handed to another function (a bulk SQL writer, say);
- raw SQL that inserts into, updates or deletes from their tables.

Reading them (``filter``, ``select_for_update`` for a report, ``aggregate``) stays free."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ["network", "merchants", "catalog", "moderation", "orders", "shipping", "training"]
OWNER = ROOT / "catalog" / "stock.py"
MODELS = {"Inventory", "InventoryLedger"}
RELATED = {"inventory", "ledger"}  # SKU.inventory (one-to-one), SKU.ledger (reverse FK)
WRITES = {
    "save",
    "delete",
    "create",
    "get_or_create",
    "update_or_create",
    "update",
    "bulk_create",
    "bulk_update",
    "raw",
}
READ_ONLY_CALLS = {"register"}  # admin.register(Inventory): the admin refuses add/change/delete
RAW_WRITE = re.compile(
    r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?catalog_inventory(ledger)?\b", re.IGNORECASE
)


def _root(node: ast.AST) -> ast.AST:
    """The start of a chain such as ``Inventory.objects.filter(…).update``."""
    while True:
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return node


def _chain_attributes(node: ast.AST) -> list[str]:
    names = []
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            node = node.value
    return names


def _is_model(node: ast.AST) -> bool:
    root = _root(node)
    return isinstance(root, ast.Name) and root.id in MODELS


def stock_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) for each write of the stock models in ``source``."""
    tree = ast.parse(source)
    found = []
    # Names bound to rows read through the models: ``row = Inventory.objects.get(…)``,
    # ``for row in Inventory.objects.filter(…)``.
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_model(node.value):
            bound.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif (
            isinstance(node, ast.For | ast.comprehension)
            and _is_model(node.iter)
            and isinstance(node.target, ast.Name)
        ):
            bound.add(node.target.id)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and RAW_WRITE.search(node.value)
        ):
            found.append((node.lineno, "raw SQL write"))
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in MODELS:
            found.append((node.lineno, f"new {func.id}"))
            continue
        if isinstance(func, ast.Attribute) and func.attr in WRITES:
            root = _root(func.value)
            via_related = RELATED & set(_chain_attributes(func.value))
            if _is_model(func.value) or via_related:
                found.append((node.lineno, f".{func.attr}() on the stock models"))
                continue
            if isinstance(root, ast.Name) and root.id in bound and func.value is root:
                found.append((node.lineno, f".{func.attr}() on a stock row"))
                continue
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called in READ_ONLY_CALLS:
            continue
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(argument, ast.Name) and argument.id in MODELS:
                found.append((node.lineno, f"{argument.id} handed to {called}()"))
    return found


def _app_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or path == OWNER:
                continue
            yield path


def test_only_catalog_stock_writes_inventory_and_its_ledger():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in _app_modules()
        for line, what in stock_writes(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_owner_is_seen_writing():
    """The check sees the writes it looks for: the owner itself is full of them."""
    kinds = {what for _line, what in stock_writes(OWNER.read_text(encoding="utf-8"))}
    # (Its order movements write every row in one raw UPDATE now: ``.update()`` is caught in
    # the next test.)
    assert {"new Inventory", "new InventoryLedger", "raw SQL write"} <= kinds
    assert ".bulk_create() on the stock models" in kinds
    assert ".save() on a stock row" in kinds


def test_each_kind_of_write_is_caught():
    source = textwrap.dedent(
        """
        from catalog.models import Inventory, InventoryLedger

        def writes(sku, sku_ids):
            Inventory.objects.filter(pk=1).update(on_hand=3)
            InventoryLedger.objects.create(sku=sku)
            InventoryLedger.objects.bulk_create([])
            row = Inventory.objects.select_for_update().get(sku=sku)
            row.save()
            for other in Inventory.objects.filter(pk__in=sku_ids):
                other.delete()
            sku.inventory.save()
            sku.ledger.create(reason="count")
            Inventory(sku=sku)
            _insert_unnest(Inventory, ["sku_id"], [])
            cursor.execute("UPDATE catalog_inventory SET on_hand = 0")
            cursor.execute("INSERT INTO catalog_inventoryledger (sku_id) VALUES (1)")

        def reads(sku):
            Inventory.objects.filter(sku=sku).exists()
            InventoryLedger.objects.filter(sku=sku).select_related("actor")
            sku.inventory.available
            admin.register(Inventory)
            cursor.execute("SELECT on_hand FROM catalog_inventory FOR UPDATE")
        """
    )
    # Every line of ``writes`` but the two reads that bind rows (8 and 10); none of ``reads``.
    assert sorted(line for line, _what in stock_writes(source)) == [
        5,
        6,
        7,
        9,
        11,
        12,
        13,
        14,
        15,
        16,
        17,
    ]
