"""Type stub of the `cadrecode` extension module (python/module.cpp)."""

from typing import Sequence, Tuple

import numpy as np
import numpy.typing as npt

Vec3 = Tuple[float, float, float]
ArrayLike = npt.ArrayLike

class Error(RuntimeError):
    """An error of the cadrecode library that is neither a bad argument nor a file error."""

class Result:
    """The outcome of one program: validity, the reason and position when invalid, exact properties when valid."""

    @property
    def valid(self) -> bool: ...
    @property
    def verdict(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def volume(self) -> float: ...
    @property
    def area(self) -> float: ...
    @property
    def bbox(self) -> Tuple[Vec3, Vec3]: ...
    @property
    def solids(self) -> int: ...
    @property
    def faces(self) -> int: ...
    @property
    def triangles(self) -> int: ...
    def mesh(self) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
    def write_step(self, path: str) -> None: ...
    def write_stl(self, path: str) -> None: ...

def run(code: str, time_limit: float = 3.0) -> Result:
    """Execute one program in this process (GIL released); an invalid program is a Result, not an error."""
def check(codes: Sequence[str], jobs: int = 2, time_limit: float = 3.0) -> list[Result]:
    """Execute programs in isolated worker processes, `jobs` at a time; Results in order, without solids."""
def load_mesh(path: str) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Read .stl/.obj/.ply/.off as (vertices (N, 3), faces (M, 3)); OSError when unreadable."""
def load_points(path: str) -> npt.NDArray[np.float64]:
    """Read .ply/.xyz/.txt/.npy points as a float64 (N, 3) array; OSError when unreadable."""
def sample_surface(vertices: ArrayLike, faces: ArrayLike, n: int, seed: int = 0) -> npt.NDArray[np.float64]:
    """n area-weighted points on the mesh surface, deterministic per seed, as a float64 (n, 3) array."""
def chamfer(a: ArrayLike, b: ArrayLike) -> float:
    """Mean squared nearest-neighbour distance a->b plus b->a (x1000 is the published scale)."""
