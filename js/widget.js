// anywidget entry. `initialize` runs once per model in each frontend and owns
// the engine (through the runner); `render` runs once per view and only draws.
// Styles are not here: they are anywidget's `_css` (static/widget.css), which
// each host applies where the view lives (a shadow root in marimo).

import { startRunner } from "./ui/runner.js";
import { renderView } from "./ui/view.js";

function initialize({ model }) {
  return startRunner(model);
}

function render({ model, el }) {
  return renderView({ model, el });
}

export default { initialize, render };
