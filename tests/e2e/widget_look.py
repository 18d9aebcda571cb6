"""Page-side checks of how the widget looks, shared by the JupyterLab and marimo tests.

Each is a JavaScript function for ``locator.evaluate`` on a ``.pelican-widget``
element, so it works inside marimo's shadow roots as in JupyterLab's DOM.
"""

from __future__ import annotations

# WCAG contrast of every visible text of the widget against the colour behind
# it (ancestors' backgrounds composited, alpha included), from computed styles.
CONTRAST_JS = """(root) => {
    const parse = (c) => {
        const m = c.match(/rgba?\\(([^)]+)\\)/);
        if (!m) return [0, 0, 0, 0];
        const v = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
        return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
    };
    const over = (top, under) => {
        const a = top[3];
        return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
    };
    const background = (el) => {
        const layers = [];
        for (let n = el; n; n = n.parentElement || n.getRootNode().host) {
            const c = parse(getComputedStyle(n).backgroundColor);
            if (c[3] > 0) layers.push(c);
            if (c[3] >= 1) break;
        }
        let out = [255, 255, 255, 1];
        for (const c of layers.reverse()) out = over(c, out);
        return out;
    };
    const lum = (c) => {
        const f = (v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
    };
    const rows = [];
    const texts = root.querySelectorAll(
        '.pelican-title, .pelican-status, .pelican-badge, .pelican-progress-text, .pelican-loss, ' +
        '.pelican-chart-empty, figcaption, label, button, input');
    for (const el of texts) {
        const style = getComputedStyle(el);
        if (el.hidden || style.display === 'none' || el.getClientRects().length === 0) continue;
        const bg = background(el);
        const fg = over(parse(style.color), bg);
        const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
        // disabled controls are exempt from contrast rules (WCAG 1.4.3)
        rows.push({
            what: el.className || el.tagName.toLowerCase(),
            text: (el.textContent || el.value || '').slice(0, 40),
            ratio: (hi + 0.05) / (lo + 0.05), disabled: Boolean(el.disabled),
            background: lum(bg),
        });
    }
    return { rows, widgetBackground: lum(background(root)) };
}"""

# Sizes of the parts whose layout issue 16 found broken.
LAYOUT_JS = """(root) => {
    const box = (el) => {
        const r = el.getBoundingClientRect();
        return { w: r.width, h: r.height, x: r.x, y: r.y };
    };
    const steps = root.querySelector('input.pelican-steps');
    const style = getComputedStyle(steps);
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = style.font;
    // Chromium's number spinner covers about 16 px at the right of the text
    const pad = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const room = steps.clientWidth - pad - 16;
    const empty = root.querySelector('.pelican-chart-empty');
    return {
        widget: box(root),
        // a control row wider than the widget scrolls it sideways, cutting its left edge
        overflowX: root.scrollWidth - root.clientWidth,
        panels: box(root.querySelector('.pelican-panels')),
        target: box(root.querySelector('canvas.pelican-target')),
        drawing: box(root.querySelector('canvas.pelican-drawing')),
        title: root.querySelector('.pelican-title').textContent,
        stepsRoom: room, stepsText: ctx.measureText('1000000').width,
        empty: { shown: !empty.hidden, text: empty.textContent, box: box(empty),
                 chart: box(root.querySelector('canvas.pelican-chart')),
                 overflow: empty.scrollWidth > empty.clientWidth + 1
                     || empty.scrollHeight > empty.clientHeight + 1 },
    };
}"""
