"""Reading the bank's ISO 20022 cash management messages: camt.053 (the day's statement) and
camt.054 (a notification of single entries), versions 001.02 to 001.12, chosen by the document's
namespace and parsed with pyiso20022's dataclasses (xsdata), so the schema decides what is valid.

The versions differ in their class names but not in their element names, so entries are read by
attribute path: ``Stmt``/``Ntfctn`` → ``Ntry`` → ``NtryDtls`` → ``TxDtls``. Only booked entries
count (``Sts`` BOOK); a pending or informational one is skipped. An entry of several
transactions (a batch) yields one ``CamtEntry`` per transaction."""

from __future__ import annotations

import hashlib
import importlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree
from xsdata.exceptions import ParserError
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.(053|054)\.001\.(0[2-9]|1[0-2])$")
MAX_BYTES = 20 * 1024 * 1024


class CamtError(ValueError):
    """Not a camt.053 / camt.054 message this reader knows, or not valid against its schema."""


@dataclass(frozen=True)
class CamtEntry:
    bank_reference: str
    direction: str  # CRDT / DBIT
    amount: Decimal
    currency: str
    booking_date: date | None
    value_date: date | None
    remittance: str
    creditor_references: tuple[str, ...]
    end_to_end_id: str
    counterparty: str
    counterparty_account: str
    counterparty_bic: str


@dataclass
class CamtMessage:
    kind: str  # "camt.053" / "camt.054"
    version: str  # "001.08"
    message_id: str
    created_at: datetime | None
    account: str
    entries: list[CamtEntry] = field(default_factory=list)


def _get(node: Any, *path: str) -> Any:
    """Follow ``path`` through optional attributes; a list yields its first item."""
    for name in path:
        if node is None:
            return None
        if isinstance(node, list):
            node = node[0] if node else None
            if node is None:
                return None
        node = getattr(node, name, None)
    if isinstance(node, list):
        return node[0] if node else None
    return node


def _list(node: Any, name: str) -> list[Any]:
    value = getattr(node, name, None) if node is not None else None
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(getattr(value, "value", value)).strip()


def _date(choice: Any) -> date | None:
    if choice is None:
        return None
    if getattr(choice, "dt", None) is not None:
        return choice.dt.to_date()
    if getattr(choice, "dt_tm", None) is not None:
        return choice.dt_tm.to_datetime().date()
    return None


def _status(entry: Any) -> str:
    status = getattr(entry, "sts", None)
    if status is None:
        return ""
    return _text(getattr(status, "cd", None) or getattr(status, "prtry", None) or status)


def _account(node: Any) -> str:
    return _text(_get(node, "id", "iban")) or _text(_get(node, "id", "othr", "id"))


def _party_name(party: Any) -> str:
    # Up to v02 a party is a PartyIdentification; from v08 a choice of a party or an agent.
    if party is None:
        return ""
    return (
        _text(getattr(party, "nm", None))
        or _text(_get(party, "pty", "nm"))
        or _text(_get(party, "agt", "fin_instn_id", "nm"))
    )


def _bic(agent: Any) -> str:
    fin = _get(agent, "fin_instn_id")
    return _text(getattr(fin, "bicfi", None) or getattr(fin, "bic", None))


def _amount(node: Any) -> tuple[Decimal, str] | None:
    if node is None or getattr(node, "value", None) is None:
        return None
    return Decimal(str(node.value)), _text(getattr(node, "ccy", ""))


def _transaction_amount(tx: Any) -> tuple[Decimal, str] | None:
    return _amount(getattr(tx, "amt", None)) or _amount(_get(tx, "amt_dtls", "tx_amt", "amt"))


def _remittance(tx: Any) -> tuple[str, tuple[str, ...]]:
    info = getattr(tx, "rmt_inf", None)
    unstructured = [_text(line) for line in _list(info, "ustrd")]
    references = []
    for structured in _list(info, "strd"):
        for ref_info in _list(structured, "cdtr_ref_inf"):
            ref = _text(getattr(ref_info, "ref", None))
            if ref:
                references.append(ref)
        unstructured += [_text(line) for line in _list(structured, "addtl_rmt_inf")]
    return " ".join(line for line in unstructured if line)[:500], tuple(references)


