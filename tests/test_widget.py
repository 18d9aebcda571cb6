"""The widget's Python side, without a browser: traits, validation, the
request/ownership protocol, target and scene serialisation, SVG from synced state.

Browser updates are simulated with ``Widget.set_state``, the path a frontend's
message takes in the kernel.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import traitlets
from PIL import Image
from without_numpy import assert_runs_without_numpy

import pelican_widget as pw
from pelican_widget import _png
from pelican_widget.widget import HISTORY_COLUMNS, _encode_target

REPO = Path(__file__).resolve().parents[1]


def png_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()


@pytest.fixture
def w() -> pw.PelicanWidget:
    return pw.PelicanWidget()


def browser_scene(scene: pw.Scene, dx: float = 0.01) -> dict:
    """The scene as the engine would send it back: moved a little, no names."""
    data = scene.to_dict()
    for shape in data["shapes"]:
        shape.pop("name", None)
        if "cx" in shape:
            shape["cx"] += dx
        else:
            shape["points"] = [[x + dx, y] for x, y in shape["points"]]
    return data


# ---------------------------------------------------------------- defaults


def test_defaults_send_a_grey_png_target_and_the_pelican_scene(w):
    assert w.target_size == [128, 128]
    assert bytes(w.target_image).startswith(_png.PNG_SIGNATURE)
    image = Image.open(io.BytesIO(w.target_image))
    assert image.mode == "L" and image.size == (128, 128)
    np.testing.assert_allclose(w.target, pw.default_target(128), atol=0.5 / 255)
    assert len(w.scene.shapes) == 9
    assert (w.scene.width, w.scene.height) == (128, 128)
    assert w.status == "waiting for browser"
    assert w.requested_backend == "auto"
    # the design's loss weights, written out so that a changed default is caught
    assert w.weights == {
        "mse": 1.0,
        "edge": 0.1,
        "ssim": 0.05,
        "perimeter": 0.001,
        "degeneracy": 0.1,
        "canvas": 1.0,
    }


def test_state_serialises_scene_as_wire_format_and_target_as_bytes(w):
    state = w.get_state()
    assert state["scene"] == w.scene.to_dict()
    assert pw.Scene.from_dict(state["scene"]) == w.scene
    assert isinstance(state["target_image"], bytes)
    assert state["requested_backend"] == "auto"


# -------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("steps", "many", "must be an integer"),
        ("steps", True, "must be an integer"),
        ("steps", 2.0, "must be an integer"),
        ("steps", 0, "steps"),
        ("steps", 2_000_000, "steps"),
        ("lr", float("nan"), "finite"),
        ("lr", float("inf"), "finite"),
        ("lr", 0.0, "> 0"),
        ("lr", -0.1, "> 0"),
        ("lr", "fast", "must be a number"),
        ("tau_start", 0, "> 0"),
        ("requested_backend", "cuda", "requested_backend"),
        ("workers", 0, "workers"),
        ("workers", 1.5, "must be an integer"),
        ("seed", -1, "seed"),
        ("weights", {"mse": -1}, "finite and >= 0"),
        ("weights", {"loud": 1}, "unknown loss term"),
        ("weights", {"mse": "1"}, "must be a number"),
        ("weights", [1, 2], "weights"),
        ("resolution", 4, "resolution"),
        ("scene", {"shapes": [{"type": "hexagon"}]}, "shape 0"),
        (
            "scene",
            {"shapes": [{"type": "circle", "cx": 0.5, "cy": 0.5, "r": -1, "fill": 0.5}]},
            "r",
        ),
        ("scene", 42, "must be a Scene"),
        ("scene", "{not json", "invalid scene JSON"),
    ],
)
def test_bad_values_raise_trait_errors_and_keep_the_old_value(w, name, value, message):
    before = getattr(w, name)
    with pytest.raises(traitlets.TraitError, match=message):
        setattr(w, name, value)
    assert getattr(w, name) == before


def test_weights_fill_in_defaults(w):
    w.weights = {"ssim": 0.2}
    assert w.weights["ssim"] == 0.2 and w.weights["mse"] == 1.0


@pytest.mark.parametrize(
    "name",
    ["status", "backend", "step", "loss", "loss_history", "frame", "error", "total_steps"],
)
def test_browser_state_is_read_only_in_python(w, name):
    value = {
        "status": "done",
        "backend": "wasm",
        "step": 3,
        "loss": {},
        "loss_history": [],
        "frame": b"x",
        "error": "x",
        "total_steps": 3,
    }[name]
    with pytest.raises(traitlets.TraitError, match="written by the browser"):
        setattr(w, name, value)


def test_target_traits_cannot_be_set_directly(w):
    with pytest.raises(traitlets.TraitError, match="set_target"):
        w.target_image = b"\x89PNG"


def test_constructor_refuses_state_keywords():
    with pytest.raises(TypeError, match="status"):
        pw.PelicanWidget(status="done")
    with pytest.raises(traitlets.TraitError):
        pw.PelicanWidget(steps="x")
    with pytest.raises(traitlets.TraitError, match="resolution"):
        pw.PelicanWidget(resolution=10_000)


# ------------------------------------------------------------------ target


def test_target_from_array_keeps_aspect_and_scene_follows():
    array = np.linspace(0, 1, 64 * 32, dtype=np.float32).reshape(32, 64)
    w = pw.PelicanWidget(array, resolution=128)
    assert w.target_size == [128, 64]
    assert (w.scene.width, w.scene.height) == (128, 64)
    assert (w._initial_scene.width, w._initial_scene.height) == (128, 64)
    assert Image.open(io.BytesIO(w.target_image)).size == (128, 64)


def test_target_from_path_bytes_and_pil(tmp_path):
    image = Image.new("RGB", (40, 80), (255, 0, 0))
    path = tmp_path / "red.png"
    image.save(path)
    for source in (path, str(path), png_bytes(image), png_bytes(image, "JPEG"), image):
        w = pw.PelicanWidget(source, resolution=64, colour="grey")
        assert w.target_size == [32, 64]
        grey = np.asarray(Image.open(io.BytesIO(w.target_image)))
        assert abs(int(grey.mean()) - 76) <= 2  # luma of pure red


def test_set_target_and_resolution_reencode(w):
    w.set_target(np.zeros((10, 20), dtype=np.float32))
    assert w.target_size == [128, 64]
    w.resolution = 32
    assert w.target_size == [32, 16]
    assert (w.scene.width, w.scene.height) == (32, 16)


def test_bad_targets_raise_before_anything_is_sent(w, tmp_path):
    before = bytes(w.target_image)
    with pytest.raises(ValueError, match="PNG or JPEG"):
        w.set_target(b"GIF89a....")
    with pytest.raises(FileNotFoundError):
        w.set_target(tmp_path / "missing.png")
    with pytest.raises(ValueError):
        w.set_target(_png.PNG_SIGNATURE + b"garbage")
    with pytest.raises(ValueError):
        w.set_target(np.full((8, 8), np.nan))
    assert bytes(w.target_image) == before


def test_without_pillow_bytes_go_as_they_are_with_the_size_from_the_header(monkeypatch):
    jpeg = png_bytes(Image.new("L", (300, 200), 90), "JPEG")
    monkeypatch.setitem(sys.modules, "PIL", None)
    encoded = _encode_target(jpeg, 128, "auto")
    assert encoded.image == jpeg
    assert encoded.size == (128, 85)
    # only the browser decodes here, so Python has no mean grey to start from
    assert encoded.mean is None
    # a one-component JPEG is grey by its header
    assert encoded.colour == "grey"
    encoded = _encode_target(None, 64, "auto")
    assert encoded.image == pw.target.default_target_png() and encoded.size == (64, 64)
    assert encoded.mean is None


def test_package_imports_and_widget_works_without_numpy_and_pillow():
    assert_runs_without_numpy(
        "import pelican_widget as pw\n"
        "w = pw.PelicanWidget(steps=10)\n"
        "assert w.target_size == [128, 128], w.target_size\n"
        "assert bytes(w.target_image) == pw.target.default_target_png()\n"
        "w.run(); assert w.status == 'running'\n"
        "assert pw.Scene.from_svg(w.to_svg()).shapes\n",
        env={"PYTHONPATH": str(REPO / "src")},
        timeout=120,
    )


# ----------------------------------------------------- requests and owners


def beat(w, frontend: str, request: int) -> None:
    """A frontend's heartbeat, as the runner sends it (announce: request 0)."""
    beat.count += 1
    w.set_state({"_heartbeat": {"frontend": frontend, "request": request, "beat": beat.count}})


