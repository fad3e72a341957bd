"""A naive prediction job starts without PyTorch or numba (issue 28): the module-level imports of the predict
script, the naive baselines and a naive group's prediction (stfusion.predict_group) pull in neither, and the thread
budget of ``use_threads`` still reaches them when a classical or deep job imports them afterwards. One subprocess,
about 3 s."""
from __future__ import annotations

import ast
import os
import subprocess
import sys

from conftest import REPO

SCRIPT = REPO / "workflow/scripts/predict.py"


def module_level_imports(path) -> str:
    """The import statements at the top level of a file, as source."""
    tree = ast.parse(path.read_text())
    return "\n".join(ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))


def test_a_naive_prediction_imports_neither_torch_nor_numba():
    check = f"""{module_level_imports(SCRIPT)}
from stfusion.methods import FUSION
use_threads(1)
FUSION["nearest_reference"].load(), FUSION["coarse_upsampled"].load()
fine, coarse, fill = np.ones((1, 2, 8, 8), np.float32), np.ones((1, 2, 2, 2), np.float32), np.zeros((2, 2, 2), np.float32)
group = Group("naive", {{"model": "coarse_upsampled"}}, fine, coarse, ["2021-06-01"])
list(predict_group(group, ["2021-06-09"], lambda date: DateInputs(coarse[0], fill), prediction={{}}))
assert "torch" not in sys.modules and "numba" not in sys.modules, sorted(m for m in ("torch", "numba") if m in sys.modules)
import numba, torch
assert torch.get_num_threads() == 1 and numba.get_num_threads() == 1, (torch.get_num_threads(), numba.get_num_threads())
"""
    environment = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", "import sys\n" + check], capture_output=True, text=True,
                            env=environment)
    assert result.returncode == 0, result.stderr
