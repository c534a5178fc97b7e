"""Full-text search over English and Chinese product text, in one GIN-indexed ``tsvector``.

Why this design (measured on PostgreSQL 18 with the ``bench/catalog.py`` data set):

* PostgreSQL's default parser does not segment Chinese: ``to_tsvector('simple', '枫糖浆 有机')``
  gives the single lexemes ``'枫糖浆'`` and ``'有机'``, so the query 枫糖 (maple sugar) would not
  find 枫糖浆 (maple syrup). Buyers type two- or three-character words that sit inside longer
  runs, so whole-run lexemes are useless.
* ``pg_trgm`` with a GIN trigram index can answer ``ILIKE '%…%'`` from the index only for
  queries of three characters or more (a trigram needs three); two-character Chinese words
  (奶酪 cheese, 枫糖, 婴儿 baby) are the most common queries and would fall back to a scan of
  every title, which at 100,000 products is well over the 50 ms budget.
* A segmenter package (jieba) adds a dictionary of tens of megabytes, a start-up cost in every
  process, and mis-segments brand names and product jargon.

So the Chinese title is indexed as overlapping character **bigrams** (枫糖浆 → 枫糖 糖浆) plus
each run's last character, with positions. A Chinese query becomes a phrase of its bigrams
(枫糖浆 → ``'枫糖' <-> '糖浆'``), which matches exactly the titles containing that substring; a
one-character query becomes the prefix query ``'枫':*``. The Chinese lexemes are written as a
``tsvector`` literal (no parser involved), so the database's locale cannot change them.

English text (title, brand, merchant name) goes through the ``english`` configuration, so
"bottles" finds "bottle". Both halves live in ``Product.search_vector`` behind one GIN index;
``catalog.services`` recomputes it in one UPDATE statement whenever the text behind it changes
(the merchant's name is read in the same statement). No trigger: every write already goes
through a service, and the bulk import refreshes thousands of rows in one statement.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery
from django.db import connection

# CJK Unified Ideographs (and extension A), plus the compatibility block.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{_CJK}]+")
LATIN_WORD = re.compile(r"[0-9A-Za-z\u00c0-\u024f][0-9A-Za-z\u00c0-\u024f'&.-]*")
MAX_QUERY_CHARS = 100


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def cjk_tsvector_literal(*texts: str, weight: str = "A") -> str:
    """The ``tsvector`` text of the Chinese characters in ``texts``: overlapping bigrams and each
    run's last character, with positions (so phrase queries match only true substrings)."""
    lexemes: list[str] = []
    position = 1
    for text in texts:
        for run in CJK_RUN.findall(text or ""):
            for index in range(len(run)):
                token = run[index : index + 2]
                if position > 16383:  # PostgreSQL's largest position
                    break
                lexemes.append(f"{_quote(token)}:{position}{weight}")
                position += 1
            position += 1  # a gap between runs, so a phrase never spans two of them
    return " ".join(lexemes)


def _cjk_tsquery(run: str) -> str:
    if len(run) == 1:
        return f"{_quote(run)}:*"
    bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
    return " <-> ".join(_quote(b) for b in bigrams)


class RawTsQuery(SearchQuery):
    """A ``tsquery`` given as text and cast as it is, without the parser."""

    def __init__(self, value: str):
        super().__init__(value)
        self.raw = value

    def as_sql(self, compiler, connection, function=None, template=None):
        sql, params = "(%s)::tsquery", [self.raw]
        if self.invert:
            sql = f"!!({sql})"
        return sql, params


def build_search_query(text: str) -> SearchQuery | None:
    """The query for what a buyer typed: English words (stemmed, all must match) and Chinese
    substrings (each must appear). None when nothing searchable is left."""
    text = (text or "")[:MAX_QUERY_CHARS]
    query: SearchQuery | None = None
    latin = " ".join(LATIN_WORD.findall(CJK_RUN.sub(" ", text)))
    if latin.strip():
        query = SearchQuery(latin, config="english", search_type="plain")
    runs = CJK_RUN.findall(text)
    if runs:
        chinese = RawTsQuery(" & ".join(f"({_cjk_tsquery(run)})" for run in runs))
        query = chinese if query is None else query & chinese
    return query


def refresh_search_vectors(product_ids) -> None:
    """Recompute ``search_vector`` of these products in one statement: English title, brand and
    merchant name through the ``english`` configuration, plus the stored Chinese bigrams."""
    ids = list(product_ids)
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE catalog_product AS p SET search_vector =
                setweight(to_tsvector('english', coalesce(p.title_en, '')), 'A')
                || setweight(to_tsvector('english', coalesce(p.brand, '')), 'B')
                || setweight(to_tsvector('english', coalesce(
                       nullif(m.dba, ''), nullif(m.legal_name, ''), o.name, '')), 'C')
                || coalesce(nullif(p.search_cjk, '')::tsvector, ''::tsvector)
            FROM network_organization AS o
            LEFT JOIN merchants_merchantapplication AS m ON m.organization_id = o.id
            WHERE o.id = p.organization_id AND p.id = ANY(%s)
            """,
            [ids],
        )


def refresh_merchant_search_vectors(organization_id: int) -> None:
    """After a merchant's name changes: recompute its products' vectors."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM catalog_product WHERE organization_id = %s", [organization_id]
        )
        ids = [row[0] for row in cursor.fetchall()]
    refresh_search_vectors(ids)


def search_cjk_for(*, title_zh_hans: str) -> str:
    """The Chinese half of a product's search document (its Chinese title, weight A)."""
    return cjk_tsvector_literal(title_zh_hans, weight="A")
