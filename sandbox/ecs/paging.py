"""ECS pagination, both ways: PageNumber/PageSize and NextToken/MaxResults.

A NextToken carries the sort key of the last item returned (launch sequence for instances),
so a page after a release neither skips nor repeats an item; lists without a key page by
position.
"""
import base64

from sandbox.ecs.models import EcsError


def _bad(name, value):
    return EcsError("InvalidParameter", 400, f"The specified parameter {name} ({value!r}) is not valid.")


class Page:
    def __init__(self, page_number=1, page_size=10, next_token=None, max_results=None, token_mode=False):
        self.page_number, self.page_size = page_number, page_size
        self.next_token, self.max_results, self.token_mode = next_token, max_results, token_mode

    @classmethod
    def from_params(cls, params, max_size=100, default_size=10):
        def number(name, default, low, high):
            raw = params.get(name)
            if raw in (None, ""):
                return default
            try:
                value = int(raw)
            except ValueError:
                raise _bad(name, raw)
            if not low <= value <= high:
                raise _bad(name, raw)
            return value

        token = params.get("NextToken") or None
        token_mode = token is not None or params.get("MaxResults") not in (None, "")
        return cls(
            page_number=number("PageNumber", 1, 1, 10 ** 9),
            page_size=number("PageSize", default_size, 1, max_size),
            next_token=token,
            max_results=number("MaxResults", default_size, 1, max_size),
            token_mode=token_mode,
        )

    def apply(self, items, key=None):
        """(items of this page, the paging fields of the response)."""
        total = len(items)
        if not self.token_mode:
            start = (self.page_number - 1) * self.page_size
            return items[start:start + self.page_size], {
                "TotalCount": total, "PageNumber": self.page_number, "PageSize": self.page_size, "NextToken": ""}
        start = 0
        if self.next_token:
            try:
                after = int(base64.urlsafe_b64decode(self.next_token.encode()).decode())
            except (ValueError, UnicodeDecodeError):
                raise _bad("NextToken", self.next_token)
            if key is None:
                start = after
            else:
                start = next((n for n, item in enumerate(items) if key(item) > after), total)
        page = items[start:start + self.max_results]
        more = start + len(page) < total
        last = (key(page[-1]) if key else start + len(page)) if page else None
        token = base64.urlsafe_b64encode(str(last).encode()).decode() if more and page else ""
        return page, {"TotalCount": total, "NextToken": token, "MaxResults": self.max_results,
                      "PageSize": self.max_results, "PageNumber": 1}
