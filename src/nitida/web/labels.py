"""The Spanish words the pages show for the services' codes."""

from __future__ import annotations

from decimal import Decimal

from nitida.customers.models import CustomerStatus
from nitida.invoices.models import InvoiceStatus, PaymentMethod
from nitida.users.models import Role, UserStatus
from nitida.vocabulary import codelists
from nitida.vocabulary.identity import TipoDocumento
from nitida.vocabulary.kinds import PaymentForm
from nitida.web import fiscal_form, formatting

CUSTOMER_STATUS = {CustomerStatus.ACTIVE: "Activo", CustomerStatus.INACTIVE: "Inactivo"}
INVOICE_STATUS = {
    InvoiceStatus.DRAFT: "Borrador",
    InvoiceStatus.ISSUED: "Emitida",
    InvoiceStatus.PAID: "Pagada",
    InvoiceStatus.VOID: "Anulada",
}
PAYMENT_FORM = {PaymentForm.CONTADO: "Contado", PaymentForm.CREDITO: "Crédito"}
PAYMENT_METHOD = {
    PaymentMethod.EFECTIVO: "Efectivo",
    PaymentMethod.TRANSFERENCIA: "Transferencia",
    PaymentMethod.CONSIGNACION: "Consignación",
    PaymentMethod.TARJETA_CREDITO: "Tarjeta de crédito",
    PaymentMethod.TARJETA_DEBITO: "Tarjeta débito",
    PaymentMethod.CHEQUE: "Cheque",
    PaymentMethod.OTRO: "Otro",
}
ROLE = {Role.ADMIN: "Administrador", Role.OPERADOR: "Operador", Role.CONSULTA: "Consulta"}
USER_STATUS = {UserStatus.ACTIVE: "Activo", UserStatus.INACTIVE: "Inactivo"}
TIPO_DOCUMENTO = {
    TipoDocumento.NIT: "NIT",
    TipoDocumento.CC: "Cédula de ciudadanía",
    TipoDocumento.CE: "Cédula de extranjería",
    TipoDocumento.TI: "Tarjeta de identidad",
    TipoDocumento.RC: "Registro civil",
    TipoDocumento.TE: "Tarjeta de extranjería",
    TipoDocumento.PASAPORTE: "Pasaporte",
    TipoDocumento.DIE: "Documento de identificación extranjero",
    TipoDocumento.PEP: "Permiso especial de permanencia",
    TipoDocumento.PPT: "Permiso por protección temporal",
    TipoDocumento.NIT_EXTRANJERO: "NIT de otro país",
    TipoDocumento.NUIP: "NUIP",
    TipoDocumento.SIN_ID_EXTERIOR: "Sin identificación del exterior",
}
# In a list's narrow column, the documents whose code is not a word (the others show as they are: CC, CE…).
TIPO_DOCUMENTO_CORTO = {
    TipoDocumento.NIT_EXTRANJERO: "NIT ext.",
    TipoDocumento.SIN_ID_EXTERIOR: "Sin id. ext.",
}
# Audit trail: actions and the API field names it records.
ACTION = {
    "CREATED": "Creado",
    "UPDATED": "Modificado",
    "DELETED": "Eliminado",
    "ISSUED": "Emitida",
    "PAYMENT_RECORDED": "Pago registrado",
    "VOIDED": "Anulada",
    "CREDITED": "Nota crédito",
    "DEBITED": "Nota débito",
    "SENT_TO_DIAN": "Enviada a la DIAN",
    "ACCEPTED_BY_DIAN": "Aceptada por la DIAN",
    "REJECTED_BY_DIAN": "Rechazada por la DIAN",
    "RESEND_REQUESTED": "Reenvío a la DIAN solicitado",
    "CORRECTED": "Corregida tras el rechazo de la DIAN: mismo número, nuevo CUFE",
    "CORRECTED_AND_RESENT": "Versión corregida en cola de envío a la DIAN",
    "EMAILED": "Enviada por correo al cliente",
    "EMAIL_NOT_SENT": "Sin correo: el cliente no tiene correo electrónico",
    "IMPORT_CREATED": "Creado por importación de archivo",
    "IMPORT_UPDATED": "Modificado por importación de archivo",
    "STATEMENT_EMAILED": "Estado de cuenta enviado por correo",
}
FIELD = {
    "razonSocial": "Razón social",
    "tipoDocumento": "Tipo de documento",
    "nit": "Número de documento",
    "email": "Correo electrónico",
    "telefono": "Teléfono",
    "direccion": "Dirección",
    "status": "Estado",
    "tipoPersona": "Tipo de persona",
    "responsabilidadesFiscales": "Responsabilidades fiscales",
    "tributo": "Tributo",
    "municipioCodigo": "Municipio",
    "codigoPostal": "Código postal",
    "paisCodigo": "País",
    "ciudadExterior": "Ciudad (exterior)",
    "regionExterior": "Estado, provincia o región (exterior)",
    "export": "Exportación",
    "currency": "Moneda",
    "exchangeRate": "Tasa de cambio",
}
PERSON_TYPE = {"JURIDICA": "Persona jurídica", "NATURAL": "Persona natural"}
ENVIRONMENT = {"HABILITACION": "Habilitación (pruebas de la DIAN)", "PRODUCCION": "Producción"}
# Where an invoice stands as an electronic document (values of einvoicing's and dian's ElectronicStatus).
ELECTRONIC_STATUS = {
    "NOT_APPLICABLE": "No electrónica: emitida antes de configurar la facturación electrónica",
    "SIGNED": "Firmada, pendiente de envío a la DIAN",
    "SENT": "Enviada a la DIAN, en validación",
    "ACCEPTED": "Aceptada por la DIAN",
    "REJECTED": "Rechazada por la DIAN",
}
# The same in a list's column.
ELECTRONIC_STATUS_SHORT = {
    "NOT_APPLICABLE": "No electrónica",
    "SIGNED": "Por enviar",
    "SENT": "En validación",
    "ACCEPTED": "Aceptada",
    "REJECTED": "Rechazada",
}
# The e-mail to the buyer (delivery's MailStatus, and FAILED when its job gave up).
MAIL_STATUS = {
    "NOT_YET": "Se envía cuando la DIAN acepte la factura",
    "QUEUED": "En cola de envío",
    "SENT": "Enviado",
    "NO_EMAIL": "No enviado: el cliente no tiene correo electrónico",
    "NOT_CONFIGURED": "No enviado: el correo no está configurado",
    "FAILED": "No se pudo enviar",
}


