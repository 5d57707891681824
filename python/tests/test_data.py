"""Tests of the data and text part of the Python module (python/bind-data.cpp): furthest point sampling,
normalisation, IoU, generation, shards, the tokenizer, parametrize and facts; analytic values and parity with
the CLI."""

import glob
import json
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
TOKENIZER = os.path.join(ROOT, "models", "default", "tokenizer.json")

BOX = "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,0))\nr=w0.box(20,10,4)"


def box(size, x=0):
    """A cube of side `size` centred on (x, 0, 0)."""
    return f"import cadquery as cq\nw0=cq.Workplane('XY',origin=({x},0,0))\nr=w0.box({size},{size},{size})"


# box() without its height: a type error at line 3, column 6.
MISSING_ARG = "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,0))\nr=w0.box(20,10)"


def cli(*args, check=True):
    exe = os.path.join(BIN_DIR, "cadrecode")
    if not os.path.exists(exe):
        pytest.skip(f"{exe} is not built")
    out = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def real_programs(count):
    files = sorted(glob.glob(os.path.join(DATA_DIR, "*.py")))
    if not files:
        pytest.skip(f"no programs in {DATA_DIR}")
    return files[:count]


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


# --- furthest point sampling ----------------------------------------------------------------------------------


def test_furthest_point_sample_by_hand():
    pts = [[0, 0, 0], [1, 0, 0], [10, 0, 0], [5, 0, 0], [2, 0, 0]]
    # From index 0: 10 is farthest; then 5 (5 from both), then 2 (2 from 0, 3 from 5), then 1.
    chosen, idx = cadrecode.furthest_point_sample(pts, 5, return_indices=True)
    assert idx.dtype == np.int64 and idx.tolist() == [0, 2, 3, 4, 1]
    assert chosen.dtype == np.float64 and chosen.shape == (5, 3)
    assert np.array_equal(chosen, np.asarray(pts, dtype=float)[idx])
    assert cadrecode.furthest_point_sample(pts, 3).tolist() == [[0, 0, 0], [10, 0, 0], [5, 0, 0]]
    _, idx = cadrecode.furthest_point_sample(pts, 3, start=2, return_indices=True)
    assert idx.tolist() == [2, 0, 3]
    # More than there are: every point once.
    assert cadrecode.furthest_point_sample(pts, 50).shape == (5, 3)
    assert cadrecode.furthest_point_sample(pts, 0).shape == (0, 3)


def test_furthest_point_sample_cube_corners_first():
    # The 8 corners of a unit cube and 1000 points within 0.1 of its centre: a corner is at least 1 from every
    # other corner, a central point at most 0.97 from any corner, so FPS from a corner takes the 8 corners first.
    rng = np.random.default_rng(3)
    corners = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], dtype=float)
    pts = np.concatenate([corners, 0.5 + 0.05 * (2 * rng.random((1000, 3)) - 1)])
    _, idx = cadrecode.furthest_point_sample(pts, 8, return_indices=True)
    assert idx[0] == 0 and idx[1] == 7  # the opposite corner
    assert sorted(idx.tolist()) == list(range(8))


def test_furthest_point_sample_errors():
    with pytest.raises(ValueError, match="n: expected a count >= 0"):
        cadrecode.furthest_point_sample([[0, 0, 0]], -1)
    with pytest.raises(ValueError, match="start index 5 is out of range for 1 points"):
        cadrecode.furthest_point_sample([[0, 0, 0]], 1, start=5)
    with pytest.raises(ValueError, match=r"points: expected shape \(N, 3\)"):
        cadrecode.furthest_point_sample([[0, 0]], 1)


# --- normalisation ----------------------------------------------------------------------------------------------


def test_normalize_reference_round_trip():
    rng = np.random.default_rng(1)
    pts = rng.random((200, 3)) * [30, 10, 5] + [100, -50, 7]
    out, n = cadrecode.normalize(pts)
    assert out.dtype == np.float64 and out.shape == pts.shape
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    assert np.allclose(n.centre, (lo + hi) / 2, rtol=0, atol=1e-12)
    assert n.scale == pytest.approx(2 / (hi - lo).max(), rel=1e-15)
    assert n.offset == (0.0, 0.0, 0.0)
    # The longest side (x) spans exactly [-1, 1]; the others stay inside, centred.
    assert out[:, 0].min() == pytest.approx(-1, abs=1e-15) and out[:, 0].max() == pytest.approx(1, abs=1e-15)
    assert (np.abs(out) <= 1 + 1e-15).all()
    assert np.allclose(out.min(axis=0), -out.max(axis=0), atol=1e-14)
    assert np.allclose(n.inverse(out), pts, rtol=1e-14, atol=1e-12)
    assert np.array_equal(n.apply(pts), out)


