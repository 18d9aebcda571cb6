// The shape search's round log (trait `rounds`, written by the runner): a
// compact list, one line per round, newest at the bottom.

/** @param {number} v */
function fmt(v) {
  if (!Number.isFinite(v)) return "-";
  return v >= 0.001 ? v.toFixed(5) : v.toExponential(3);
}

/**
 * @param {{round: number, type: string, lossBefore: number, lossAfter: number, accepted: boolean, shapes: number}} r
 * @returns {HTMLLIElement}
 */
function row(r) {
  const li = document.createElement("li");
  li.className = "pelican-round";
  li.dataset.accepted = String(Boolean(r.accepted));
  li.textContent = `${r.round}. ${r.type} ${fmt(r.lossBefore)} → ${fmt(r.lossAfter)} ${r.accepted ? "kept" : "rejected"} · ${r.shapes} shapes`;
  li.title = r.accepted ? "the candidate lowered the loss and was kept" : "the candidate did not lower the loss; the drawing is as before this round";
  return li;
}

/**
 * @param {any} model the anywidget model
 * @returns {{el: HTMLElement, dispose: () => void}} the log (hidden while empty) and its cleanup
 */
export function createRoundLog(model) {
  const summary = document.createElement("div");
  summary.className = "pelican-rounds-summary";
  const list = document.createElement("ol");
  list.className = "pelican-rounds";
  const el = document.createElement("div");
  el.className = "pelican-round-log";
  el.append(summary, list);

  const update = () => {
    const rounds = model.get("rounds") ?? [];
    el.hidden = rounds.length === 0;
    // Stay at the newest line unless the reader has scrolled up.
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    list.replaceChildren(...rounds.map(row));
    if (atBottom) list.scrollTop = list.scrollHeight;
    const kept = rounds.filter((r) => r.accepted).length;
    summary.textContent = `shape search: ${rounds.length} rounds, ${kept} kept, ${rounds.length - kept} rejected`;
  };
  model.on("change:rounds", update);
  update();
  return { el, dispose: () => model.off("change:rounds", update) };
}