beat.count = 0


def test_run_returns_at_once_and_a_second_run_is_refused(w):
    w.run(50)
    assert w.status == "running"
    # no frontend known yet: the request names no owner (the first to see it runs it)
    assert w._run_request == {"id": 1, "steps": 50, "stop": 0, "owner": ""}
    with pytest.raises(RuntimeError, match="already in progress"):
        w.run()
    assert w._run_request["id"] == 1


def test_run_validates_steps(w):
    with pytest.raises(traitlets.TraitError, match="steps"):
        w.run(0)
    with pytest.raises(traitlets.TraitError, match="steps"):
        w.run("10")
    assert w.status == "waiting for browser"


def test_first_claim_wins_and_others_only_watch(w, monkeypatch):
    resent = []
    monkeypatch.setattr(w, "send_state", lambda key=None: resent.append(key))
    w.run()
    w.set_state({"_claim": {"frontend": "tab-a", "request": 1}})
    assert w._owner == {"frontend": "tab-a", "request": 1}
    before = resent.count("_owner")
    w.set_state({"_claim": {"frontend": "tab-b", "request": 1}})
    assert w._owner == {"frontend": "tab-a", "request": 1}
    # the loser is told who owns it (its local run then stops)
    assert resent.count("_owner") == before + 1
    # a claim for a request that is not the current one is ignored
    w.set_state({"_claim": {"frontend": "tab-b", "request": 7}})
    assert w._owner["frontend"] == "tab-a"


