"""Pages issue a bounded number of SQL queries whatever the data volume."""

from consortium import services
from marketplace.extensions import db
from tests.conftest import consortium, org


def _add_people(app, n):
    with app.test_request_context():
        tempe = org("Tempe")
        tempe = db.session.merge(tempe)
        for i in range(n // 4):
            services.create_organization(kind="member", name=f"Town {i}", consortium=consortium("gpsr"),
                                         entity_type="town", population=1000 + i, approval_limit=1000)
        for i in range(n):
            services.create_user(email=f"bulk{i}@tempe.example", name=f"Bulk {i}", password="long-enough-pass",
                                 organization=tempe, role="buyer", consortium=consortium("gpsr"))
        db.session.commit()


def _queries(client, count_queries, url):
    with count_queries() as q:
        assert client.get(url).status_code == 200
    return q.count


def test_admin_pages_do_not_grow_with_people_or_members(app, client, login, count_queries):
    login("admin@gpsr.example")
    urls = ["/c/gpsr/", "/c/gpsr/users", "/c/gpsr/members", "/c/gpsr/audit"]
    small = {u: _queries(client, count_queries, u) for u in urls}
    _add_people(app, 40)
    large = {u: _queries(client, count_queries, u) for u in urls}
    for url in urls:
        assert large[url] <= small[url], f"{url}: {small[url]} queries with few people, {large[url]} with many"
        # a fixed bound: the home page's work queue asks each lifecycle's provider once (a query or two each)
        assert large[url] <= 22, f"{url} issues {large[url]} queries"  # the home page: one or two per queue kind
