"""ctest test_notebook: examples/reconstruct.ipynb runs headless (nbclient, a python3 kernel) without an error,
and the numbers it prints equal the module's own on the same input (its refinement has an evaluation budget,
so they are the same on every machine)."""

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

import cadrecode

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.normpath(os.path.join(HERE, "..", "..", "examples"))


@pytest.mark.skipif(not cadrecode.has_model, reason="the module was built without libtorch")
def test_the_example_notebook_runs_and_prints_the_modules_numbers():
    nb = nbformat.read(os.path.join(EXAMPLES, "reconstruct.ipynb"), as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": EXAMPLES}}).execute()
    text, html = "", ""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{out.get('ename')}: {out.get('evalue')}"
            if out["output_type"] == "stream" and out["name"] == "stdout":
                text += out["text"]
            html += out.get("data", {}).get("text/html", "")
    rec = cadrecode.Model.load().reconstruct(os.path.join(EXAMPLES, "part.stl"), candidates=10, seed=0,
                                             refine_evaluations=300)
    got = re.search(r"refined: CD x1000 ([\d.]+) -> ([\d.]+) in (\d+) evaluations", text)
    assert got, text
    assert got.group(1) == f"{rec.cd_before_refine:.3f}" and got.group(2) == f"{rec.cd:.3f}"
    assert rec.program_in_input_units() in text
    metrics = re.search(r"Chamfer distance x1000: ([\d.]+)   IoU: ([\d.]+) %", text)
    assert metrics, text
    assert 0 < float(metrics.group(1)) < 100 and 0 < float(metrics.group(2)) <= 100
    assert "<iframe srcdoc=" in html and "data-renderer" in html  # the view page, escaped into the frame
    params = re.search(r"\.\.\. (\d+) parameters in all", text)
    assert params and int(params.group(1)) == len(cadrecode.parametrize(rec.program_in_input_units()).parameters)
