"""The Spanish words the pages show for the services' codes."""

from __future__ import annotations

from nitida.customers.identity import TipoDocumento
from nitida.customers.models import CustomerStatus
from nitida.invoices.models import InvoiceStatus, PaymentForm, PaymentMethod
from nitida.users.models import Role, UserStatus

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
}
# Audit trail: actions and the API field names it records.
ACTION = {
    "CREATED": "Creado",
    "UPDATED": "Modificado",
    "DELETED": "Eliminado",
    "ISSUED": "Emitida",
    "PAYMENT_RECORDED": "Pago registrado",
    "VOIDED": "Anulada",
}
FIELD = {
    "razonSocial": "Razón social",
    "tipoDocumento": "Tipo de documento",
    "nit": "Número de documento",
    "email": "Correo electrónico",
    "telefono": "Teléfono",
    "direccion": "Dirección",
    "status": "Estado",
}


def change_value(field: str, value: object) -> str:
    if value is None or value == "":
        return "—"
    if field == "status" and isinstance(value, str) and value in CustomerStatus.__members__:
        return CUSTOMER_STATUS[CustomerStatus(value)]
    if field == "tipoDocumento" and isinstance(value, str) and value in TipoDocumento.__members__:
        return TIPO_DOCUMENTO[TipoDocumento(value)]
    return str(value)
