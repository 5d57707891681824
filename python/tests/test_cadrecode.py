"""Tests of the Python module `cadrecode` (python/module.cpp): analytic values, parity with the CLI, errors."""

import glob
import json
import math
import os
import subprocess

import numpy as np
import pytest

import cadrecode
from conftest import assert_gil_released

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BIN_DIR = os.environ.get("CADRECODE_BIN_DIR", os.path.join(ROOT, "build", "bin"))
SHARED_DIR = os.environ.get("CADRECODE_SHARED_DIR", os.path.join(ROOT, "..", "shared"))
DATA_DIR = os.path.join(SHARED_DIR, "data", "cadrecode-v1.5")

BOX = "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,0))\nr=w0.box(20,10,4)"
CYLINDER = "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,0))\nr=w0.cylinder(10,3)"
# box() without its height: a type error at line 3, column 6 (the `box` after "r=w0.").
MISSING_ARG = "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,0))\nr=w0.box(20,10)"
# The '(' opened at line 3, column 24 is never closed.
UNCLOSED = "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,0))\nr=w0.box(20,10,4).union(\n"


def cli_json(path):
    exe = os.path.join(BIN_DIR, "cadrecode")
    if not os.path.exists(exe):
        pytest.skip(f"{exe} is not built")
    out = subprocess.run([exe, "run", "--json", path], capture_output=True, text=True, check=False)
    return json.loads(out.stdout)


def mesh_volume(vertices, faces):
    """Enclosed volume of a closed mesh by the divergence theorem."""
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def real_programs(count):
    files = sorted(glob.glob(os.path.join(DATA_DIR, "*.py")))
    if not files:
        pytest.skip(f"no programs in {DATA_DIR}")
    return files[:count]


def test_box_is_analytic():
    r = cadrecode.run(BOX)
    assert r.valid and r.verdict == "valid"
    assert (r.message, r.line, r.column) == ("", 0, 0)
    assert r.volume == pytest.approx(800.0, rel=1e-12)
    assert r.area == pytest.approx(2 * (20 * 10 + 20 * 4 + 10 * 4), rel=1e-12)
    assert np.allclose(r.bbox, ((-10, -5, -2), (10, 5, 2)), atol=1e-9, rtol=0)
    assert isinstance(r.bbox, tuple) and all(isinstance(c, tuple) and len(c) == 3 for c in r.bbox)
    assert (r.solids, r.faces) == (1, 6)


def test_cylinder_is_analytic():
    r = cadrecode.run(CYLINDER)
    assert r.valid
    assert r.volume == pytest.approx(math.pi * 9 * 10, rel=1e-9)
    assert r.area == pytest.approx(2 * math.pi * 9 + 2 * math.pi * 3 * 10, rel=1e-9)


def test_mesh_arrays():
    r = cadrecode.run(BOX)
    vertices, faces = r.mesh()
    # CadQuery's tessellation of a box: 4 unmerged vertices and 2 triangles per face.
    assert vertices.dtype == np.float64 and vertices.shape == (24, 3)
    assert faces.dtype == np.int64 and faces.shape == (12, 3)
    assert r.triangles == 12
    assert faces.min() >= 0 and faces.max() < len(vertices)
    assert mesh_volume(vertices, faces) == pytest.approx(800.0, rel=1e-12)
    assert not vertices.flags.writeable  # a view of the result's own mesh


def test_invalid_program_is_a_result():
    r = cadrecode.run(MISSING_ARG)
    assert not r.valid
    assert r.verdict == "type_error"
    assert (r.line, r.column) == (3, 6)
    assert "height" in r.message
    assert r.volume == 0.0
    with pytest.raises(cadrecode.Error, match="invalid"):
        r.mesh()
    with pytest.raises(cadrecode.Error, match="invalid"):
        r.write_step("never-written.step")


def test_syntax_error():
    r = cadrecode.run(UNCLOSED)
    assert (r.valid, r.verdict) == (False, "syntax_error")
    assert (r.line, r.column) == (3, 24)
    assert r.message == "'(' was never closed"


def test_invalid_programs_match_the_cli(tmp_path):
    for name, code in [("missing.py", MISSING_ARG), ("unclosed.py", UNCLOSED)]:
        path = tmp_path / name
        path.write_text(code)
        j = cli_json(str(path))
        r = cadrecode.run(code)
        assert (r.verdict, r.message, r.line, r.column) == (j["verdict"], j["message"], j["line"], j["col"])


def test_check_equals_run():
    codes = [BOX, CYLINDER, MISSING_ARG, UNCLOSED, "import cadquery as cq\nr = 1"]
    checked = cadrecode.check(codes, jobs=2)
    assert len(checked) == len(codes)
    for code, c in zip(codes, checked):
        r = cadrecode.run(code)
        assert (c.valid, c.verdict, c.message, c.line, c.column) == (r.valid, r.verdict, r.message, r.line, r.column)
        assert (c.volume, c.area, c.bbox) == (r.volume, r.area, r.bbox)
    assert [c.verdict for c in checked] == ["valid", "valid", "type_error", "syntax_error", "no_result"]
    with pytest.raises(cadrecode.Error, match="no solid"):
        checked[0].mesh()