def test_run_names_the_frontend_heard_last_as_owner_without_a_round_trip(w):
    beat(w, "tab-a", 0)
    beat(w, "tab-b", 0)  # announced last (e.g. the page was just reloaded)
    w.run(30)
    assert w._run_request["owner"] == "tab-b"
    assert w._owner == {"frontend": "tab-b", "request": 1}
    # the Run button names its own page
    w.set_state({"status": "done", "_heartbeat": {"frontend": "tab-b", "request": 1, "beat": 99}})
    w.set_state({"_run_request": {"id": 2, "steps": 20, "stop": 0, "owner": "tab-a"}})
    assert w.status == "running"
    assert w._owner == {"frontend": "tab-a", "request": 2}


def test_a_takeover_needs_a_silent_owner(w, monkeypatch):
    monkeypatch.setattr(pw.widget, "TAKEOVER_S", 0.2)
    monkeypatch.setattr(w, "send_state", lambda key=None: None)
    beat(w, "closed-tab", 0)
    w.run()
    takeover = {"frontend": "tab-b", "request": 1, "takeover": True}
    w.set_state({"_claim": takeover})
    assert w._owner["frontend"] == "closed-tab"  # too early: it may still start
    time.sleep(0.3)
    w.set_state({"_claim": {**takeover, "takeover": False}})
    assert w._owner["frontend"] == "closed-tab"  # a plain claim never takes over
    w.set_state({"_claim": takeover})
    assert w._owner == {"frontend": "tab-b", "request": 1}


def test_an_owner_that_goes_away_mid_run_ends_the_run_as_stopped(w, monkeypatch):
    monkeypatch.setattr(pw.widget, "OWNER_SILENT_S", 0.2)
    beat(w, "tab-a", 0)
    w.run()
    beat(w, "tab-a", 1)
    streamed = browser_scene(w.scene)
    w.set_state({"scene": streamed, "step": 40})
    gone = {"frontend": "tab-b", "request": 1, "gone": "tab-a"}
    w.set_state({"_claim": gone})
    assert w.status == "running"  # the kernel heard from it lately: not gone
    time.sleep(0.3)
    w.set_state({"_claim": {**gone, "beat": 2}})
    assert w.status == "stopped"
    assert "stopped answering" in w.error
    assert w.scene == pw.Scene.from_dict(streamed)  # the last streamed drawing is kept
    w.run()  # and a new run can start
    assert w.status == "running" and w._run_request["id"] == 2


def test_stop_ends_a_run_whose_owner_is_gone(w, monkeypatch):
    monkeypatch.setattr(pw.widget, "OWNER_SILENT_S", 0.2)
    w.run()
    beat(w, "tab-a", 1)
    w.stop()
    assert w.status == "running"  # its owner is alive: it reports the stop
    w.set_state({"status": "stopped", "_heartbeat": {"frontend": "tab-a", "request": 1, "beat": 5}})
    w.run()
    beat(w, "tab-a", 2)
    time.sleep(0.3)  # page reloaded: no heartbeat any more
    w.stop()
    assert w.status == "stopped"
    w.reset()
    assert w.status == "ready"