def _digest(*parts: Any) -> str:
    return "sha256:" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:40]


def _entries(report_entry: Any, account: str) -> list[CamtEntry]:
    if _status(report_entry) not in ("BOOK", ""):
        return []
    direction = _text(report_entry.cdt_dbt_ind)
    entry_amount = _amount(report_entry.amt)
    if entry_amount is None:
        return []
    entry_reference = _text(getattr(report_entry, "acct_svcr_ref", None))
    transactions = [
        tx for details in _list(report_entry, "ntry_dtls") for tx in _list(details, "tx_dtls")
    ]
    batch = len(transactions) > 1
    rows = []
    for index, tx in enumerate(transactions or [None]):
        amount, currency = entry_amount
        if batch:
            amount, currency = _transaction_amount(tx) or entry_amount
        remittance, references = _remittance(tx)
        end_to_end = _text(_get(tx, "refs", "end_to_end_id"))
        if end_to_end == "NOTPROVIDED":
            end_to_end = ""
        parties = getattr(tx, "rltd_pties", None)
        agents = getattr(tx, "rltd_agts", None)
        incoming = direction == "CRDT"
        counterparty = _party_name(_get(parties, "dbtr" if incoming else "cdtr"))
        their_account = _account(_get(parties, "dbtr_acct" if incoming else "cdtr_acct"))
        their_bic = _bic(_get(agents, "dbtr_agt" if incoming else "cdtr_agt"))
        booked = _date(getattr(report_entry, "bookg_dt", None))
        reference = _text(_get(tx, "refs", "acct_svcr_ref")) if batch else ""
        if not reference:
            reference = f"{entry_reference}:{index + 1}" if batch and entry_reference else ""
        reference = reference or entry_reference
        reference = reference or _digest(
            account, direction, amount, currency, booked, end_to_end, remittance, counterparty
        )
        rows.append(
            CamtEntry(
                bank_reference=reference[:100],
                direction=direction,
                amount=amount,
                currency=currency,
                booking_date=booked,
                value_date=_date(getattr(report_entry, "val_dt", None)),
                remittance=remittance,
                creditor_references=references,
                end_to_end_id=end_to_end[:35],
                counterparty=counterparty[:140],
                counterparty_account=their_account[:34],
                counterparty_bic=their_bic[:11],
            )
        )
    return rows


def camt_parse(data: bytes) -> CamtMessage:
    """The message in ``data``: its kind, id, account and booked entries. Raises ``CamtError``
    for anything else (another message, an unknown version, invalid XML or content)."""
    if len(data) > MAX_BYTES:
        raise CamtError("too large")
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as error:
        raise CamtError(f"not XML: {error}") from error
    namespace = etree.QName(root).namespace or ""
    found = NAMESPACE.match(namespace)
    if found is None or etree.QName(root).localname != "Document":
        raise CamtError(f"not a camt.053 or camt.054 document: {namespace or root.tag}")
    number, version = found.groups()
    module = importlib.import_module(
        f"pyiso20022.camt.camt_{number}_001_{version}.camt_{number}_001_{version}"
    )
    try:
        document = XmlParser(config=ParserConfig(fail_on_unknown_properties=True)).from_bytes(
            data, module.Document
        )
    except (ParserError, ValueError, TypeError, AttributeError) as error:
        raise CamtError(f"not a valid camt.{number}.001.{version}: {error}") from error
    if number == "053":
        body, reports_name = document.bk_to_cstmr_stmt, "stmt"
    else:
        body, reports_name = document.bk_to_cstmr_dbt_cdt_ntfctn, "ntfctn"
    header = body.grp_hdr
    created = getattr(header, "cre_dt_tm", None)
    message = CamtMessage(
        kind=f"camt.{number}",
        version=f"001.{version}",
        message_id=_text(header.msg_id)[:100],
        created_at=created.to_datetime() if created is not None else None,
        account="",
    )
    for report in _list(body, reports_name):
        account = _account(getattr(report, "acct", None))
        message.account = message.account or account[:60]
        for report_entry in _list(report, "ntry"):
            message.entries.extend(_entries(report_entry, account))
    if not message.message_id:
        raise CamtError("no message id")
    return message
