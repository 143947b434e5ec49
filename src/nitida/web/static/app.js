// The back office's own behaviour, beside htmx (served from 'self': the CSP allows no inline script).
// Without JavaScript every form still posts; these only spare a clerk surprises.

// A button with data-confirm asks first (Emitir, Eliminar borrador: acts that cannot be undone).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// In the invoice editor: Enter in a field never submits the form nor adds a line (the browser would press
// the form's first button), and a click into a prefilled number selects it, so typing "10" over "1" gives
// 10, not 110.
document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (
    event.key === "Enter" &&
    field instanceof HTMLInputElement &&
    !["submit", "button", "checkbox", "radio", "file"].includes(field.type) &&
    (field.closest("table.lineas") || field.closest("form#factura"))
  ) {
    event.preventDefault();
  }
});
let justSelected = null;
document.addEventListener("focusin", (event) => {
  const field = event.target;
  if (field instanceof HTMLInputElement && field.closest("table.lineas") && field.inputMode === "decimal") {
    field.select();
    justSelected = field;
  }
});
// The click that focused the field would put the caret back where it landed: keep the selection.
document.addEventListener("mouseup", (event) => {
  if (event.target === justSelected) {
    event.preventDefault();
  }
  justSelected = null;
});

// The customer form (data-enter-no-envia): Enter in a text field moves on instead of sending a half-filled
// form; the form is sent with its Guardar button only.
document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (event.key === "Enter" && field instanceof HTMLInputElement && field.form
      && field.form.hasAttribute("data-enter-no-envia") && field.type !== "submit") {
    event.preventDefault();
  }
});

// Responsabilidades fiscales: R-99-PN ("no aplica") and the O- codes exclude each other, as the DIAN's list
// (and the server) say: ticking one side unticks the other.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || box.name !== "responsabilidades" || !box.checked || !box.form) {
    return;
  }
  const none = box.value === "R-99-PN";
  for (const other of box.form.querySelectorAll('input[name="responsabilidades"]')) {
    if (other !== box && (none || other.value === "R-99-PN")) {
      other.checked = false;
    }
  }
});

// The editor's lines: «Agregar línea» adds a row from its <template> without a round trip (no reload, the
// typed lines stay) and puts the focus in its description. Without JavaScript the form's own button
// (in <noscript>) asks the server for the row instead.
const MAX_LINES = 100;
function addLine() {
  const template = document.getElementById("linea-nueva");
  const count = document.querySelector("form#factura input[name=lineas]");
  const body = document.querySelector("table.lineas tbody");
  if (!template || !count || !body) return;
  const index = Number(count.value);
  if (index >= MAX_LINES) return;
  const html = template.innerHTML.replaceAll("__NUM__", String(index + 1)).replaceAll("__N__", String(index));
  body.insertAdjacentHTML("beforeend", html);
  count.value = String(index + 1);
  // An export invoice's new line is exempt (IVA 0 %, issue 25), as the server's own «Agregar línea» makes it.
  const iva = document.getElementById(`iva_${index}`);
  if (iva instanceof HTMLSelectElement && document.querySelector("#exportacion_si:checked")) iva.value = "0";
  const description = document.getElementById(`descripcion_${index}`);
  if (description) description.focus();
  const button = document.querySelector("[data-agregar-linea]");
  if (button && index + 1 >= MAX_LINES) button.disabled = true;
}
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-agregar-linea]")) {
    event.preventDefault();
    addLine();
  }
});

// The editor's shortcuts (shown on the page): Ctrl+S (⌘S) saves the draft, Alt+L adds a line.
document.addEventListener("keydown", (event) => {
  const form = document.querySelector("form#factura");
  if (!form) return;
  if ((event.ctrlKey || event.metaKey) && !event.altKey && event.code === "KeyS") {
    event.preventDefault();
    const save = form.querySelector("[data-guardar]");
    if (save) form.requestSubmit(save);
  } else if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyL") {
    event.preventDefault();
    addLine();
  }
});

// After a form comes back with errors, the focus goes to the first field in error.
function focusFirstError(root) {
  const field = root.querySelector('[aria-invalid="true"]');
  if (field instanceof HTMLElement) field.focus();
}
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.target instanceof Element) focusFirstError(event.target);
});

// On a phone the main menu folds behind «Menú» (app.css): a real button, with aria-expanded; Escape
// closes it and gives the focus back to the button.
function setUpMenu() {
  const nav = document.querySelector("header nav");
  const button = nav && nav.querySelector(".menu-boton button");
  if (!nav || !button) return;
  nav.classList.add("plegable");
  const open = (yes) => {
    nav.classList.toggle("abierto", yes);
    button.setAttribute("aria-expanded", String(yes));
  };
  button.addEventListener("click", () => open(button.getAttribute("aria-expanded") !== "true"));
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      open(false);
      button.focus();
    }
  });
}

// Scripts are deferred: the document is parsed when this runs.
setUpMenu();
for (const element of document.querySelectorAll("[data-agregar-linea], #atajos")) element.hidden = false;
focusFirstError(document);