def test_messages_of_an_older_run_do_not_change_the_current_one(w):
    w.run()
    beat(w, "tab-a", 1)
    w.stop()
    w.set_state({"status": "stopped", "_heartbeat": {"frontend": "tab-a", "request": 1, "beat": 7}})
    w.run(40)
    scene = w.scene
    # run 1's last writes, arriving after run 2 was requested
    late = {"status": "stopped", "step": 99, "scene": browser_scene(scene)}
    w.set_state({**late, "_heartbeat": {"frontend": "tab-a", "request": 1, "beat": 8}})
    assert (w.status, w.step, w.scene) == ("running", 0, scene)
    w.set_state({"step": 10, "_heartbeat": {"frontend": "tab-a", "request": 2, "beat": 9}})
    assert w.step == 10


def test_run_state_also_arrives_as_a_custom_message(w):
    # The runner sends heartbeats, claims and results as custom messages too:
    # ipywidgets may hold its state updates back while a cell waits.
    w.run()
    direct = {"_heartbeat": {"frontend": "tab-a", "request": 1, "beat": 4}, "status": "running"}
    w._handle_custom_msg({"pelican": "state", "state": direct, "buffers": []}, [])
    assert w._liveness.run_beat is not None and w._liveness.last_frontend == "tab-a"
    final = {
        "status": "done",
        "step": 500,
        "scene": browser_scene(w.scene),
        "steps": 7,  # not run state: ignored on this path
        "_heartbeat": {"frontend": "tab-a", "request": 1, "beat": 5},
    }
    png = memoryview(b"\x89PNG...")
    w._handle_custom_msg({"pelican": "state", "state": final, "buffers": ["frame"]}, [png])
    assert (w.status, w.step, w.frame, w.steps) == ("done", 500, b"\x89PNG...", 500)
    assert w.scene == pw.Scene.from_dict(final["scene"])
    # the same checks as state updates: an older run's result is dropped
    w.run()
    late = {**final, "status": "stopped", "step": 3}
    w._handle_custom_msg({"pelican": "state", "state": late, "buffers": []}, [])
    assert (w.status, w.step) == ("running", 500)
    # other custom messages are left alone
    w._handle_custom_msg({"something": "else"}, [])
    assert w.status == "running"


def test_direct_state_is_not_echoed_back_to_the_page(w, monkeypatch):
    # The page that sent it holds newer values by the time an echo would
    # arrive (a short run ends first): an echo would take its view back.
    sent = []
    monkeypatch.setattr(w, "_send", lambda msg, buffers=None: sent.append(msg))
    w.run()
    state = {
        "_heartbeat": {"frontend": "tab-a", "request": w._run_request["id"], "beat": 1},
        "status": "running",
        "step": 3,
        "loss_history": [],
    }
    sent.clear()
    w._handle_custom_msg({"pelican": "state", "state": state, "buffers": []}, [])
    assert (w.status, w.step) == ("running", 3)
    assert [m for m in sent if "step" in m.get("state", {})] == []
    # a state update through ipywidgets' own path is echoed to every frontend
    w.set_state({**state, "step": 4})
    assert w.step == 4
    assert [m["method"] for m in sent if "step" in m.get("state", {})] == ["echo_update"]


def test_wait_says_why_when_no_browser_runs_the_request(w, monkeypatch):
    monkeypatch.setattr(pw.widget, "WAIT_START_S", 0.1)
    monkeypatch.setattr(pw.widget, "OWNER_SILENT_S", 0.1)
    w.run()
    began = time.monotonic()
    w._check_alive(began)  # within the grace period
    time.sleep(0.15)
    with pytest.raises(RuntimeError, match="no browser shows this widget"):
        w._check_alive(began)
    beat(w, "closed-tab", 0)
    with pytest.raises(RuntimeError, match="no browser page started the run"):
        w._check_alive(began)
    beat(w, "tab-b", 1)
    w._check_alive(began)
    time.sleep(0.15)
    with pytest.raises(RuntimeError, match="sent nothing for"):
        w._check_alive(began)
    assert w.status == "stopped"


def test_stop_before_any_browser_took_the_run_cancels_it(w):
    w.run()
    w.stop()
    assert w.status == "stopped"
    assert w._stop_request == 1
    # a late claim for the cancelled request is not granted
    w.set_state({"_claim": {"frontend": "tab-a", "request": 1}})
    assert w._owner["request"] == 0
    # the browser that had started it reports the stop: consistent
    w.set_state({"status": "stopped", "_heartbeat": {"frontend": "tab-a", "request": 1, "beat": 1}})
    assert w.status == "stopped"


