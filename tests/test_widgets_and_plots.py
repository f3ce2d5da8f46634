"""The demo mechanism works without a kernel, and the figure helpers draw what they promise."""

from __future__ import annotations

import re

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


def test_static_demo_labels_its_slider_and_describes_its_frames(monkeypatch):
    monkeypatch.setenv("HINTON_STATIC", "1")
    page = widgets.interactive(_draw, [0.0, 0.5, 1.0], label="slope <b>").data
    slider_id = re.search(r'<input id="(_anim_slider\w+)" type="range"', page)[1]
    label = re.search(rf'<label class="hinton-demo-label" for="{slider_id}">([^<]+)</label>', page)
    assert label and label[1] == "slope &lt;b&gt;", "a visible label, escaped, tied to the slider"
    alt = re.search(r'<img id="_anim_img\w+" alt="([^"]+)">', page)[1]
    assert "slope" in alt and "0 to 1" in alt and "3 frames" in alt
    described = widgets.interactive(_draw, [0, 1], label="k", alt="A line that tilts up.").data
    assert 'alt="A line that tilts up."' in described
    with pytest.raises(TypeError, match="alt must be a non-empty string"):
        widgets.interactive(_draw, [0, 1], label="k", alt="  ")


def test_static_demo_shrinks_to_a_phone_column(monkeypatch):
    """matplotlib's player is sized for a wide screen; the demo's own CSS lets it shrink."""
    monkeypatch.setenv("HINTON_STATIC", "1")
    page = widgets.interactive(_draw, [0, 1], label="k").data
    css = page[page.index("<style>") : page.index("</style>")]
    assert ".hinton-demo .animation img { max-width: 100%" in css
    assert "flex-wrap: wrap" in css, "the nine buttons wrap instead of overflowing"
    assert "max-width: 374px" in css and "width: 100%" in css, "the slider fits the column"


def test_live_demo_runs_on_the_ipywidgets_colab_ships(monkeypatch):
    """Colab has ipywidgets 7.7.1; `make lowest` runs this test on exactly that version."""
    import ipywidgets

    monkeypatch.delenv("HINTON_STATIC", raising=False)
    box = widgets.interactive(_draw, [0.5, 1.0], label="slope", alt="A line.")
    slider, out = box.children
    assert isinstance(slider, ipywidgets.SelectionSlider) and isinstance(out, ipywidgets.Output)
    assert slider.description == "slope"
    slider.value = 1.0
    assert int(ipywidgets.__version__.split(".")[0]) >= 7


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


def test_setup_honours_hinton_seed(monkeypatch):
    """`make seeds` reruns every chapter with HINTON_SEED replacing the seed it asks for."""
    import hinton_utils as hu

    monkeypatch.delenv("HINTON_SEED", raising=False)
    default = hu.setup(seed=0).random(3)
    monkeypatch.setenv("HINTON_SEED", "7")
    overridden = hu.setup(seed=0).random(3)
    assert np.allclose(overridden, hu.core.backend.asnumpy(hu.core.backend.rng(7).random(3)))
    assert not np.allclose(default, overridden)
    monkeypatch.setenv("HINTON_SEED", "seven")
    with pytest.raises(ValueError, match="HINTON_SEED must be an integer"):
        hu.setup(seed=0)
