"""--noise for the generated sets and the book's vertical and spiral (the Playground's noise
slider); --samples is their size. The default is each set's own noise, to the bit."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from tui_nn import data
from tui_nn.cli import main
from tui_nn.sweep.grid import GRID_KEYS
from tui_nn.trainer import Trainer, TrainConfig

OWN = {"moons": 0.1, "circles": 0.1, "blobs": 1.0, "xor": 0.0, "spiral": 0.2, "vertical": 0.1}


def load(name, noise=None, seed=0, samples=50):
    return data.load_dataset(name, samples=samples, noise=noise, rng=np.random.RandomState(seed))


@pytest.mark.parametrize("name", OWN)
def test_the_sets_own_noise_is_the_default_to_the_bit_and_one_seed_gives_the_same_data(name):
    default, explicit = load(name), load(name, OWN[name])
    assert np.array_equal(default.X, explicit.X) and np.array_equal(default.y, explicit.y)
    noisy = load(name, 0.35)
    assert np.array_equal(noisy.X, load(name, 0.35).X)
    assert not np.array_equal(noisy.X, default.X) and np.array_equal(noisy.y, default.y)
    assert "noise 0.35" in noisy.source


def test_more_noise_spreads_the_circles_rings():
    def ring_spread(noise):
        d = load("circles", noise, samples=400)
        radius = np.hypot(d.X[:, 0], d.X[:, 1])
        return max(radius[d.y == c].std() for c in (0, 1))

    assert ring_spread(0.0) < 1e-6 < ring_spread(0.05) < ring_spread(0.2)


def test_noiseless_xor_keeps_its_quadrants_and_noise_moves_points_across():
    clean, noisy = load("xor", samples=500), load("xor", 0.3, samples=500)
    agree = lambda d: np.mean((np.sign(d.X[:, 0]) == np.sign(d.X[:, 1])) == (d.y == 1))  # noqa: E731
    assert agree(clean) == 1.0 and 0.6 < agree(noisy) < 0.95


def test_sets_without_noise_and_data_files_refuse_it(tmp_path):
    for name in ("sine", "iris"):
        with pytest.raises(data.DataError, match=f"{name} has no noise to set"):
            load(name, 0.1, samples=None)
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,0\n")
    result = CliRunner().invoke(main, ["train", "--headless", "--data", str(path), "--noise", "0.1"])
    assert result.exit_code == 2
    assert result.output == "Error: --noise applies to built-in datasets, not to data files; drop --noise\n"
    bad = CliRunner().invoke(main, ["train", "--headless", "--dataset", "moons", "--noise", "-0.5"])
    assert bad.exit_code == 2 and "--noise" in bad.output and len(bad.output.strip().splitlines()) == 1


def test_a_trainer_and_a_sweep_take_it():
    t = Trainer(TrainConfig(dataset="moons", noise=0.3, samples=40, iterations=5))
    assert t.dataset.source.endswith("noise 0.3") and t.n_train == 64
    assert "noise" in GRID_KEYS