def test_stop_during_a_run_asks_the_browser(w):
    w.run()
    beat(w, "tab-a", 1)
    w.stop()
    assert w._stop_request == 1
    assert w.status == "running"  # until the browser says it stopped
    w.set_state({"status": "stopped", "step": 120})
    assert w.status == "stopped" and w.wait() == "stopped"


def test_a_starting_frontend_does_not_hide_a_requested_run(w):
    w.run()
    w.set_state({"status": "ready", "backend": "wasm"})
    assert w.status == "running"
    fresh = pw.PelicanWidget()
    fresh.set_state({"status": "ready"})
    assert fresh.status == "ready"


def test_run_button_in_the_browser_is_validated(w):
    w.set_state({"_run_request": {"id": 1, "steps": 20, "stop": 0}})
    assert w.status == "running"
    with pytest.raises(traitlets.TraitError, match="already in progress"):
        w.set_state({"_run_request": {"id": 2, "steps": 20, "stop": 0}})
    with pytest.raises(traitlets.TraitError):
        w.set_state({"_run_request": {"id": 3, "steps": "x", "stop": 0}})


def test_run_button_message_with_the_pages_own_running_state_is_accepted(w, monkeypatch):
    # The page that clicks Run starts at once; its "running" and heartbeat can
    # travel in the same message as the request.
    resent = []
    monkeypatch.setattr(w, "send_state", lambda key=None: resent.append(key))
    w.set_state({"status": "ready"})
    request = {"id": 1, "steps": 20, "stop": 0, "owner": "tab-a"}
    w.set_state(
        {
            "_run_request": request,
            "status": "running",
            "_heartbeat": {"frontend": "tab-a", "request": 1, "beat": 1},
        }
    )
    assert w._run_request == request and w.status == "running"
    assert w._owner == {"frontend": "tab-a", "request": 1}
    # a second Run (another tab) while it runs is refused, and the kernel's
    # request is sent back so that page drops the run it started
    with pytest.raises(traitlets.TraitError, match="already in progress"):
        w.set_state({"_run_request": {**request, "id": 2, "owner": "tab-b"}, "status": "running"})
    assert w._run_request == request and "_run_request" in resent


def test_scene_streams_from_the_browser_but_python_cannot_change_it_mid_run(w):
    start = w.scene
    w.run()
    moved = browser_scene(start)
    w.set_state({"scene": moved})
    assert w.scene == pw.Scene.from_dict(moved)
    with pytest.raises(traitlets.TraitError, match="while a run is in progress"):
        w.scene = start
    assert w._initial_scene == start  # browser updates do not move the reset point


def test_scene_from_python_becomes_the_reset_point(w):
    edited = w.scene.copy(shapes=w.scene.shapes[:3])
    w.scene = edited
    assert w._initial_scene == edited
    w.scene = edited.to_json()
    assert w.scene == edited


def test_reset_when_idle_restores_the_start_and_clears_progress(w):
    start = w.scene
    w.run()
    w.set_state(
        {
            "scene": browser_scene(start),
            "status": "done",
            "step": 500,
            "loss": {"total": 0.03},
            "loss_history": [{"step": 10, "total": 0.05}],
            "frame": memoryview(b"\x89PNG..."),
        }
    )
    assert w.frame == b"\x89PNG..."
    w.reset()
    assert w.scene == start
    assert (w.step, w.loss, w.loss_history, w.frame) == (0, {}, [], b"")
    assert w.status == "ready"


def test_reset_during_a_run_stops_then_resets(w):
    start = w.scene
    w.run()
    beat(w, "tab-a", 1)
    w.set_state({"scene": browser_scene(start), "step": 40})
    w.reset()
    assert w._stop_request == 1 and w.status == "running"
    w.set_state({"status": "stopped", "scene": browser_scene(start, 0.02)})
    assert w.status == "ready"
    assert w.scene == start and w.step == 0


def test_reset_button_in_the_browser_resets(w):
    w.set_state({"_reset_request": 1})
    assert w.status == "waiting for browser"
    assert w.scene == w._initial_scene


def test_browser_error_keeps_the_last_good_scene(w):
    w.run()
    good = browser_scene(w.scene)
    w.set_state({"scene": good})
    bad = browser_scene(w.scene)
    bad["shapes"][0]["fill"] = 3.0
    with pytest.raises(traitlets.TraitError, match="fill"):
        w.set_state({"scene": bad})
    w.set_state({"status": "error", "error": "the browser could not decode the target image"})
    assert w.scene == pw.Scene.from_dict(good)
    assert w.status == "error" and "decode" in w.error


