from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """DRF page numbers, but a malformed ``page`` or ``page_size`` is a clear 400, not ignored."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [
                f"must be a whole number from 1 to {self.max_page_size}"]})
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw != "last" and (not raw.isdigit() or int(raw) < 1):
            raise ValidationError({self.page_query_param: ["must be a page number from 1"]})
        return super().paginate_queryset(queryset, request, view)
