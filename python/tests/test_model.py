"""Tests of the model part of the Python module (python/bind-model.cpp): Model, reconstruct, refine, Ctrl-C.
Results are compared with the CLI's on the same inputs (`cadrecode reconstruct`, `cadrecode refine`)."""

import _thread
import json
import os
import subprocess
import threading
import time

import numpy as np
import pytest

import cadrecode

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BIN_DIR = os.environ.get("CADRECODE_BIN_DIR", os.path.join(ROOT, "build", "bin"))
PART = os.path.join(ROOT, "examples", "part.stl")
BOX = "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,0))\nr=w0.box(100,60,40)"

needs_model = pytest.mark.skipif(not cadrecode.has_model, reason="the module was built without libtorch")


def cli(*args):
    exe = os.path.join(BIN_DIR, "cadrecode")
    if not os.path.exists(exe):
        pytest.skip(f"{exe} is not built")
    out = subprocess.run([exe, *args, "-q"], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return out


@pytest.fixture(scope="module")
def model():
    if not cadrecode.has_model:
        pytest.skip("the module was built without libtorch")
    return cadrecode.Model.load()


def box_points(n=2000, seed=0):
    """n points on the surface of the box 100 x 60 x 40 centred at the origin (area-weighted)."""
    v = np.array([[x, y, z] for x in (-50, 50) for y in (-30, 30) for z in (-20, 20)], dtype=float)
    f = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                  [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    return cadrecode.sample_surface(v, f, n, seed), (v, f)


@needs_model
def test_model_loads_the_bundled_folder(model):
    assert model.parameters == 3263744  # models/default: hidden 256, 4 layers (models/default/README.md)
    assert model.config["hidden_size"] == 256 and model.config["num_hidden_layers"] == 4
    assert model.dtype in ("fp32", "bf16") and model.device == "cpu" and model.points == 256
    assert os.path.samefile(model.path, os.path.join(ROOT, "models", "default"))


@needs_model
def test_reconstruct_equals_the_cli(model, tmp_path):
    report = tmp_path / "r.json"
    cli("reconstruct", PART, "-o", str(tmp_path / "r.py"), "--candidates", "3", "--refine-seconds", "0",
        "--json", str(report))
    want = json.loads(report.read_text())
    got = model.reconstruct(PART, candidates=3, refine_seconds=0)
    assert got.ok and got.best == want["best"] and not got.refined
    assert got.program == want["program"] == (tmp_path / "r.py").read_text().rstrip("\n") or \
        got.program_in_input_units() == (tmp_path / "r.py").read_text().rstrip("\n")
    assert [c.program for c in got.candidates] == [c["program"] for c in want["candidates"]]
    for c, w in zip(got.candidates, want["candidates"]):
        assert c.verdict == w["verdict"]
        assert c.cd == pytest.approx(w.get("cd", -1), rel=1e-12)  # the report leaves it out when invalid
        assert c.objective == pytest.approx(w.get("objective", -1), rel=1e-12)
    assert got.cd == pytest.approx(want["cd"], rel=1e-12)
    assert json.loads(got.json())["program"] == want["program"]
    # The solid: its volume equals running the program directly, and the input-units solid is the same
    # shape scaled by output_scale (volume x scale^3).
    solid = got.solid()
    assert solid.valid and solid.volume == pytest.approx(cadrecode.run(got.program).volume, rel=1e-12)
    scaled = got.solid(input_units=True)
    assert scaled.volume == pytest.approx(solid.volume * got.output_scale ** 3, rel=1e-3)


@needs_model
def test_reconstruct_takes_arrays(model):
    vertices, faces = cadrecode.load_mesh(PART)
    from_path = model.reconstruct(PART, candidates=2, refine_seconds=0)
    from_mesh = model.reconstruct((vertices, faces), candidates=2, refine_seconds=0)
    assert [c.program for c in from_mesh.candidates] == [c.program for c in from_path.candidates]
    assert from_mesh.cd == from_path.cd
    points = cadrecode.sample_surface(vertices, faces, 20000, seed=1)
    from_points = model.reconstruct(points, candidates=2, refine_seconds=0)
    assert len(from_points.candidates) == 2 and from_points.ok


def test_refine_equals_the_cli(tmp_path):
    # A box program 20 % too small against a box: refinement must bring it close, exactly as the CLI does
    # with the same deterministic budget.
    start = BOX.replace("box(100,60,40)", "box(80,50,30)")
    program = tmp_path / "start.py"
    program.write_text(start)
    stl = tmp_path / "box.stl"
    want_solid = cadrecode.run(BOX)
    want_solid.write_stl(str(stl))
    report = tmp_path / "r.json"
    cli("refine", str(program), str(stl), "-o", str(tmp_path / "out.py"), "--refine-evaluations", "60",
        "--json", str(report))
    want = json.loads(report.read_text())
    got = cadrecode.refine(start, str(stl), evaluations=60)
    assert got.ok and got.refined and got.evaluations >= 60
    assert got.program == (tmp_path / "out.py").read_text().rstrip("\n")
    assert got.cd < got.cd_before_refine
    assert got.cd_before_refine == pytest.approx(want["refine"]["cd_before"], rel=1e-12)
    assert got.cd == pytest.approx(want["refine"]["cd_after"], rel=1e-12)
    # The same mesh as a (vertices, faces) tuple gives the same result.
    again = cadrecode.refine([start], cadrecode.load_mesh(str(stl)), evaluations=60)
    assert again.program == got.program


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="budget"):
        cadrecode.refine(BOX, box_points()[0], seconds=0, evaluations=0)
    with pytest.raises(ValueError, match="at least 32 points"):
        cadrecode.refine(BOX, np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        cadrecode.refine(BOX, np.zeros((100, 2)))
    with pytest.raises(FileNotFoundError, match="nothing.stl"):
        cadrecode.refine(BOX, str(tmp_path / "nothing.stl"))
    with pytest.raises(ValueError, match=r"input faces: index 9 at row 0 is not a vertex index \(4 vertices\)"):
        cadrecode.refine(BOX, (np.zeros((4, 3)), np.array([[0, 1, 9]])))
    with pytest.raises(ValueError, match="programs"):
        cadrecode.refine([], box_points()[0])
    if cadrecode.has_model:
        with pytest.raises(FileNotFoundError, match="config.json"):
            cadrecode.Model.load(str(tmp_path))
        with pytest.raises(ValueError, match="dtype"):
            cadrecode.Model.load(dtype="fp8")
        with pytest.raises(ValueError, match="device"):
            cadrecode.Model.load(device="tpu")


def test_invalid_start_is_a_result():
    # No valid program and none a single move away: not ok, no exception.
    res = cadrecode.refine("import cadquery as cq\nr=cq.Workplane('XY').box(", box_points()[0], evaluations=5)
    assert not res.ok and res.program is None and res.cd == -1
    assert res.candidates[0].verdict == "syntax_error" and not res.candidates[0].valid
    with pytest.raises(cadrecode.Error, match="no candidate is valid"):
        res.solid()


def interrupt_after(seconds):
    """Ctrl-C (SIGINT's handler) in the main thread after `seconds`; cancel it when the call returned first, so
    that a late interrupt cannot land in another test."""
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    return timer


def test_ctrl_c_stops_check():
    codes = [BOX.replace("box(100,60,40)", f"box({10 + i % 50},60,40).fillet(1)") for i in range(400)]
    start = time.monotonic()
    timer = interrupt_after(0.5)
    with pytest.raises(KeyboardInterrupt):
        cadrecode.check(codes, jobs=1)
    timer.cancel()
    assert time.monotonic() - start < 3.0  # the batch alone takes far longer (400 worker processes)
    with pytest.raises(ChildProcessError):  # no worker left running or unreaped
        os.waitpid(-1, os.WNOHANG)
    assert cadrecode.run(BOX).valid  # the module still works


def test_ctrl_c_stops_refine():
    # A real program with many numbers against the points of another shape: the search runs its whole budget.
    program = open(os.path.join(ROOT, "examples", "bracket.py"), encoding="utf-8").read()
    start = time.monotonic()
    timer = interrupt_after(0.5)
    with pytest.raises(KeyboardInterrupt):
        cadrecode.refine(program, box_points()[0], seconds=60)
    timer.cancel()
    assert time.monotonic() - start < 8.0


@needs_model
def test_ctrl_c_stops_reconstruct(model):
    start = time.monotonic()
    timer = interrupt_after(1.0)
    with pytest.raises(KeyboardInterrupt):
        model.reconstruct(PART, candidates=10, refine_seconds=60)
    timer.cancel()
    assert time.monotonic() - start < 10.0


@needs_model
def test_generate_takes_clouds_in_the_model_frame(model):
    points, _ = box_points(4096)
    cloud, _ = cadrecode.normalize(points) if hasattr(cadrecode, "normalize") else (points / 50.0, None)
    idx = np.random.default_rng(0).choice(len(cloud), 256, replace=False)
    programs = model.generate(np.stack([cloud[idx], cloud[idx]]), temperature=0, max_new_tokens=400)
    assert len(programs) == 2 and programs[0] == programs[1]  # greedy: the same cloud, the same program
    assert programs[0].startswith("import cadquery as cq")
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        model.generate(points[:256])
    with pytest.raises(ValueError, match="shape"):
        model.generate(np.zeros((2, 256, 2)))


@needs_model
def test_generate_decoders_and_no_repeat_ngram(model):
    points, _ = box_points(4096)
    cloud, _ = cadrecode.normalize(points)
    idx = np.random.default_rng(1).choice(len(cloud), 256, replace=False)
    clouds = np.stack([cloud[idx]])
    # The bundled model is fp32: the native kernels and libtorch choose the same greedy tokens.
    native = model.generate(clouds, temperature=0, max_new_tokens=300, decoder="native")
    assert native == model.generate(clouds, temperature=0, max_new_tokens=300, decoder="libtorch")
    # no_repeat_ngram is applied (it used to be ignored): with n = 2 no token pair may repeat, which a CadQuery
    # program of 60 tokens cannot avoid ("((", "),"), so the program must change.
    banned = model.generate(clouds, temperature=0, max_new_tokens=60, no_repeat_ngram=2)[0]
    free = model.generate(clouds, temperature=0, max_new_tokens=60, no_repeat_ngram=0)[0]
    assert banned != free
    with pytest.raises(ValueError, match="decoder"):
        model.generate(clouds, decoder="fast")
