// Placeholder until the widget UI lands (issue 5).
function render({ model, el }) {
  el.textContent = `pelican-widget: ${model.get("status")}`;
}
export default { render };