def test_real_programs_match_the_cli(tmp_path):
    """All 258 real programs: run() and check() give the volumes, areas, boxes and triangle counts that
    `cadrecode check --json` (the same executor in CLI workers) reports, exactly."""
    files = real_programs(1000)
    exe = os.path.join(BIN_DIR, "cadrecode")
    if not os.path.exists(exe):
        pytest.skip(f"{exe} is not built")
    report = tmp_path / "check.json"
    subprocess.run([exe, "check", "-j", "2", "--json", str(report), *files], check=True, capture_output=True)
    cli = {os.path.basename(j["name"]): j for j in json.loads(report.read_text())}
    assert len(cli) == len(files)
    results = cadrecode.check([open(f).read() for f in files], jobs=2)
    for f, c in zip(files, results):
        j = cli[os.path.basename(f)]
        r = cadrecode.run(open(f).read())
        assert r.valid and j["valid"], f
        assert r.volume == j["volume"], f
        assert r.area == j["area"], f
        assert [*r.bbox[0], *r.bbox[1]] == j["bbox"], f
        assert r.triangles == j["triangles"], f
        assert c.volume == j["volume"], f


def test_chamfer_equals_eval(tmp_path):
    """eval's CD for real programs against other programs' meshes, rebuilt with sample_surface, normalisation to
    the unit cube by each shape's own box (as eval renormalises), the seeds eval derives, and chamfer()."""
    files = real_programs(6)
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    for i in range(3):
        cadrecode.run(open(files[i]).read()).write_stl(str(gt / f"s{i}.stl"))
        (pred / f"s{i}.py").write_text(open(files[i + 3]).read())
    exe = os.path.join(BIN_DIR, "cadrecode")
    if not os.path.exists(exe):
        pytest.skip(f"{exe} is not built")
    report = tmp_path / "report"
    subprocess.run([exe, "eval", "--gt", str(gt), "--pred", str(pred), "--report", str(report), "--no-iou",
                    "--samples", "2048"], check=True, capture_output=True)
    samples = {s["id"]: s for s in json.loads((report / "samples.json").read_text())}

    def unit(vertices):
        lo, hi = vertices.min(axis=0), vertices.max(axis=0)
        return (vertices - (lo + hi) / 2) / (hi - lo).max() + 0.5

    for i in range(3):
        sid = f"s{i}"
        gv, gf = cadrecode.load_mesh(str(gt / f"{sid}.stl"))
        pv, pf = cadrecode.run((pred / f"{sid}.py").read_text()).mesh()
        a = cadrecode.sample_surface(unit(gv), gf, 2048, seed=cadrecode.mix_seed(0, sid, 0))
        b = cadrecode.sample_surface(unit(pv), pf, 2048, seed=cadrecode.mix_seed(0, sid, 2))
        floor = cadrecode.sample_surface(unit(gv), gf, 2048, seed=cadrecode.mix_seed(0, sid, 1))
        want = samples[sid]
        assert cadrecode.chamfer(b, a) * 1000 == pytest.approx(want["candidates"][0]["cd"], rel=1e-9), sid
        assert cadrecode.chamfer(a, floor) * 1000 == pytest.approx(want["floor_cd"], rel=1e-9), sid


def test_write_stl_then_load_mesh(tmp_path):
    r = cadrecode.run(BOX)
    path = str(tmp_path / "box.stl")
    r.write_stl(path)
    vertices, faces = cadrecode.load_mesh(path)
    assert vertices.dtype == np.float64 and faces.dtype == np.int64
    # STL keeps three vertices per triangle.
    assert vertices.shape == (36, 3) and faces.shape == (12, 3)
    assert mesh_volume(vertices, faces) == pytest.approx(800.0, rel=1e-12)
    own_vertices, own_faces = r.mesh()
    assert np.array_equal(vertices, own_vertices[own_faces].reshape(-1, 3))
    r.write_step(str(tmp_path / "box.step"))
    assert (tmp_path / "box.step").read_text().startswith("ISO-10303-21;")


def test_load_points(tmp_path):
    xyz = tmp_path / "p.xyz"
    xyz.write_text("# three points\n1 2 3\n-4.5,0,1e-3\n\n7 8 9 10\n")
    assert np.array_equal(cadrecode.load_points(str(xyz)), [[1, 2, 3], [-4.5, 0, 1e-3], [7, 8, 9]])
    pts = np.arange(12, dtype=np.float32).reshape(4, 3) / 8
    np.save(tmp_path / "p.npy", pts)
    loaded = cadrecode.load_points(str(tmp_path / "p.npy"))
    assert loaded.dtype == np.float64 and np.array_equal(loaded, pts)


