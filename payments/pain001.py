"""The payout file for the network's bank: an ISO 20022 pain.001.001.09 customer credit transfer
initiation, built with pyiso20022's dataclasses and written by xsdata (never by hand).

One payment information block debits the network's collection account; each payout is one
credit transfer with its ``EndToEndId`` (which comes back on the bank's statement): a merchant's
to its US account (ABA routing number as ``ClrSysMmbId``/``USABA``), a refund to the buyer's
account (IBAN where it is one) at its bank's BIC."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from pyiso20022.pain.pain_001_001_09 import (
    AccountIdentification4Choice,
    ActiveOrHistoricCurrencyAndAmount,
    AmountType4Choice,
    BranchAndFinancialInstitutionIdentification6,
    CashAccount38,
    ChargeBearerType1Code,
    ClearingSystemIdentification2Choice,
    ClearingSystemMemberIdentification2,
    CreditTransferTransaction34,
    CustomerCreditTransferInitiationV09,
    DateAndDateTime2Choice,
    Document,
    FinancialInstitutionIdentification18,
    GenericAccountIdentification1,
    GroupHeader85,
    PartyIdentification135,
    PaymentIdentification6,
    PaymentInstruction30,
    PaymentMethod3Code,
    PostalAddress24,
    RemittanceInformation16,
)
from stdnum import iban
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig
from xsdata.models.datatype import XmlDate, XmlDateTime

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"


@dataclass(frozen=True)
class CreditTransfer:
    """One payout as the bank is told it."""

    end_to_end_id: str
    amount_usd: Decimal
    creditor_name: str
    account_number: str
    # A US account's ABA routing number, or else the creditor bank's BIC.
    routing_number: str = ""
    bic: str = ""
    remittance: str = ""


def _agent(
    *, routing_number: str = "", bic: str = ""
) -> BranchAndFinancialInstitutionIdentification6:
    member = None
    if routing_number:
        member = ClearingSystemMemberIdentification2(
            clr_sys_id=ClearingSystemIdentification2Choice(cd="USABA"), mmb_id=routing_number
        )
    return BranchAndFinancialInstitutionIdentification6(
        fin_instn_id=FinancialInstitutionIdentification18(bicfi=bic or None, clr_sys_mmb_id=member)
    )


def _account(number: str) -> CashAccount38:
    compact = iban.compact(number)
    if iban.is_valid(compact):
        return CashAccount38(id=AccountIdentification4Choice(iban=compact))
    return CashAccount38(
        id=AccountIdentification4Choice(othr=GenericAccountIdentification1(id=number))
    )


def _transaction(transfer: CreditTransfer) -> CreditTransferTransaction34:
    return CreditTransferTransaction34(
        pmt_id=PaymentIdentification6(
            instr_id=transfer.end_to_end_id, end_to_end_id=transfer.end_to_end_id
        ),
        amt=AmountType4Choice(
            instd_amt=ActiveOrHistoricCurrencyAndAmount(value=transfer.amount_usd, ccy="USD")
        ),
        cdtr_agt=_agent(routing_number=transfer.routing_number, bic=transfer.bic),
        cdtr=PartyIdentification135(nm=transfer.creditor_name[:140]),
        cdtr_acct=_account(transfer.account_number),
        rmt_inf=RemittanceInformation16(ustrd=[transfer.remittance[:140]])
        if transfer.remittance
        else None,
    )


def pain001_build(
    *,
    message_id: str,
    created_at: datetime,
    execution_date: date,
    transfers: Sequence[CreditTransfer],
) -> bytes:
    """The pain.001.001.09 XML (UTF-8) paying ``transfers`` from the collection account."""
    account = settings.PAYMENTS_COLLECTION_ACCOUNT
    total = sum((t.amount_usd for t in transfers), Decimal("0.00"))
    debtor = PartyIdentification135(
        nm=account["name"], pstl_adr=PostalAddress24(ctry="US", adr_line=[account["address"]])
    )
    document = Document(
        cstmr_cdt_trf_initn=CustomerCreditTransferInitiationV09(
            grp_hdr=GroupHeader85(
                msg_id=message_id,
                cre_dt_tm=XmlDateTime.from_datetime(created_at.replace(microsecond=0)),
                nb_of_txs=str(len(transfers)),
                ctrl_sum=total,
                initg_pty=PartyIdentification135(nm=account["name"]),
            ),
            pmt_inf=[
                PaymentInstruction30(
                    pmt_inf_id=message_id,
                    pmt_mtd=PaymentMethod3Code.TRF,
                    btch_bookg=False,
                    nb_of_txs=str(len(transfers)),
                    ctrl_sum=total,
                    reqd_exctn_dt=DateAndDateTime2Choice(dt=XmlDate.from_date(execution_date)),
                    dbtr=debtor,
                    dbtr_acct=CashAccount38(
                        id=AccountIdentification4Choice(
                            othr=GenericAccountIdentification1(id=account["account_number"])
                        ),
                        ccy="USD",
                    ),
                    dbtr_agt=_agent(routing_number=account["routing_number"], bic=account["bic"]),
                    chrg_br=ChargeBearerType1Code.DEBT,
                    cdt_trf_tx_inf=[_transaction(t) for t in transfers],
                )
            ],
        )
    )
    serializer = XmlSerializer(config=SerializerConfig(indent="  ", xml_declaration=True))
    return serializer.render(document, ns_map={None: NAMESPACE}).encode()


def pain001_parse(content: bytes) -> Document:
    """Read a pain.001.001.09 file back into the library's dataclasses."""
    return XmlParser().from_bytes(content, Document)
