"""Interactive demos that work in a live notebook *and* in the static website.

A chapter writes one drawing function, ``draw(fig, value)``, and calls
:func:`interactive`. In a live kernel (Jupyter, Binder, Colab) the reader gets
an ipywidgets slider that recomputes the figure. In the static site there is no
kernel, so the same frames are precomputed and exported as a matplotlib
animation in HTML (``to_jshtml``): its slider and play buttons run in the
browser, with no kernel and no CDN. The build and the tests set
``HINTON_STATIC=1`` to ask for that form.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation

__all__ = ["MAX_FRAMES", "interactive", "static_mode"]

# matplotlib's player draws its buttons with Font Awesome from a CDN; a reader
# offline would see blank buttons, so the icons become plain Unicode symbols.
_ICONS = {
    "fa fa-minus": "\u2212",  # slower
    "fa fa-fast-backward": "\u21e4",  # first frame
    "fa fa-step-backward": "\u2039",  # previous frame
    "fa fa-play fa-flip-horizontal": "\u25c0",  # play backwards
    "fa fa-pause": "\u25ae\u25ae",  # pause
    "fa fa-play": "\u25b6",  # play
    "fa fa-step-forward": "\u203a",  # next frame
    "fa fa-fast-forward": "\u21e5",  # last frame
    "fa fa-plus": "+",  # faster
}
_CDN_LINK = re.compile(r"<link rel=\"stylesheet\"\s+href=\"https?://[^\"]+\">", re.S)
_IMG = re.compile(r'<img id="(_anim_img\w+)">')
_SLIDER = re.compile(r'<input id="(_anim_slider\w+)" type="range"')

# matplotlib sizes the player for a wide screen (a 374 px slider, nine 36 px
# buttons, the frame at its natural width). Inside a demo everything shrinks to
# the column instead, so a 390 px phone loses nothing, the "+" button included.
_DEMO_CSS = """<style>
.hinton-demo .animation { display: block; max-width: 100%; }
.hinton-demo .animation img { max-width: 100%; height: auto; }
.hinton-demo input[type=range].anim-slider { display: block; width: 100%; max-width: 374px;
  margin: 0 auto; }
.hinton-demo .hinton-demo-label { display: block; font-weight: 600; margin-top: 0.4em; }
.hinton-demo .anim-buttons { display: flex; flex-wrap: wrap; justify-content: center;
  gap: 2px; }
.hinton-demo .anim-buttons button { width: auto; min-width: 2.2em; max-width: 36px;
  flex: 1 1 0; }
.hinton-demo .anim-state { display: flex; flex-wrap: wrap; justify-content: center;
  gap: 0 0.5em; }