def test_sample_surface():
    vertices, faces = cadrecode.run(BOX).mesh()
    p = cadrecode.sample_surface(vertices, faces, 2000, seed=7)
    assert p.dtype == np.float64 and p.shape == (2000, 3)
    on_face = np.isclose(np.abs(p), [10, 5, 2], atol=1e-9).any(axis=1)
    assert on_face.all() and (np.abs(p) <= [10 + 1e-9, 5 + 1e-9, 2 + 1e-9]).all()
    assert np.array_equal(p, cadrecode.sample_surface(vertices, faces, 2000, seed=7))
    assert not np.array_equal(p, cadrecode.sample_surface(vertices, faces, 2000, seed=8))
    # Lists work as well as arrays; faces of any integer type.
    q = cadrecode.sample_surface(vertices.tolist(), faces.astype(np.int32), 2000, seed=7)
    assert np.array_equal(p, q)
    assert cadrecode.sample_surface(vertices, faces, 0).shape == (0, 3)


def test_chamfer_by_hand():
    a = np.array([[0.0, 0.0, 0.0]])
    b = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    # a -> b: nearest squared distance 1, mean 1; b -> a: 1 and 4, mean 2.5.
    assert cadrecode.chamfer(a, b) == 3.5
    assert cadrecode.chamfer(b, a) == 3.5
    assert cadrecode.chamfer(b, b) == 0.0
    c = [[0, 0, 0], [3, 0, 0]]
    d = [[0, 0, 1], [3, 0, 2], [3, 0, 3]]
    # c -> d: (1 + 4) / 2; d -> c: (1 + 4 + 9) / 3.
    assert cadrecode.chamfer(c, d) == pytest.approx(2.5 + 14 / 3, rel=1e-15)


def test_file_errors(tmp_path):
    missing = str(tmp_path / "missing.stl")
    with pytest.raises(FileNotFoundError, match="missing.stl: cannot open for reading"):
        cadrecode.load_mesh(missing)
    with pytest.raises(OSError):
        cadrecode.load_points(str(tmp_path / "missing.npy"))
    with pytest.raises(OSError, match="no-such-folder"):
        cadrecode.run(BOX).write_stl(str(tmp_path / "no-such-folder" / "box.stl"))
    bad = tmp_path / "bad.off"
    bad.write_text("OFF\n3 1 0\n0 0 0\n1 0 0\n")
    with pytest.raises(cadrecode.Error, match="bad.off"):
        cadrecode.load_mesh(str(bad))
    assert issubclass(cadrecode.Error, RuntimeError)


def test_bad_arguments():
    with pytest.raises(ValueError, match="time_limit: expected seconds from 0 to 86400, got -1"):
        cadrecode.run(BOX, time_limit=-1)
    with pytest.raises(ValueError, match="jobs"):
        cadrecode.check([BOX], jobs=0)
    with pytest.raises(ValueError, match=r"a: expected shape \(N, 3\), got \(2, 2\)"):
        cadrecode.chamfer([[0, 0], [1, 1]], [[0, 0, 0]])
    with pytest.raises(ValueError):
        cadrecode.chamfer(np.zeros((0, 3)), [[0, 0, 0]])
    vertices, faces = cadrecode.run(BOX).mesh()
    with pytest.raises(ValueError, match="n: expected a count >= 0"):
        cadrecode.sample_surface(vertices, faces, -1)
    with pytest.raises(ValueError, match="faces: index -1"):
        cadrecode.sample_surface(vertices, -faces, 10)
    with pytest.raises(ValueError):
        cadrecode.sample_surface(vertices, faces + 100, 10)


def test_check_releases_the_gil():
    codes = real_programs(8) if os.path.isdir(DATA_DIR) else None
    codes = [open(f).read() for f in codes] if codes else [CYLINDER] * 16
    results = assert_gil_released(lambda: cadrecode.check(codes, jobs=1))
    assert all(r.valid for r in results)



def test_every_public_name_has_a_docstring_and_a_stub():
    import ast

    stub = ast.parse(open(os.path.join(HERE, "..", "cadrecode.pyi"), encoding="utf-8").read())
    stubbed = {n.name for n in stub.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    stubbed |= {t.id for n in stub.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    public = [n for n in dir(cadrecode) if not n.startswith("_")]
    assert len(public) >= 29
    missing = [n for n in public if n not in stubbed]
    assert not missing, f"not in cadrecode.pyi: {missing}"
    for name in public:
        obj = getattr(cadrecode, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"
        if isinstance(obj, type):
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and (callable(member) or isinstance(member, property)):
                    assert (member.__doc__ or "").strip(), f"{name}.{attr} has no docstring"
