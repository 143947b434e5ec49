"""The kinds every domain names, one enum each (database values; the DIAN's codes where it has them)."""

from __future__ import annotations

import enum


class ElectronicStatus(enum.StrEnum):
    """Where a document stands as an electronic document (invoices and notes: a plain VARCHAR column)."""

    NOT_APPLICABLE = "NOT_APPLICABLE"  # the tenant had no electronic-invoicing settings at issue
    SIGNED = "SIGNED"  # built, signed and stored; not yet sent to the DIAN
    SENT = "SENT"  # the DIAN received it (track id stored); its validation is pending
    ACCEPTED = "ACCEPTED"  # validated by the DIAN: its ApplicationResponse is stored (nitida.delivery)
    REJECTED = "REJECTED"  # refused by the DIAN: its messages are stored (nitida.delivery)


class NoteKind(enum.StrEnum):
    CREDIT = "CREDIT"
    DEBIT = "DEBIT"


class Environment(enum.StrEnum):
    HABILITACION = "HABILITACION"
    PRODUCCION = "PRODUCCION"

    @property
    def code(self) -> str:
        """TipoAmbiente / ProfileExecutionID: 1 producción, 2 pruebas (habilitación)."""
        return "1" if self is Environment.PRODUCCION else "2"


class PersonType(enum.StrEnum):
    JURIDICA = "JURIDICA"
    NATURAL = "NATURAL"

    @property
    def code(self) -> str:
        return "1" if self is PersonType.JURIDICA else "2"


class PaymentForm(enum.StrEnum):
    CONTADO = "CONTADO"
    CREDITO = "CREDITO"

    @property
    def code(self) -> str:
        return "1" if self is PaymentForm.CONTADO else "2"