# ------------------------------------------------------------- results


def test_loss_history_and_its_array(w):
    rows = [{"step": 10, "total": 0.05, "mse": 0.01}, {"step": 20, "total": None, "mse": 0.009}]
    w.set_state({"loss_history": rows, "loss": {"total": 0.04, "mse": None}})
    assert math.isnan(w.loss["mse"])
    assert w.loss_history[0] == {"step": 10, "total": 0.05, "mse": 0.01}
    array = w.loss_history_array()
    assert array.shape == (2, len(HISTORY_COLUMNS))
    assert array[1, 0] == 20 and math.isnan(array[1, 1])
    assert math.isnan(array[0, HISTORY_COLUMNS.index("edge")])
    with pytest.raises(traitlets.TraitError):
        w.set_state({"loss_history": [{"step": 1, "total": "low"}]})


def test_to_svg_from_synced_state_round_trips(w, tmp_path):
    scene = browser_scene(w.scene)
    w.set_state({"scene": scene})
    back = pw.Scene.from_svg(w.to_svg())
    assert len(back.shapes) == 9
    for a, b in zip(back.shapes, w.scene.shapes, strict=True):
        np.testing.assert_allclose(
            [v for k, v in a.to_dict().items() if k not in ("type", "points", "name")],
            [v for k, v in b.to_dict().items() if k not in ("type", "points", "name")],
            atol=1e-5,
        )
    w.save_svg(tmp_path / "a.svg")
    assert (tmp_path / "a.svg").read_text() == w.to_svg()
    w.save_png(tmp_path / "a.png", size=64)
    assert Image.open(tmp_path / "a.png").size == (64, 64)


def test_save_png_falls_back_to_the_browser_frame_without_numpy(w, tmp_path, monkeypatch):
    def no_numpy(*_args, **_kwargs):
        raise ImportError("no numpy here")

    monkeypatch.setattr(pw.Scene, "save_png", no_numpy)
    with pytest.raises(RuntimeError, match="no frame"):
        w.save_png(tmp_path / "x.png")
    frame = png_bytes(Image.new("L", (128, 128), 200))
    w.set_state({"frame": memoryview(frame)})
    w.save_png(tmp_path / "x.png")
    assert (tmp_path / "x.png").read_bytes() == frame


def test_wait_explains_where_it_cannot_block(w, monkeypatch):
    assert w.wait() == "waiting for browser"  # nothing running: returns at once
    w.run()
    with pytest.raises(RuntimeError, match="later cell"):
        w.wait(timeout=1)
    monkeypatch.setattr(sys, "platform", "emscripten")
    with pytest.raises(RuntimeError, match="JupyterLite"):
        w.wait()


def test_observe_sees_browser_updates(w):
    seen = []
    w.observe(lambda change: seen.append((change["name"], change["new"])), names=["step", "status"])
    w.run()
    w.set_state({"step": 10})
    w.set_state({"status": "done"})
    assert seen == [("status", "running"), ("step", 10), ("status", "done")]


# ------------------------------------------------------------------- _png


def test_png_helpers_read_sizes_and_write_grey_png():
    assert _png.image_size(png_bytes(Image.new("L", (33, 17)))) == (33, 17)
    assert _png.image_size(png_bytes(Image.new("RGB", (33, 17)), "JPEG")) == (33, 17)
    with pytest.raises(ValueError):
        _png.image_size(b"not an image")
    pixels = bytes(range(12))
    image = Image.open(io.BytesIO(_png.encode_grey_png(4, 3, pixels)))
    assert image.mode == "L" and image.tobytes() == pixels
    assert _png.fit_size(300, 200, 128) == (128, 85)
    assert _png.fit_size(200, 300, 128) == (85, 128)


def test_download_svg_button_writes_what_python_writes():
    # the widget's "download SVG" builds the file in JS (js/ui/svg.js)
    scene = pw.Scene.pelican().copy(width=96, height=64)
    script = (
        f"import {{ sceneToSvg }} from {json.dumps((REPO / 'js' / 'ui' / 'svg.js').as_uri())};\n"
        "let text = '';\n"
        "process.stdin.on('data', (d) => (text += d));\n"
        "process.stdin.on('end', () => process.stdout.write(sceneToSvg(JSON.parse(text), 2)));\n"
    )
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=scene.to_json(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == scene.to_svg(scale=2)
