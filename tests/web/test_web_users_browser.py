"""Users and settings in a real Chromium against a real service process, on both engines (issue 26): an ADMIN
invites a user, the invitation lands in the Buzón de la demo, its link sets the new user's password and signs them
in, and they sign in again with it; "¿Olvidaste tu contraseña?" works the same way; the business's logo, uploaded
once, shows in every page's header and in its invoices' PDF. Each page is axe-checked, and on a 390x844 phone none
scrolls sideways."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect
from web.test_web_browser import AXE, SCREENSHOTS, Page  # one tab with the checks every page gets (axe, CSP)

from fixtures.browser import missing, spanish_chromium
from fixtures.common import unique_email
from fixtures.einvoicing_api import configure, customer_body, ok, resolution_body
from fixtures.processes import free_port, start_service
from nitida.core.principal import Principal
from nitida.einvoicing import configuration
from nitida.users.models import Role

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "tres gatos grises en el tejado"
LINK = re.compile(r"https?://[^\s]+/app/contrasena/[0-9a-f-]{36}\.[A-Za-z0-9_-]+")


@pytest.fixture(scope="module")
def browser():
    if not AXE.exists():
        missing("node_modules/axe-core (npm ci)")
    with spanish_chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def service_url(database, database_url, tmp_path_factory):
    port = free_port()
    proc = start_service(database_url, port, tmp_path_factory.mktemp("users-service"))
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def tab(browser, service_url):
    opened: list[Page] = []

    def open_tab() -> Page:
        opened.append(Page(browser, service_url))
        return opened[-1]

    yield open_tab
    for page in opened:
        page.close()


@pytest.fixture
def demo_tenant(client, database, tenant):
    configure(client, tenant.headers())
    admin = tenant.users[Role.ADMIN]
    actor = Principal(user_id=admin.id, tenant_id=tenant.id, email=admin.email, name=admin.name, role=Role.ADMIN)
    with database.unit_of_work(tenant.id) as session:
        configuration.use_simulated_dian(session, actor, test_set_id=str(uuid.uuid4()))
    return tenant


def no_sideways_scroll(t: Page) -> None:
    width = t.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{t.page.url} is {width} px wide on a phone"


def link_from_buzon(t: Page, to: str) -> str:
    """Open the newest caught e-mail to ``to`` in the Buzón de la demo; its one-time link."""
    page = t.page
    page.goto("/app/correo-demo")
    page.get_by_role("row").filter(has_text=to).first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/app/correo-demo/[0-9a-f-]{36}$"))
    found = LINK.search(page.locator("pre.correo").inner_text())
    assert found, page.content()
    return found[0]


def set_password_through(t: Page, link: str, name: str) -> None:
    page = t.page
    page.goto(link)
    expect(page.get_by_role("heading", name="Elige tu contraseña")).to_be_visible()
    assert "Al menos 12 caracteres y difícil de adivinar" in page.inner_text("main")
    page.get_by_label("Contraseña nueva").fill("clave12345678")
    page.get_by_label("Repite la contraseña").fill("clave12345678")
    page.get_by_role("button", name="Guardar contraseña e ingresar").click()
    expect(page.locator("#contrasena-error")).to_contain_text("fácil de adivinar")
    t.check()
    page.get_by_label("Contraseña nueva").fill(NEW_PASSWORD)
    page.get_by_label("Repite la contraseña").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Guardar contraseña e ingresar").click()
    page.wait_for_url(re.compile(r"/app$"))
    expect(page.locator(".usuario")).to_contain_text(name)


def sign_in_with(t: Page, email: str, password: str) -> None:
    page = t.page
    page.goto("/app/ingresar")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url(re.compile(r"/app$"))


def _open_menu(page) -> None:
    menu = page.get_by_role("button", name="Menú")
    if menu.is_visible():
        menu.click()


@pytest.mark.parametrize("viewport", ["escritorio", "telefono"])
def test_an_admin_invites_a_user_who_sets_their_password_from_the_mail(tab, demo_tenant, engine_name, viewport):
    admin = tab()
    if viewport == "telefono":
        admin.page.set_viewport_size(PHONE)
    admin.sign_in(demo_tenant.users[Role.ADMIN].email)
    page = admin.page
    _open_menu(page)  # on a phone the menu folds behind «Menú»
    page.get_by_role("link", name="Configuración").click()
    page.get_by_text("Invitar usuario").click()
    rule = page.locator("#contrasena-regla")
    expect(rule).to_contain_text("Al menos 12 caracteres y difícil de adivinar")
    assert page.locator("#contrasena").get_attribute("minlength") == "12"
    email = unique_email("nueva")
    page.get_by_label("Nombre", exact=True).fill("Valentina Ríos")
    page.locator("#correo").fill(email)
    page.get_by_label("Rol", exact=True).select_option("OPERADOR")
    page.get_by_role("button", name="Invitar", exact=True).click()
    page.wait_for_url(re.compile(r"/app/configuracion(#usuarios)?$"))  # the notice is not in the address
    expect(page.get_by_role("status")).to_contain_text("Invitación enviada")
    expect(page.get_by_role("row").filter(has_text=email)).to_be_visible()
    admin.check(f"usuarios-invitacion-{engine_name}-{viewport}")
    if viewport == "telefono":
        no_sideways_scroll(admin)

    link = link_from_buzon(admin, email)
    assert "vence en 3 días" in page.locator("pre.correo").inner_text()
    admin.check(f"buzon-invitacion-{engine_name}-{viewport}")

    newcomer = tab()
    if viewport == "telefono":
        newcomer.page.set_viewport_size(PHONE)
    set_password_through(newcomer, link, "Valentina Ríos")
    newcomer.check(f"inicio-invitada-{engine_name}-{viewport}")
    if viewport == "telefono":
        no_sideways_scroll(newcomer)
    _open_menu(newcomer.page)
    newcomer.page.get_by_role("button", name="Cerrar sesión").click()
    newcomer.page.wait_for_url(re.compile(r"/app/ingresar"))
    sign_in_with(newcomer, email, NEW_PASSWORD)
    # The link worked once.
    newcomer.page.goto(link)
    expect(newcomer.page.get_by_role("heading", name="Enlace no válido")).to_be_visible()
    newcomer.check()


def test_a_user_who_forgot_their_password_gets_a_link(tab, demo_tenant, engine_name):
    consulta = demo_tenant.users[Role.CONSULTA]
    forgot = tab()
    forgot.page.set_viewport_size(PHONE)
    page = forgot.page
    page.goto("/app/ingresar")
    page.get_by_role("link", name="¿Olvidaste tu contraseña?").click()
    page.wait_for_url(re.compile(r"/app/olvide$"))
    forgot.check(f"olvide-{engine_name}")
    no_sideways_scroll(forgot)
    page.get_by_label("Correo electrónico").fill(consulta.email)
    page.get_by_role("button", name="Enviar enlace").click()
    expect(page.get_by_role("status")).to_contain_text("Si el correo corresponde a un usuario activo")
    # An unknown address gets the very same answer.
    page.get_by_label("Correo electrónico").fill(unique_email("nadie"))
    page.get_by_role("button", name="Enviar enlace").click()
    expect(page.get_by_role("status")).to_contain_text("Si el correo corresponde a un usuario activo")

    admin = tab()  # the demo's mail catcher is read inside the back office
    admin.sign_in(demo_tenant.users[Role.ADMIN].email)
    link = link_from_buzon(admin, consulta.email)
    set_password_through(forgot, link, consulta.name)
    forgot.check(f"contrasena-restablecida-{engine_name}")
    no_sideways_scroll(forgot)


def test_the_logo_uploaded_once_shows_in_the_header_and_the_pdf(tab, client, demo_tenant, engine_name):
    headers = demo_tenant.headers()
    resolution = ok(client.post("/billing/resolutions", headers=headers, json=resolution_body()), 201)
    customer = ok(client.post("/billing/customers", headers=headers, json=customer_body()), 201)
    draft = ok(
        client.post(
            "/billing/invoices",
            headers=headers,
            json={
                "customerId": customer["id"],
                "resolutionId": resolution["id"],
                "paymentForm": "CONTADO",
                "lines": [{"description": "Resma carta", "quantity": "1", "unitPrice": "11900", "taxes": []}],
            },
        ),
        201,
    )
    image = Image.new("RGB", (300, 100), (12, 74, 110))
    for x in range(20, 280):
        for y in (45, 46, 47, 48, 49, 50, 51, 52, 53, 54):
            image.putpixel((x, y), (250, 190, 20))
    png = io.BytesIO()
    image.save(png, format="PNG")

    admin = tab()
    admin.sign_in(demo_tenant.users[Role.ADMIN].email)
    page = admin.page
    _open_menu(page)  # on a phone the menu folds behind «Menú»
    page.get_by_role("link", name="Configuración").click()
    page.get_by_role("link", name="Logo, notas y correo").click()
    page.wait_for_url(re.compile(r"/app/configuracion/marca$"))
    page.locator("#logo").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": png.getvalue()}]
    )
    page.get_by_label("Plazo de pago habitual").select_option("30")
    page.get_by_label("Notas de las facturas").fill("Cuenta de ahorros Bancolombia 123-456789-01")
    page.get_by_role("button", name="Guardar", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Guardado, con el logo nuevo")  # one-shot notice
    header_logo = page.locator("header img.logo-empresa")
    expect(header_logo).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", header_logo.element_handle()) == 300  # served under the CSP
    admin.check(f"marca-{engine_name}")
    page.set_viewport_size(PHONE)
    no_sideways_scroll(admin)
    _open_menu(page)
    page.get_by_role("link", name="Inicio").first.click()
    expect(page.locator("header img.logo-empresa")).to_be_visible()
    no_sideways_scroll(admin)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"/app/facturas/{draft['id']}")
    with page.expect_download() as pdf_download:
        page.get_by_role("button", name="Descargar PDF").click()
    pdf = pdf_download.value.path().read_bytes()
    assert b"/Subtype /Image" in pdf
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / f"factura-con-logo-{engine_name}.pdf").write_bytes(pdf)  # to look at

    page.goto("/app/facturas/nueva")
    expect(page.get_by_label("Plazo de pago")).to_have_value("30")
    expect(page.get_by_label("Notas")).to_have_value("Cuenta de ahorros Bancolombia 123-456789-01")