def test_normalize_unit_cube_and_mesh():
    vertices, faces = cadrecode.run(BOX).mesh()  # 20 x 10 x 4, centred
    (v, f), n = cadrecode.normalize((vertices, faces), frame="unit_cube")
    assert np.array_equal(f, faces)
    assert n.scale == pytest.approx(1 / 20, rel=1e-15) and n.offset == (0.5, 0.5, 0.5)
    assert np.allclose(v.min(axis=0), [0, 0.25, 0.4], atol=1e-12)
    assert np.allclose(v.max(axis=0), [1, 0.75, 0.6], atol=1e-12)
    (back, f2), = [n.inverse((v, f))]
    assert np.allclose(back, vertices, atol=1e-12) and np.array_equal(f2, faces)
    # The reference frame of the same mesh: [-1, 1] along x.
    (v, _), n = cadrecode.normalize((vertices, faces))
    assert np.allclose(v.max(axis=0), [1, 0.5, 0.2], atol=1e-12)
    # Two points given as a list stay a point set (not a mesh).
    two, _ = cadrecode.normalize([[0, 0, 0], [4, 2, 0]])
    assert np.array_equal(two, [[-1, -0.5, 0], [1, 0.5, 0]])


def test_normalization_class():
    n = cadrecode.Normalization(centre=(1, 2, 3), scale=0.5, offset=(0.5, 0.5, 0.5))
    assert n.centre == (1.0, 2.0, 3.0) and n.scale == 0.5
    assert n.apply([[3, 2, 1]]).tolist() == [[1.5, 0.5, -0.5]]
    assert n.inverse([[1.5, 0.5, -0.5]]).tolist() == [[3, 2, 1]]
    assert "scale=0.5" in repr(n)
    with pytest.raises(ValueError, match="scale"):
        cadrecode.Normalization(scale=0)


def test_normalize_errors():
    with pytest.raises(ValueError, match="frame: expected 'reference' or 'unit_cube', got 'cube'"):
        cadrecode.normalize([[0, 0, 0], [1, 1, 1]], frame="cube")
    with pytest.raises(ValueError, match="every point is the same point"):
        cadrecode.normalize([[1, 1, 1], [1, 1, 1]])
    with pytest.raises(ValueError, match="no points"):
        cadrecode.normalize(np.zeros((0, 3)))


# --- IoU ----------------------------------------------------------------------------------------------------------


def test_iou_of_shifted_cubes_is_analytic():
    # Two 2 x 2 x 2 cubes, one moved by 1 along x: common 1 x 2 x 2 = 4, union 8 + 8 - 4 = 12.
    assert cadrecode.iou(box(2), box(2, x=1), renormalize=False) == pytest.approx(1 / 3, rel=1e-12)
    # A unit cube inside a cube of side 2: 1 / 8.
    assert cadrecode.iou(box(2), box(1), renormalize=False) == pytest.approx(1 / 8, rel=1e-12)
    # eval's default puts each shape in the unit cube by its own box: position and size no longer count.
    assert cadrecode.iou(box(2), box(2, x=1)) == pytest.approx(1, rel=1e-12)
    assert cadrecode.iou(box(2), box(1)) == pytest.approx(1, rel=1e-12)


def test_iou_inputs_agree():
    a, b = cadrecode.run(box(2)), cadrecode.run(box(2, x=1))
    for x, y in [(a, b), (a.mesh(), b.mesh()), (box(2), b), (a, b.mesh())]:
        assert cadrecode.iou(x, y, renormalize=False) == pytest.approx(1 / 3, rel=1e-12)
    # A mesh as a pair of lists.
    v, f = b.mesh()
    assert cadrecode.iou(a, (v.tolist(), f.tolist()), renormalize=False) == pytest.approx(1 / 3, rel=1e-12)


def test_iou_of_a_program_with_itself():
    code = open(real_programs(1)[0]).read()
    assert cadrecode.iou(code, code) == pytest.approx(1, abs=1e-9)