def municipio(code: str | None) -> str:
    """ "Medellín (Antioquia)" of a DANE code; "—" without one."""
    found = codelists.municipio(code) if code else None
    if found is None:
        return code or "—"
    return fiscal_form.place_name(found)


def change_value(field: str, value: object) -> str:
    if value is None or value == "":
        return "—"
    if field == "status" and isinstance(value, str) and value in CustomerStatus.__members__:
        return CUSTOMER_STATUS[CustomerStatus(value)]
    if field == "tipoDocumento" and isinstance(value, str) and value in TipoDocumento.__members__:
        return TIPO_DOCUMENTO[TipoDocumento(value)]
    if field == "tipoPersona" and isinstance(value, str):
        return PERSON_TYPE.get(value, value)
    if field == "municipioCodigo" and isinstance(value, str):
        return municipio(value)
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if field == "paisCodigo" and isinstance(value, str):
        return pais(value)
    if field == "currency" and isinstance(value, str):
        return f"{value} · {currency(value)}"
    if field == "exchangeRate" and isinstance(value, str):
        return formatting.money(Decimal(value))
    if field == "tributo" and isinstance(value, str):
        return tributo(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def pais(code: str | None) -> str:
    """ "Estados Unidos"; Colombia for a customer recorded before countries were (issue 25)."""
    return codelists.countries().get(code or codelists.COLOMBIA, code or "—")


def currency(code: str) -> str:
    """ "Dólar estadounidense": the DIAN's name of an ISO 4217 code."""
    return codelists.currencies().get(code, code)


def tributo(code: str | None) -> str:
    """ "01 · IVA"; "—" without one."""
    if not code:
        return "—"
    return f"{code} · {codelists.TRIBUTOS.get(code, code)}"
