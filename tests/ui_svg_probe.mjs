// Helper of tests/test_widget_colour.py (outside js/test/, where node --test
// would run it): reads a scene as JSON on stdin and prints the SVG that the
// widget's "Download SVG" button writes for it.

import { sceneToSvg } from "../js/ui/svg.js";

let input = "";
for await (const chunk of process.stdin) input += chunk;
process.stdout.write(sceneToSvg(JSON.parse(input)));