def test_iou_matches_eval(tmp_path):
    """The IoU of `cadrecode eval` (samples.json) for a ground-truth STL and a program equals iou()."""
    files = real_programs(2)
    codes = [open(f).read() for f in files]
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    cases = {"shifted": (box(2), box(2, x=1)), "real": (codes[0], codes[1]), "self": (codes[0], codes[0])}
    for name, (truth, program) in cases.items():
        cadrecode.run(truth).write_stl(str(gt / f"{name}.stl"))
        (pred / f"{name}.py").write_text(program)
    for renormalize in (True, False):
        report = tmp_path / f"report-{renormalize}"
        args = ["eval", "--pred", str(pred), "--gt", str(gt), "--report", str(report), "--samples", "256"]
        cli(*args, *([] if renormalize else ["--no-renormalize"]))
        samples = json.loads((report / "samples.json").read_text())
        scores = {s["id"]: s["candidates"][0]["iou"] for s in samples}
        assert scores.keys() == cases.keys()
        for name, (_, program) in cases.items():
            mesh = cadrecode.load_mesh(str(gt / f"{name}.stl"))
            # Equal up to the last bits: the library's IoU of the same meshes varies by an ulp or two from call
            # to call (OpenCASCADE), in eval as here.
            ours = cadrecode.iou(mesh, program, renormalize=renormalize)
            assert ours == pytest.approx(scores[name], rel=1e-13, abs=1e-15), (name, renormalize)
    assert scores["shifted"] == pytest.approx(1 / 3, rel=1e-6)


def test_iou_errors():
    with pytest.raises(cadrecode.Error, match=r"^a:3:6: invalid \(type_error\): "):
        cadrecode.iou(MISSING_ARG, BOX)
    with pytest.raises(cadrecode.Error, match=r"^b:3:6: invalid \(type_error\): "):
        cadrecode.iou(BOX, cadrecode.run(MISSING_ARG))
    with pytest.raises(cadrecode.Error, match="b: this result carries no mesh"):
        cadrecode.iou(BOX, cadrecode.check([BOX])[0])
    # One face of a tetrahedron is missing: no solid.
    open_mesh = ([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 2, 1], [0, 1, 3], [0, 3, 2]])
    with pytest.raises(cadrecode.Error, match="^IoU: the mesh of b: "):
        cadrecode.iou(BOX, open_mesh)
    with pytest.raises(ValueError, match="a: expected a program"):
        cadrecode.iou(3, BOX)
    with pytest.raises(ValueError, match="b faces: index 9 at row 0 is not a vertex index"):
        cadrecode.iou(BOX, ([[0, 0, 0], [1, 0, 0], [0, 1, 0]], [[0, 1, 9]]))


# --- generation and shards ----------------------------------------------------------------------------------------


def test_generate_is_deterministic_and_valid():
    first = list(cadrecode.generate(3, seed=11, points=64))
    second = list(cadrecode.generate(3, seed=11, points=64))
    assert len(first) == 3
    for (p1, x1), (p2, x2) in zip(first, second):
        assert p1 == p2 and np.array_equal(x1, x2)
        assert x1.dtype == np.float64 and x1.shape == (64, 3)
        assert (np.abs(x1) <= 1).all() and np.abs(x1).max() > 0.9
        # Quantised as a shard stores them: q / 32767 with integer q.
        q = x1 * 32767
        assert np.array_equal(q, np.round(q))
    assert len({p for p, _ in first}) == 3
    results = cadrecode.check([p for p, _ in first])
    assert all(r.valid for r in results), [r.message for r in results]
    assert [p for p, _ in cadrecode.generate(3, seed=12, points=8)] != [p for p, _ in first]


def test_generate_is_lazy():
    g = cadrecode.generate(10**9, seed=2, points=8)
    assert iter(g) is g
    program, points = next(g)
    assert program.startswith("import cadquery as cq") and points.shape == (8, 3)
    assert 1 <= g.attempts < 1000
    assert sum(g.rejected.values()) == g.attempts - 1


