from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field

from nitida.core.money import MoneyOut
from nitida.core.schemas import ApiModel, LocalDateTime
from nitida.invoices.models import PaymentMethod
from nitida.vocabulary.identity import TipoDocumento


class AgingAmounts(ApiModel):
    not_due: MoneyOut = Field(description="Not yet due (0 days or less past the due date)")
    days_1_to_30: MoneyOut
    days_31_to_60: MoneyOut
    days_61_to_90: MoneyOut
    over_90: MoneyOut = Field(description="More than 90 days past due")
    total: MoneyOut


class AgingRowRead(AgingAmounts):
    customer_id: uuid.UUID
    razon_social: str
    tipo_documento: TipoDocumento
    tipo_documento_codigo: str = Field(description="DIAN code of the document type (31 = NIT)")
    nit: str
    dv: str | None


class AgingReportRead(ApiModel):
    as_of: dt.date
    rows: list[AgingRowRead] = Field(description="One per customer with a balance, biggest total first")
    totals: AgingAmounts


class StatementLineRead(ApiModel):
    date: dt.date
    kind: str = Field(description="INVOICE, DEBIT_NOTE, CREDIT_NOTE or PAYMENT")
    document: str | None = Field(description="The invoice's number, or the payment's reference")
    invoice_number: str | None
    amount: MoneyOut = Field(description="Signed: positive raises what the customer owes, negative lowers it")
    balance: MoneyOut = Field(description="Running balance after this movement")


class StatementRead(ApiModel):
    customer_id: uuid.UUID
    razon_social: str
    nit: str
    date_from: dt.date | None = Field(alias="from")
    date_to: dt.date = Field(alias="to")
    opening_balance: MoneyOut
    lines: list[StatementLineRead]
    closing_balance: MoneyOut


class PaymentListItem(ApiModel):
    id: uuid.UUID
    date: dt.date
    amount: MoneyOut
    method: PaymentMethod
    reference: str | None
    invoice_id: uuid.UUID
    invoice_number: str | None
    customer_id: uuid.UUID
    razon_social: str
    nit: str
    created_at: LocalDateTime


class SummaryRead(ApiModel):
    month: str = Field(examples=["2026-11"])
    invoiced_before_tax: MoneyOut
    invoiced_tax: MoneyOut
    invoiced_total: MoneyOut
    collected: MoneyOut
    receivables_at_month_end: MoneyOut
    overdue_at_month_end: MoneyOut = Field(description="Part of the receivables past its due date at month end")
    invoices_by_status: dict[str, int] = Field(
        description="Invoices issued in the month by their status now (drafts: made in the month)"
    )
