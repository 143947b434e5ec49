// The back office's own behaviour, beside htmx (served from 'self': the CSP allows no inline script).
// Without JavaScript every form still posts; these only spare a clerk surprises.

// A button with data-confirm asks first (Emitir, Eliminar borrador: acts that cannot be undone).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// In the invoice editor: Enter in a line's field never submits the form, and a click into a prefilled
// number selects it, so typing "10" over "1" gives 10, not 110.
document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (event.key === "Enter" && field instanceof HTMLInputElement && field.closest("table.lineas")) {
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