def test_generate_matches_the_cli_shards(tmp_path):
    out = tmp_path / "one"
    cli("generate", "--count", "4", "--per-shard", "4", "--seed", "5", "--out", str(out))
    paths = cadrecode.list_shards(str(out))
    assert [os.path.basename(p) for p in paths] == ["shard-00000-of-00001.crs"]
    samples = cadrecode.read_shard(paths[0])
    assert len(samples) == 4
    # Same programs and the same points (the CLI's default: 8192 points per sample).
    ours = list(cadrecode.generate(4, seed=5, per_shard=4, points=8192))
    assert [p for p, _ in ours] == [s.program for s in samples]
    for (_, pts), s in zip(ours, samples):
        assert np.array_equal(pts, s.points)
    # The first programs do not depend on count or per_shard as long as they all fit one shard.
    assert [p for p, _ in cadrecode.generate(2, seed=5)] == [s.program for s in samples[:2]]
    # The samples' fields.
    indices = [s.index for s in samples]
    assert indices == sorted(indices) and len(set(indices)) == 4
    for s in samples:
        assert s.program_hash == fnv1a64(s.program.encode())
        assert s.points.shape == (8192, 3) and s.points.dtype == np.float64
        assert s.quantized_points.dtype == np.int16 and np.array_equal(s.quantized_points / 32767, s.points)
        r = cadrecode.run(s.program)
        assert (r.volume, r.area, r.faces) == (s.volume, s.area, s.faces)
        assert r.bbox == s.bbox
        lo, hi = np.array(s.bbox)
        p = s.points_in_program_frame()
        tol = 1.0 / 32767 / s.scale + 1e-3
        assert (p >= lo - tol).all() and (p <= hi + tol).all()
        assert np.allclose((p - s.centre) * s.scale, s.points, atol=1e-12)


def test_generate_matches_the_cli_across_shards(tmp_path):
    out = tmp_path / "two"
    cli("generate", "--count", "4", "--per-shard", "2", "--seed", "5", "--points", "32", "--out", str(out))
    paths = cadrecode.list_shards(str(out))
    assert len(paths) == 2
    theirs = [s for p in paths for s in cadrecode.read_shard(p)]
    ours = list(cadrecode.generate(4, seed=5, per_shard=2, points=32))
    assert [p for p, _ in ours] == [s.program for s in theirs]
    assert all(np.array_equal(x, s.points) for (_, x), s in zip(ours, theirs))


def test_shard_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        cadrecode.read_shard(str(tmp_path / "missing.crs"))
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        cadrecode.list_shards(str(tmp_path / "missing"))
    assert cadrecode.list_shards(str(tmp_path)) == []
    bad = tmp_path / "bad.crs"
    bad.write_bytes(b"CRSHARD\0" + bytes(60))
    with pytest.raises(cadrecode.Error, match="bad.crs"):
        cadrecode.read_shard(str(bad))


def test_generate_bad_arguments():
    with pytest.raises(ValueError, match="count: expected a number of samples from 1 to 1000000000, got 0"):
        cadrecode.generate(0)
    with pytest.raises(ValueError, match="points"):
        cadrecode.generate(1, points=0)
    with pytest.raises(ValueError, match="per_shard"):
        cadrecode.generate(1, per_shard=0)


# --- tokenizer ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokenizer():
    if not os.path.exists(TOKENIZER):
        pytest.skip(f"{TOKENIZER} is absent")
    return cadrecode.Tokenizer.load(TOKENIZER)


def test_tokenizer_round_trip_and_cli(tokenizer, tmp_path):
    texts = [BOX, "héllo wörld ✓ <|endoftext|> 12.5", open(real_programs(1)[0]).read()]
    for text in texts:
        ids = tokenizer.encode(text)
        assert all(isinstance(i, int) for i in ids)
        assert tokenizer.decode(ids) == text
        path = tmp_path / "text.txt"
        path.write_bytes(text.encode())
        assert ids == json.loads(cli("tokenizer", "encode", "-t", TOKENIZER, "--json", "-f", str(path)).stdout)
        assert tokenizer.decode(np.array(ids)) == cli("tokenizer", "decode", "-t", TOKENIZER, *map(str, ids)).stdout
    special = tokenizer.encode("<|endoftext|>")
    assert special == [tokenizer.token_to_id("<|endoftext|>")]
    assert len(tokenizer.encode("<|endoftext|>", parse_special=False)) > 1
    assert tokenizer.decode(tokenizer.encode("a<|endoftext|>"), skip_special=True) == "a"


