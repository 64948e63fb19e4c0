"""Page helpers shared by every room, and the status page (the home is the dashboard's)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from governance.core.csv import csv_response

CsvColumns = Sequence[tuple[str, Callable[[Any], Any]]]
CSV_CHUNK = 500


def _chunks(records: Iterator[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == CSV_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def sorted_by(
    request: HttpRequest,
    queryset: QuerySet[Any],
    sort_fields: Mapping[str, str],
    default_sort: str = "",
) -> tuple[QuerySet[Any], str]:
    """The queryset ordered by `?sort=key` or `?sort=-key`, and the sort applied.

    An unknown key counts as none: the default sort applies, and without one ("") the
    queryset keeps its own order. (Falling back to the queryset's order instead would leave
    aggregated querysets, which ignore Meta.ordering, unordered and their pages unstable.)
    """
    requested = request.GET.get("sort", "")
    sort = requested if requested.lstrip("-") in sort_fields else default_sort
    path = sort_fields.get(sort.lstrip("-"))
    if path is None:
        return queryset, ""
    return queryset.order_by(f"-{path}" if sort.startswith("-") else path, "pk"), sort


def list_page(
    request: HttpRequest,
    *,
    queryset: QuerySet[Any],
    template: str,
    filterset_class: Any = None,
    sort_fields: Mapping[str, str] | None = None,
    default_sort: str = "",
    csv_columns: CsvColumns | None = None,
    csv_name: str = "export.csv",
    page_size: int = 25,
    context: Mapping[str, Any] | None = None,
    page_rows: Callable[[list[Any]], Sequence[Any]] | None = None,
) -> HttpResponseBase:
    """Filter, sort, paginate (or export as CSV) a permission-scoped queryset.

    `sort_fields` maps the public sort key (`?sort=name`, `?sort=-name`) to an ORM path, so
    users can only sort by what the page offers. `page_rows` turns a page of records into
    the rows the template shows as `rows` (reading related facts in bulk); with it, the CSV
    columns are applied to those rows too, computed for chunks of records at a time.
    """
    filterset = None
    if filterset_class is not None:
        filterset = filterset_class(request.GET or None, queryset=queryset)
        # An invalid filter value shows the form error and an empty list, never a 500.
        queryset = (
            filterset.qs
            if filterset.is_bound and filterset.is_valid()
            else (queryset.none() if filterset.is_bound else queryset)
        )
    queryset, sort = sorted_by(request, queryset, sort_fields or {}, default_sort)

    if csv_columns is not None and request.GET.get("format") == "csv":
        records = queryset.iterator(chunk_size=2000)
        if page_rows is not None:
            records = (row for chunk in _chunks(records) for row in page_rows(chunk))
        rows = ([fn(obj) for _, fn in csv_columns] for obj in records)
        return csv_response(csv_name, [label for label, _ in csv_columns], rows)

    paginator = Paginator(queryset, page_size)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = params.copy()
    sort_params.pop("sort", None)
    csv_params = params.copy()
    csv_params["format"] = "csv"
    data = {
        "page": page,
        "objects": page.object_list,
        "filter": filterset,
        "sort": sort,
        "query_string": params.urlencode(),
        "sort_query_string": sort_params.urlencode(),
        "csv_query_string": csv_params.urlencode() if csv_columns is not None else "",
    }
    if page_rows is not None:
        data["rows"] = page_rows(list(page.object_list))
    data.update(context or {})
    return render(request, template, data)


def save_form(form: Any, save: Callable[[dict[str, Any]], Any]) -> Any:
    """Validate a bound form and hand its data to a service; service refusals become form errors.

    Returns the saved object, or None when the page should be shown again with the errors.
    """
    from governance.core.errors import DomainError

    if not form.is_valid():
        return None
    try:
        return save(form.cleaned_data)
    except DomainError as exc:
        placed = False
        known = {name: errors for name, errors in exc.fields.items() if name in form.fields}
        if len(known) == 1:
            # One field at fault: show the service's full sentence next to it.
            form.add_error(next(iter(known)), exc.message)
            placed = True
        else:
            for name, errors in known.items():
                for error in errors:
                    form.add_error(name, error)
                placed = True
        if not placed:
            form.add_error(None, exc.message)
        return None
