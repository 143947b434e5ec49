"""Errors as the pages show them: in Spanish, beside their field.

The services speak English (the API's choice); their messages and slugs are
translated here, for display only — the rules themselves stay in the services.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from nitida.core.errors import AppError
from nitida.web.formatting import money

GENERIC = "Valor no válido."

# The password rule (core.passwords), as the pages state it before anyone types one.
PASSWORD_RULE = (
    "Al menos 12 caracteres y difícil de adivinar: una frase de varias palabras sirve "
    "(p. ej. «cuaderno verde junto a la ventana»). No uses tu correo ni una contraseña común."
)
PASSWORD_TOO_SHORT = "Muy corta: la contraseña debe tener al menos 12 caracteres y ser difícil de adivinar."

_BY_PATTERN: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^choose a PNG or JPEG file"), "Elige un archivo PNG o JPEG."),
    (re.compile(r"^is larger than (\d+) KB"), "El archivo pesa más de {0} KB: usa una imagen más liviana."),
    (re.compile(r"^must be at most (\d+) x (\d+) pixels"), "La imagen debe medir como máximo {0} × {1} píxeles."),
    (
        re.compile(r"^is not a PNG or JPEG image that can be read"),
        "No es una imagen PNG o JPEG que se pueda leer: puede estar dañada o ser de otro formato.",
    ),
    (re.compile(r"^must be one of 0, 8"), "Elige un plazo de la lista."),
    (re.compile(r"^is not a payment method"), "Elige un medio de pago de la lista."),
    (re.compile(r"^must not contain control characters"), "Tiene caracteres de control: quítalos."),
    (
        re.compile(r"is too easy to guess"),
        "Es fácil de adivinar (una contraseña común, una palabra o un patrón): usa al menos 12 caracteres "
        "difíciles de adivinar, como una frase de varias palabras.",
    ),
    (
        re.compile(r"^must not be your e-mail address"),
        "No puede ser el correo electrónico: usa al menos 12 caracteres difíciles de adivinar.",
    ),
    (re.compile(r"^(This field is required\.|Field required)$"), "Este campo es obligatorio."),
    (re.compile(r"^must not be blank$|at least 1 character"), "Este campo es obligatorio."),
    (re.compile(r"(?:must have|should have) at most (\d+) characters?"), "Debe tener como máximo {0} caracteres."),
    (re.compile(r"(?:must|should) have at least (\d+) characters?"), "Debe tener al menos {0} caracteres."),
    (
        re.compile(r"^a NIT is digits"),
        "Un NIT son dígitos, con puntos opcionales y el dígito de verificación tras un guion (p. ej. 900.123.456-8).",
    ),
    (re.compile(r"^a NIT has between 7 and 15 digits"), "Un NIT tiene entre 7 y 15 dígitos antes del DV."),
    (re.compile(r"^is not a valid NIT$"), "No es un NIT válido."),
    (
        re.compile(r"check digit .* of NIT (\d+) is (\d), not (\d)"),
        "El dígito de verificación (DV) del NIT {0} es {1}, no {2}.",
    ),
    (re.compile(r"^a (\w+) number has digits only$"), "Un documento {0} solo lleva dígitos."),
    (re.compile(r"^may contain only letters and digits"), "Solo puede tener letras y dígitos."),
    (
        re.compile(r"^Another customer of this business already has number (\S+): (.*) \(id [^)]*\)\.$"),
        "Ya existe un cliente con el número {0}: {1}.",
    ),
    (re.compile(r"valid email address"), "No es un correo electrónico válido."),
    (re.compile(r"^must be greater than 0$"), "Debe ser mayor que 0."),
    (
        re.compile(r"^only a line given away"),
        "Solo una línea sin valor (obsequio o muestra: precio 0 o descuento del 100 %) lleva valor de referencia.",
    ),
    (re.compile(r"^must not be negative$"), "No puede ser negativo."),
    (re.compile(r"^must be between 0 and 100$"), "Debe estar entre 0 y 100."),
    (re.compile(r"must have at most (\d+) decimals"), "Admite como máximo {0} decimales."),
    (re.compile(r"^must be at most (\S+)$"), "Es demasiado grande."),
    (re.compile(r"^(\S+) is more than the balance of (\S+)\.$"), "Supera el saldo de la factura ({1})."),
    (re.compile(r"^must not be in the future"), "No puede ser una fecha futura."),
    (re.compile(r"^must not be before the issue date"), "No puede ser anterior a la fecha de emisión."),
    (re.compile(r"valid date|date format"), "No es una fecha válida (dd/mm/aaaa)."),
    (re.compile(r"^A user with the email .* already exists\.$"), "Ya existe un usuario con ese correo electrónico."),
    (
        re.compile(r"e-mail is not configured \(NITIDA_SMTP_URL\), so no invitation"),
        "El servicio no tiene servidor de correo para enviar la invitación: escribe una contraseña inicial.",
    ),
    (re.compile(r"^must be at least rangeFrom"), "Debe ser mayor o igual que el inicio del rango."),
    (re.compile(r"^must not be before validFrom"), "No puede ser anterior a la fecha de inicio."),
    (re.compile(r"overlaps resolution"), "El rango se cruza con otra resolución del mismo prefijo."),
    (re.compile(r"clashes with the prefix"), "El prefijo choca con el de otra resolución."),
    (re.compile(r"^must be 1 to 4 letters"), "De 1 a 4 letras o dígitos."),
    (re.compile(r"another resolution numbers without a prefix"), "Choca con una resolución sin prefijo."),
    (re.compile(r"^Customer not found\.$"), "Elige un cliente."),
    (re.compile(r"is INACTIVE: activate it"), "El cliente está inactivo: actívalo antes de facturarle."),
    (re.compile(r"^Resolution not found\.$"), "Elige una resolución de numeración."),
    (re.compile(r"is not a DANE municipality code"), "No es un código DANE de municipio (5 dígitos, p. ej. 11001)."),
    (re.compile(r"postal code has 6 digits"), "Un código postal colombiano tiene 6 dígitos (p. ej. 110231)."),
    # A buyer abroad and the export invoice (issue 25).
    (re.compile(r"is not a country code of the DIAN's list"), "No es un país de la lista de la DIAN."),
    (
        re.compile(r"a customer abroad has no DANE municipality"),
        "Un cliente en el exterior no tiene municipio colombiano: deja este campo vacío y escribe su ciudad.",
    ),
    (
        re.compile(r"a customer abroad has no Colombian postal code"),
        "Un cliente en el exterior no lleva código postal.",
    ),
    (
        re.compile(r"^only for a customer abroad"),
        "Solo para un cliente en el exterior: elige su país (o deja este campo vacío).",
    ),
    (
        re.compile(r"^type 43 \(sin identificación del exterior\) is for a customer abroad"),
        "«Sin identificación del exterior» es solo para un cliente en el exterior: elige su país.",
    ),
    (re.compile(r"is not a currency code of the DIAN's list"), "No es una moneda de la lista de la DIAN."),
    (
        re.compile(r"^a currency other than COP is for an export invoice only"),
        "Una moneda distinta del peso colombiano es solo para una factura de exportación.",
    ),
    (
        re.compile(r"^required: the pesos one"),
        "Escribe la tasa de cambio: cuántos pesos vale una unidad de la moneda.",
    ),
    (
        re.compile(r"^only for a currency other than COP"),
        "La tasa de cambio es solo para una moneda distinta del peso.",
    ),
    (
        re.compile(r"an export invoice's customer is abroad"),
        "Una factura de exportación es para un cliente en el exterior (con país distinto de Colombia).",
    ),
    (
        re.compile(r"an export is exempt from IVA .*: line (.+)$"),
        "Una exportación está exenta de IVA: usa IVA 0 % y sin INC (línea {0}).",
    ),
    (
        re.compile(r"line (\d+) of an export invoice needs its brand"),
        "La línea {0} de una exportación necesita su marca y su modelo.",
    ),
    (re.compile(r"^at least one \(R-99-PN"), "Marca al menos una (R-99-PN si ninguna aplica)."),
    (re.compile(r"not in the DIAN list"), "No está en la lista de la DIAN."),
    (re.compile(r"each responsibility at most once"), "Cada responsabilidad una sola vez."),
    (
        re.compile(r"^R-99-PN \(no aplica\) means none of the others"),
        "R-99-PN (no aplica) no puede ir con otras responsabilidades.",
    ),
    (re.compile(r"a CIIU code has 4 digits"), "Cada código CIIU tiene 4 dígitos (p. ej. 4761), separados por comas."),
    (
        re.compile(r"not an economic activity \(CIIU\) of the DIAN's list"),
        "No es una actividad económica (CIIU) de la lista de la DIAN.",
    ),
    (re.compile(r"is not a postal code of the DIAN's list"), "No es un código postal de la lista de la DIAN."),
    (
        re.compile(r"a postal code begins with its department's code"),
        "El código postal no es del departamento del municipio: empieza por el código del departamento.",
    ),
    (
        re.compile(r"is required the first time electronic invoicing"),
        "Obligatorio la primera vez que se configura la facturación electrónica.",
    ),
    (
        re.compile(r"certificateP12 and certificatePassword are sent together"),
        "Envía el certificado y su contraseña juntos.",
    ),
    (re.compile(r"must differ from creditNotePrefix"), "Debe ser distinto del prefijo de las notas crédito."),
    (re.compile(r"^must be one of 01"), "Elige un tributo de la lista."),
    (
        re.compile(r"certificate cannot be opened|not valid base64|holds no certificate"),
        "No se pudo abrir el certificado: no es un archivo PKCS#12 (.p12/.pfx) o la contraseña no es la correcta.",
    ),
    (re.compile(r"has no private key"), "El archivo .p12 no trae la clave privada: expórtalo con su clave."),
    (re.compile(r"key is not RSA"), "La clave del certificado no es RSA, como exige la firma de la DIAN."),
    (re.compile(r"certificate expired on (\S+)"), "El certificado venció el {0}."),
    (re.compile(r"certificate is not valid before (\S+)"), "El certificado aún no es válido (desde el {0})."),
    (re.compile(r"^Input should be a valid (decimal|number)|must be a decimal number"), "Debe ser un número."),
    (re.compile(r"UUID"), "Elige una opción de la lista."),
    (re.compile(r"^Input should be"), "Elige una opción válida."),
    (re.compile(r"^The invoice total would exceed"), "El total de la factura es demasiado grande."),
    (
        re.compile(r"habilitación test set: it is for HABILITACION only"),
        "La resolución 18760000001 es el set de pruebas de la DIAN: solo sirve en habilitación.",
    ),
    (re.compile(r"^A CREDITO invoice needs a dueDate"), "Una factura a crédito necesita fecha de vencimiento."),
    (re.compile(r"already paid\.$"), "El total corregido es menor que lo ya pagado."),
]

_BY_SLUG = {
    "resolution-not-valid": "La resolución de numeración no está vigente hoy: elige otra o registra una vigente.",
    "resolution-range-used-up": "La resolución de numeración agotó su rango: registra una nueva.",
    "due-date-required": "Una factura a crédito necesita fecha de vencimiento.",
    "due-date-before-issue": "La fecha de vencimiento es anterior a hoy: cámbiala en el borrador.",
    "customer-inactive": "El cliente está inactivo: actívalo antes de emitirle facturas.",
    "invalid-invoice-state": "La factura no está en un estado que permita esta acción.",
    "invoice-has-payments": "La factura tiene pagos registrados y no se puede anular.",
    "customer-has-invoices": (
        "Este cliente tiene facturas y no se puede eliminar: inactívalo para conservar su historial."
    ),
    "last-admin": "Es el último administrador activo: nombra otro administrador antes.",
    "no-mail-sender": (
        "Falta el correo de la empresa (en sus datos fiscales) para enviar la invitación: agrégalo o escribe una "
        "contraseña inicial."
    ),
    "link": "El enlace no es válido: ya se usó, venció o se envió uno más reciente.",
    "user-inactive": "El usuario está inactivo: actívalo antes de invitarlo.",
    "number-taken": "Ese número de factura ya existe: elige una resolución con otro prefijo.",
    "duplicate-nit": "Ya existe un cliente con ese número de documento.",
    "credit-exceeds-invoice": "La nota crédito supera lo que queda por acreditar de la factura.",
    "anulacion-must-be-whole": (
        "Una anulación (concepto 2) acredita todo lo pendiente de la factura; para una parte usa 1, 3, 4, 5 o 6."
    ),
    "credit-exceeds-balance": (
        "La nota crédito supera el saldo de la factura: parte ya está pagada y este servicio no registra devoluciones."
    ),
    "not-an-electronic-invoice": "La factura no es electrónica: no admite notas crédito ni débito.",
    "electronic-invoicing-not-configured": "Configura la facturación electrónica antes de emitir notas.",
    "iva-issuer-not-responsible": (
        "La empresa no es responsable de IVA (su tributo en los datos fiscales no es 01 ni ZA) y no puede cobrarlo: "
        "quita el IVA de las líneas o corrige el tributo en Configuración → Datos fiscales."
    ),
    "electronic-data-missing": "Faltan datos para el documento electrónico: revisa los datos fiscales y los del cliente.",
    "certificate-unusable": "El certificado de firma no se puede usar: carga uno vigente en Configuración.",
    "electronic-secrets-unreadable": "El certificado y el PIN guardados no se pueden leer: cárgalos de nuevo en Configuración.",
    "already-accepted": "La DIAN ya aceptó esta factura: no hay nada que reenviar.",
    "delivery-in-progress": "La factura se está enviando a la DIAN en este momento: espera la respuesta.",
    "mail-in-progress": "El correo de esta factura se está enviando en este momento.",
    "not-accepted-yet": "La factura se envía por correo cuando la DIAN la acepta.",
    "invoice-rejected-by-dian": (
        "La DIAN rechazó esta factura: no admite notas crédito o débito ni anulación, porque su CUFE no fue validado. "
        "Usa «Corregir y reenviar»: la factura se corrige y se envía de nuevo con el mismo número."
    ),
    "invoice-not-accepted-yet": (
        "La DIAN aún no ha aceptado esta factura: espera su respuesta antes de emitir notas o anularla. "
        "Si la rechaza, corrígela y reenvíala con el mismo número."
    ),
    "not-rejected": "Solo una factura rechazada por la DIAN se corrige y se reenvía.",
    "resolution-environment-mismatch": (
        "La resolución de numeración es de otro ambiente de la DIAN que el de la empresa (habilitación o producción): "
        "elige una resolución del ambiente actual o regístrala en Configuración."
    ),
    "resolution-environment-in-use": (
        "El ambiente de la resolución no se puede cambiar: ya se numeraron facturas con ella. Registra la resolución "
        "del otro ambiente."
    ),
}

# A delivery job's last error (English, for operators and the API) as the invoice page says it.
_DELIVERY_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"test-set id"),
        "Falta el identificador del set de pruebas (TestSetId) de la DIAN: regístralo en Configuración y reenvía.",
    ),
    (
        re.compile(r"refused the request"),
        "La DIAN rechazó la solicitud: revisa el certificado de firma en Configuración y reenvía.",
    ),
    (
        re.compile(r"did not answer in time|cannot reach the DIAN|answered HTTP 5|malformed answer|SOAP fault"),
        "La DIAN no respondió como se esperaba; el envío se reintenta solo.",
    ),
    (re.compile(r"still validating|sent no ApplicationResponse"), "La DIAN aún está validando el documento."),
    (
        re.compile(r"no longer has electronic-invoicing settings|certificate|secrets"),
        "La configuración de facturación electrónica no permite firmar ni enviar: revísala en Configuración.",
    ),
    (re.compile(r"habilitación only"), "La DIAN simulada de la demostración solo atiende el ambiente de habilitación."),
]
_MAIL_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"issuer has no e-mail"), "La empresa no tiene correo de envío: agrégalo en sus datos fiscales."),
    (re.compile(r"NITIDA_SMTP_URL|SMTP user"), "El servidor de correo del servicio no está configurado."),
    (re.compile(r"credentials|refused the recipients"), "El servidor de correo rechazó el envío."),
]


def _first_match(text: str, table: list[tuple[re.Pattern[str], str]], default: str) -> str:
    return next((spanish_text for pattern, spanish_text in table if pattern.search(text)), default)


def delivery_error(last_error: str) -> str:
    return _first_match(last_error, _DELIVERY_ERRORS, "El envío a la DIAN falló por un error inesperado.")


def mail_error(last_error: str) -> str:
    return _first_match(last_error, _MAIL_ERRORS, "El correo no se pudo enviar; se puede volver a intentar.")


def spanish(message: str) -> str:
    message = message.removeprefix("Value error, ")
    for pattern, template in _BY_PATTERN:
        found = pattern.search(message)
        if found:
            groups = list(found.groups())
            if "({1})" in template and len(groups) > 1:
                groups[1] = _as_money(groups[1])
            return template.format(*groups)
    return GENERIC


def _as_money(text: str) -> str:
    try:
        return money(Decimal(text))
    except InvalidOperation:
        return text


def password_errors(fields: dict[str, str], name: str) -> dict[str, str]:
    """``fields`` with a too-short password's refusal stating the whole rule (12 characters *and* hard to guess)."""
    if fields.get(name, "").startswith("Debe tener al menos"):
        return {**fields, name: PASSWORD_TOO_SHORT}
    return fields


def of_app_error(exc: AppError) -> tuple[dict[str, str], str | None]:
    """(errors by API field, message for the whole form) of a service error."""
    fields = {e.field: spanish(e.message) for e in exc.errors or []}
    if fields:
        return fields, None
    if exc.slug in _BY_SLUG:
        return {}, _BY_SLUG[exc.slug]
    translated = spanish(exc.detail.partition(": ")[2] or exc.detail)
    return {}, translated if translated != GENERIC else "No se pudo completar la acción."


def of_validation_error(exc: ValidationError, aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Errors by field name (the first part of each error's location, through ``aliases``)."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        name = ".".join(loc) if loc else "form"
        if aliases:
            name = aliases.get(name, name)
        message = "Este campo es obligatorio." if err.get("type") == "missing" else spanish(str(err.get("msg", "")))
        errors.setdefault(name, message)
    return errors
