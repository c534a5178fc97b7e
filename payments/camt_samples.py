"""Bank messages as a US bank sends them for the network's collection account, for the demo
and the tests: a camt.053 day statement (versions 001.02 and 001.08) and camt.054
notifications, with the balances, bank transaction codes, parties and agents a real one
carries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

ACCOUNT = "8001234567"
BANK_BIC = "CHASUS33"


@dataclass
class Entry:
    amount: Decimal | str
    direction: str = "CRDT"
    reference: str = ""  # structured creditor reference (RF…)
    text: str = ""  # unstructured remittance
    bank_reference: str = ""
    currency: str = "USD"
    end_to_end_id: str = "NOTPROVIDED"
    party: str = "HANGZHOU WESTLAKE TRADING CO LTD"
    party_account: str = "CN12345678901234567"
    party_bic: str = "ICBKCNBJZJP"
    status: str = "BOOK"
    booked: str = "2026-12-04"

    def __post_init__(self) -> None:
        self.bank_reference = self.bank_reference or f"FT{uuid.uuid4().hex[:14].upper()}"
        self.amount = Decimal(self.amount)


def credit(amount, **fields) -> Entry:
    return Entry(amount, **fields)


def debit(amount, **fields) -> Entry:
    return Entry(amount, direction="DBIT", party="GREAT LAKES MAPLE CO", **fields)


def _remittance(entry: Entry) -> str:
    parts = []
    if entry.text:
        parts.append(f"<Ustrd>{entry.text}</Ustrd>")
    if entry.reference:
        parts.append(
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp>"
            f"<Ref>{entry.reference}</Ref></CdtrRefInf></Strd>"
        )
    return f"<RmtInf>{''.join(parts)}</RmtInf>" if parts else ""


def _entry(entry: Entry, version: str) -> str:
    incoming = entry.direction == "CRDT"
    family = "RCDT" if incoming else "ICDT"
    amount = f'<Amt Ccy="{entry.currency}">{entry.amount:.2f}</Amt>'
    party_tag, account_tag, agent_tag = (
        ("Dbtr", "DbtrAcct", "DbtrAgt") if incoming else ("Cdtr", "CdtrAcct", "CdtrAgt")
    )
    if version == "02":
        status = f"<Sts>{entry.status}</Sts>"
        party = f"<{party_tag}><Nm>{entry.party}</Nm></{party_tag}>"
        bic = f"<BIC>{entry.party_bic}</BIC>"
        tx_amount = f"<AmtDtls><TxAmt>{amount}</TxAmt></AmtDtls>"
    else:
        status = f"<Sts><Cd>{entry.status}</Cd></Sts>"
        party = f"<{party_tag}><Pty><Nm>{entry.party}</Nm></Pty></{party_tag}>"
        bic = f"<BICFI>{entry.party_bic}</BICFI>"
        tx_amount = f"{amount}<CdtDbtInd>{entry.direction}</CdtDbtInd>"
    return (
        f"<Ntry><NtryRef>{entry.bank_reference[-16:]}</NtryRef>{amount}"
        f"<CdtDbtInd>{entry.direction}</CdtDbtInd>{status}"
        f"<BookgDt><Dt>{entry.booked}</Dt></BookgDt><ValDt><Dt>{entry.booked}</Dt></ValDt>"
        f"<AcctSvcrRef>{entry.bank_reference}</AcctSvcrRef>"
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>XBCT</SubFmlyCd>"
        "</Fmly></Domn></BkTxCd>"
        "<NtryDtls><TxDtls>"
        f"<Refs><AcctSvcrRef>{entry.bank_reference}</AcctSvcrRef>"
        f"<EndToEndId>{entry.end_to_end_id}</EndToEndId></Refs>"
        f"{tx_amount}"
        f"<RltdPties>{party}<{account_tag}><Id><Othr><Id>{entry.party_account}</Id></Othr></Id>"
        f"</{account_tag}></RltdPties>"
        f"<RltdAgts><{agent_tag}><FinInstnId>{bic}</FinInstnId></{agent_tag}></RltdAgts>"
        f"{_remittance(entry)}"
        "</TxDtls></NtryDtls></Ntry>"
    )


def _account_v(version: str) -> str:
    bic_tag = "BIC" if version == "02" else "BICFI"
    return (
        f"<Acct><Id><Othr><Id>{ACCOUNT}</Id></Othr></Id><Ccy>USD</Ccy>"
        f"<Svcr><FinInstnId><{bic_tag}>{BANK_BIC}</{bic_tag}></FinInstnId></Svcr></Acct>"
    )


def _balance(code: str, amount: Decimal, version: str) -> str:
    kind = f"<Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
    side = "CRDT" if amount >= 0 else "DBIT"
    return (
        f'<Bal>{kind}<Amt Ccy="USD">{abs(amount):.2f}</Amt><CdtDbtInd>{side}</CdtDbtInd>'
        "<Dt><Dt>2026-12-04</Dt></Dt></Bal>"
    )


def camt053(entries: list[Entry], *, version: str = "08", message_id: str = "") -> bytes:
    """A day statement of the collection account with ``entries``."""
    message_id = message_id or f"STMT{uuid.uuid4().hex[:12].upper()}"
    opening = Decimal("10000.00")
    moved = sum((e.amount if e.direction == "CRDT" else -e.amount for e in entries), Decimal("0"))
    body = "".join(_entry(e, version) for e in entries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">'
        "<BkToCstmrStmt>"
        f"<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-12-04T23:05:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{message_id}-1</Id><ElctrncSeqNb>338</ElctrncSeqNb>"
        "<CreDtTm>2026-12-04T23:05:00</CreDtTm>"
        "<FrToDt><FrDtTm>2026-12-04T00:00:00</FrDtTm><ToDtTm>2026-12-04T23:59:59</ToDtTm></FrToDt>"
        f"{_account_v(version)}"
        f"{_balance('OPBD', opening, version)}{_balance('CLBD', opening + moved, version)}"
        f"<TxsSummry><TtlNtries><NbOfNtries>{len(entries)}</NbOfNtries></TtlNtries></TxsSummry>"
        f"{body}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def camt054(entries: list[Entry], *, version: str = "08", message_id: str = "") -> bytes:
    """A notification of ``entries`` as they are booked during the day."""
    message_id = message_id or f"NTFN{uuid.uuid4().hex[:12].upper()}"
    body = "".join(_entry(e, version) for e in entries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.{version}">'
        "<BkToCstmrDbtCdtNtfctn>"
        f"<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-12-04T10:15:00</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>{message_id}-1</Id><CreDtTm>2026-12-04T10:15:00</CreDtTm>"
        f"{_account_v(version)}{body}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()
