// anywidget entry. `initialize` runs once per model in each frontend and owns
// the engine (through the runner); `render` runs once per view and only draws.

import { startRunner } from "./ui/runner.js";
import css from "./ui/style.css";
import { renderView } from "./ui/view.js";

const STYLE_ID = "pelican-widget-style";

function injectStyle() {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = css;
  document.head.append(style);
}

function initialize({ model }) {
  return startRunner(model);
}

function render({ model, el }) {
  injectStyle();
  return renderView({ model, el });
}

export default { initialize, render };
