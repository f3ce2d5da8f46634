"""The demo mechanism works without a kernel, and the figure helpers draw what they promise."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from hinton_utils import plots, widgets


def _draw(fig, value):
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, value])


def test_static_demo_is_a_self_contained_animation(monkeypatch):
    monkeypatch.setenv("HINTON_STATIC", "1")
    page = widgets.interactive(_draw, [0.0, 0.5, 1.0], label="slope").data
    assert "hinton-demo" in page and "Binder or Colab" in page
    assert page.count("data:image/png;base64") == 3, "one embedded frame per slider position"
    assert "<input" in page and 'type="range"' in page, "a slider that works without a kernel"
    assert "http://" not in page and "https://" not in page.replace("https://www.w3.org", "")


def test_live_demo_is_an_ipywidgets_slider(monkeypatch):
    monkeypatch.delenv("HINTON_STATIC", raising=False)
    box = widgets.interactive(_draw, [1, 2], label="k")
    slider = box.children[0]
    assert slider.description == "k" and slider.value == 1
    slider.value = 2  # the callback redraws without error


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((42, [1, 2]), {"label": "x"}, TypeError, "draw must be a callable"),
        ((_draw, "ab"), {"label": "x"}, TypeError, "values must be a sequence"),
        ((_draw, [1]), {"label": "x"}, ValueError, "values must hold between 2 and"),
        ((_draw, list(range(100))), {"label": "x"}, ValueError, "values must hold between 2 and"),
        ((_draw, [1, 2]), {"label": ""}, TypeError, "label must be a non-empty string"),
    ],
)
def test_demo_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        widgets.interactive(*args, **kwargs)


def test_hinton_diagram_draws_one_square_per_weight():
    fig, ax = plt.subplots()
    plots.hinton_diagram(ax, np.array([[1.0, -0.5], [0.0, 0.25]]))
    assert len(ax.patches) == 4
    colours = [p.get_facecolor()[0] for p in ax.patches]
    assert colours[0] == 1.0 and colours[1] == 0.0  # white positive, black negative
    plt.close(fig)
    with pytest.raises(ValueError, match="matrix must be 2-D"):
        plots.hinton_diagram(ax, np.ones(3))


def test_image_grid_tiles_images():
    fig, ax = plt.subplots()
    plots.image_grid(ax, np.arange(12.0).reshape(3, 4), (2, 2), n_cols=2)
    canvas = ax.images[0].get_array()
    assert canvas.shape == (2 * 3 + 1, 2 * 3 + 1)
    plt.close(fig)
    with pytest.raises(ValueError, match="images must have shape"):
        plots.image_grid(ax, np.ones((2, 5)), (2, 2))
