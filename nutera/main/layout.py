"""Links of the page layout (navigation, stylesheets, scripts) that every page repeats."""

from flask import current_app, render_template, request, url_for
from markupsafe import Markup

from nutera.main import bp


@bp.app_template_global()
def layout_url(endpoint: str, **values: str) -> str:
    """url_for, built once per app and script root: the layout has a dozen links, and
    building them on every render cost a third of rendering a light public page."""
    cache = current_app.extensions.setdefault("layout_urls", {})
    key = (request.script_root, endpoint, *sorted(values.items()))
    url = cache.get(key)
    if url is None:
        url = cache[key] = url_for(endpoint, **values)
    return url


_MARKERS = ("@@NT-TITLE@@", "@@NT-HEAD@@", "@@NT-CONTENT@@", "@@NT-SCRIPTS@@")  # in page order


def public_frame() -> tuple[Markup, ...]:
    """base.html as an anonymous visitor sees it, cut around its blocks (title, head,
    content, scripts): rendered once per app and script root, then pasted around a hot
    public page's own blocks (templates/_frame_lean.html). Only for a request with no
    signed-in user and no flashed message, which is all base.html varies by there."""
    cache = current_app.extensions.setdefault("public_frames", {})
    frame = cache.get(request.script_root)
    if frame is None:
        text = render_template("_frame_source.html", markers=_MARKERS)
        pieces = []
        for marker in _MARKERS:
            before, text = text.split(marker, 1)
            pieces.append(Markup(before))
        frame = cache[request.script_root] = (*pieces, Markup(text))
    return frame
