// Scene (wire format) -> SVG text in the same format as Python's
// pelican_widget.svg.to_svg (so Scene.from_svg reads what the "download SVG"
// button writes): viewBox in pixels, a background rect, one element per shape
// in paint order, lengths scaled by the longer side, fills as rgb(r%,g%,b%)
// with four decimals of percent (grey: three equal channels).

import { KIND_BY_NAME } from "../engine/shapes/index.js";

const SVG_NS = "http://www.w3.org/2000/svg";

/** @param {number} v number with at most 6 decimals, no trailing zeros */
function num(v) {
  const text = v.toFixed(6).replace(/0+$/, "").replace(/\.$/, "");
  return text === "-0" || text === "" ? "0" : text;
}

/** @param {number} v a channel in [0, 1] */
function percent(v) {
  return (v * 100).toFixed(4).replace(/0+$/, "").replace(/\.$/, "") + "%";
}

/** @param {number | number[]} value grey or [r, g, b] in [0, 1] */
export function svgColour(value) {
  const rgb = Array.isArray(value) ? value : [value, value, value];
  return `rgb(${rgb.map(percent).join(",")})`;
}

/** @param {string} s */
function quoteAttr(s) {
  return `"${s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")}"`;
}

/** Canvas fill style for a grey or [r, g, b] fill. @param {number|number[]} fill */
export function fillColor(fill) {
  const rgb = Array.isArray(fill) ? fill : [fill, fill, fill];
  const c = rgb.map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/**
 * @param {{width:number, height:number, background?:number|number[], shapes:object[]}} scene
 * @param {number} [scale]
 * @returns {string}
 */
export function sceneToSvg(scene, scale = 1) {
  const w = scene.width;
  const h = scene.height;
  const side = Math.max(w, h);
  const lines = [
    `<svg xmlns="${SVG_NS}" width="${num(w * scale)}" height="${num(h * scale)}" viewBox="0 0 ${w} ${h}">`,
    `  <rect width="${w}" height="${h}" fill="${svgColour(scene.background ?? 1)}"/>`,
  ];
  for (const s of scene.shapes) {
    if (!Object.hasOwn(KIND_BY_NAME, s.type)) continue;
    const kind = KIND_BY_NAME[s.type];
    const colour = svgColour(s.fill);
    const paint = kind.paint === "stroke" ? `fill="none" stroke="${colour}"` : `fill="${colour}"`;
    // opacity only below 1, in the attribute of what paints (src/pelican_widget/svg.py)
    const opacity = s.opacity === undefined || s.opacity >= 1 ? "" : ` ${kind.paint === "stroke" ? "stroke" : "fill"}-opacity="${+s.opacity.toPrecision(9)}"`;
    const fill = `${paint}${opacity}${s.name == null ? "" : ` data-name=${quoteAttr(s.name)}`}`;
    lines.push(`  ${kind.svg(s, { w, h, side, num })} ${fill}/>`);
  }
  lines.push("</svg>");
  return lines.join("\n") + "\n";
}
