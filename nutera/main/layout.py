"""Links of the page layout (navigation, stylesheets, scripts) that every page repeats."""

from flask import current_app, request, url_for

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