</style>"""

MAX_FRAMES = 40  # every frame is an embedded PNG: keep pages light

_STATIC_NOTE = (
    "Drag the slider or press play: these frames were computed when the book was built. "
    "Open this chapter on Binder or Colab (the rocket icon above) to recompute it live."
)


def static_mode() -> bool:
    """True when demos must work without a kernel (the website build, CI)."""
    return os.environ.get("HINTON_STATIC", "") not in ("", "0")


def _check(draw: Any, values: Any, label: Any) -> list:
    if not callable(draw):
        raise TypeError(f"draw must be a callable draw(fig, value); got {type(draw).__name__}")
    if not isinstance(label, str) or not label:
        raise TypeError("label must be a non-empty string naming the slider's quantity")
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(
            f"values must be a sequence of slider positions; got {type(values).__name__}"
        )
    values = list(values)
    if not 2 <= len(values) <= MAX_FRAMES:
        raise ValueError(
            f"values must hold between 2 and {MAX_FRAMES} positions; got {len(values)}"
        )
    return values


def _render(fig: Any, draw: Callable[[Any, Any], None], value: Any, label: str, fmt: str) -> None:
    fig.clear()
    draw(fig, value)
    fig.suptitle(f"{label} = {fmt.format(value)}", fontsize=10)
    # Fit axis labels and the title inside the fixed frame (they were cut off);
    # axes placed by hand (fig.add_axes) keep their places.
    if fig.axes and all(ax.get_subplotspec() is not None for ax in fig.axes):
        fig.tight_layout()


def interactive(
    draw: Callable[[Any, Any], None],
    values: Sequence[Any],
    *,
    label: str,
    figsize: tuple[float, float] = (6.0, 4.0),
    fmt: str = "{:g}",
    interval_ms: int = 400,
    alt: str | None = None,
) -> Any:
    """A slider over ``values`` that redraws ``draw(fig, value)``.

    Args:
        draw: draws one frame onto the (cleared) matplotlib Figure it is given.
        values: the slider's positions, 2 to ``MAX_FRAMES`` of them.
        label: the quantity the slider sets, shown in the title of every frame.
        figsize: the figure's size in inches.
        fmt: how to print a value in the title.
        interval_ms: time between frames when the static version plays.
        alt: what the frames show, for a reader who cannot see them (the
            static page's alt text). By default it names the slider's
            quantity and range; a chapter should say what changes.

    Returns:
        An ipywidgets box in a live kernel; otherwise an ``IPython.display.HTML``
        animation whose controls work without a kernel.
    """
    values = _check(draw, values, label)
    if alt is not None and (not isinstance(alt, str) or not alt.strip()):
        raise TypeError("alt must be a non-empty string describing the frames, or None")
    if alt is None:
        alt = (
            f"Animated figure with one frame per value of {label}, "
            f"from {fmt.format(values[0])} to {fmt.format(values[-1])} ({len(values)} frames)."
        )
    if not static_mode():
        try:
            return _live(draw, values, label, figsize, fmt)
        except ImportError:
            pass
    return _static(draw, values, label, figsize, fmt, interval_ms, alt)


def _static(draw, values, label, figsize, fmt, interval_ms, alt):
    from IPython.display import HTML

    fig = plt.figure(figsize=figsize)
    animation = FuncAnimation(
        fig,
        lambda i: _render(fig, draw, values[i], label, fmt),
        frames=len(values),
        interval=interval_ms,
        repeat=False,
    )
    page = _offline(animation.to_jshtml(default_mode="once"))
    plt.close(fig)
    page = _accessible(page, label, alt)
    note = f'<p class="hinton-demo-note"><em>{html.escape(_STATIC_NOTE)}</em></p>'
    return HTML(f'<div class="hinton-demo">{_DEMO_CSS}{note}{page}</div>')


def _offline(page: str) -> str:
    page = _CDN_LINK.sub("", page)
    for css_class, symbol in _ICONS.items():
        page = page.replace(f'<i class="{css_class}"></i>', symbol)
    return page


def _accessible(page: str, label: str, alt: str) -> str:
    """Give the frame alt text and the slider a visible label naming its quantity."""
    page, n_img = _IMG.subn(lambda m: f'<img id="{m[1]}" alt="{html.escape(alt)}">', page)
    page, n_slider = _SLIDER.subn(
        lambda m: (
            f'<label class="hinton-demo-label" for="{m[1]}">{html.escape(label)}</label>\n'
            f'<input id="{m[1]}" type="range"'
        ),
        page,
    )
    if n_img != 1 or n_slider != 1:  # matplotlib changed its template: fail loudly
        raise RuntimeError("unexpected to_jshtml markup: cannot add the label and alt text")
    return page


def _live(draw, values, label, figsize, fmt):
    import ipywidgets as widgets
    from IPython.display import display

    slider = widgets.SelectionSlider(
        options=[(fmt.format(v), v) for v in values],
        value=values[0],
        description=label,
        continuous_update=False,
        layout=widgets.Layout(width="60%"),
        style={"description_width": "initial"},
    )
    out = widgets.Output()

    def redraw(change: Any = None) -> None:
        with out:
            out.clear_output(wait=True)
            fig = plt.figure(figsize=figsize)
            _render(fig, draw, slider.value, label, fmt)
            display(fig)
            plt.close(fig)

    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([slider, out])