def test_tokenizer_vocabulary(tokenizer):
    # models/default/tokenizer.json: 256 bytes, 133 merges, 3 special tokens (`cadrecode tokenizer info`).
    info = cli("tokenizer", "info", "-t", TOKENIZER).stdout
    assert f"vocab size {tokenizer.vocab_size} " in info and f"{tokenizer.merge_count} merges" in info
    assert tokenizer.added_tokens == {"<|endoftext|>": 389, "<|im_start|>": 390, "<|im_end|>": 391}
    assert tokenizer.vocab_size == 392
    assert tokenizer.token_to_id("<|im_end|>") == 391 and tokenizer.is_special(391)
    assert tokenizer.id_to_token(391) == "<|im_end|>"
    assert tokenizer.token_to_id("no such token") is None
    assert tokenizer.id_to_token(tokenizer.token_to_id("Ġ")) == "Ġ"


def test_tokenizer_save_and_errors(tokenizer, tmp_path):
    path = str(tmp_path / "copy.json")
    tokenizer.save(path)
    again = cadrecode.Tokenizer.load(path)
    assert again.encode(BOX) == tokenizer.encode(BOX)
    assert cadrecode.Tokenizer.from_json(tokenizer.to_json()).vocab_size == tokenizer.vocab_size
    with pytest.raises(FileNotFoundError):
        cadrecode.Tokenizer.load(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(cadrecode.Error, match="bad.json"):
        cadrecode.Tokenizer.load(str(bad))
    with pytest.raises(ValueError, match="392"):
        tokenizer.decode([392])
    with pytest.raises(ValueError, match="ids: expected token ids from 0 to 2147483647, got -1"):
        tokenizer.decode([-1])
    with pytest.raises(ValueError):
        tokenizer.id_to_token(100000)
    with pytest.raises(TypeError):
        tokenizer.decode([1.5])


# --- parametrize and facts ----------------------------------------------------------------------------------------


def test_parametrize_matches_the_cli(tmp_path):
    for f in real_programs(3) + [None]:
        code = open(f).read() if f else BOX
        src = tmp_path / "program.py"
        src.write_text(code)
        out = tmp_path / "out.py"
        printed = cli("parametrize", str(src), "-o", str(out)).stdout
        p = cadrecode.parametrize(code)
        assert p.program == out.read_text()
        assert f": {len(p.parameters)} parameters, wrote" in printed
        assert p.source == code
        assert cadrecode.run(p.program).volume == pytest.approx(cadrecode.run(code).volume, rel=1e-9)
        nb = tmp_path / "out.ipynb"
        cli("parametrize", str(src), "-o", str(nb))
        assert json.loads(p.notebook(str(src))) == json.loads(nb.read_text())


def test_parametrize_box():
    p = cadrecode.parametrize(BOX)
    params = {q.role: q for q in p.parameters}
    assert sorted(p.defaults.values()) == [4, 10, 20]
    length = next(q for q in p.parameters if q.default == "20")
    assert length.is_int and length.value == 20 and length.positive and length.uses == 1
    assert length.min <= 20 <= length.max and length.group == "block1"
    assert len(params) == 3
    p.rename({length.name: "length"})
    assert "length = 20" in p.program and "box(length," in p.program
    with pytest.raises(ValueError):
        p.rename({"length": "class"})
    with pytest.raises(cadrecode.Error, match=r"^code:3:6: invalid \(type_error\): "):
        cadrecode.parametrize(MISSING_ARG)
    # Without the check, a program that parses is parametrised even when it does not build.
    assert cadrecode.parametrize(MISSING_ARG, check=False).defaults == {"block1_length": 20, "block1_width": 10}


def test_facts_match_the_cli(tmp_path):
    for f in real_programs(2) + [None]:
        code = open(f).read() if f else BOX
        src = tmp_path / "program.py"
        src.write_text(code)
        assert cadrecode.facts(code) == json.loads(cli("facts", str(src)).stdout)
        assert cadrecode.facts(code, symmetry=False) == json.loads(cli("facts", "--no-symmetry", str(src)).stdout)
    facts = cadrecode.facts(BOX)
    assert facts["valid"] is True and facts["volume"] == pytest.approx(800, rel=1e-12)
    src.write_text(MISSING_ARG)
    invalid = cadrecode.facts(MISSING_ARG)
    assert invalid["valid"] is False
    assert invalid == json.loads(cli("facts", str(src), check=False).stdout)


def test_facts_release_the_gil():
    code = open(real_programs(1)[0]).read()
    assert_gil_released(lambda: [cadrecode.facts(code) for _ in range(3)])
