"""Collaboration, authorship and portfolio graphs, their measures and what compute_graphs stores."""

from __future__ import annotations

import json
from datetime import date

import networkx as nx
import pytest

from ossmetrics.errors import GraphError
from ossmetrics.graph import ContributorGraph, compute_graphs
from ossmetrics.graph.build import coedit_edges
from ossmetrics.graph.measures import betweenness, broker_scores
from tests.graph.history import History


def _team(con):
    """a.py: alice (day 1), bob (day 10), bot (11), dave (300); b.py: bob (20), carol (30);
    README.md: alice (40), carol (41) — excluded as documentation."""
    h = History(con)
    people = {}
    for name in ("alice", "bob", "carol", "dave"):
        people[name], (people[name + "_id"],) = h.person(name)
    _b, (bot,) = h.person("ci-bot", bot=True)
    h.commit(people["alice_id"], [("a.py", 10, 0)], day=1)
    h.commit(people["bob_id"], [("a.py", 2, 1)], day=10)
    h.commit(bot, [("a.py", 1, 1)], day=11)
    h.commit(people["bob_id"], [("b.py", 10, 0)], day=20)
    h.commit(people["carol_id"], [("b.py", 1, 1)], day=30)
    h.commit(people["alice_id"], [("README.md", 5, 0)], day=40)
    h.commit(people["carol_id"], [("README.md", 1, 0)], day=41)
    h.commit(people["dave_id"], [("a.py", 1, 1)], day=300)
    return h, people, h.save()


def test_coedit_window_bots_and_exclusions(con):
    h, p, rid = _team(con)
    e = coedit_edges(con, rid)
    pairs = {(s, d): w for s, d, w in e[["src", "dst", "coedit"]].itertuples(index=False)}
    # alice-bob on a.py (9 days apart), bob-carol on b.py; dave came 290 days after bob;
    # the bot is not a person here; README.md is documentation
    assert pairs == {(p["alice"], p["bob"]): 1, (p["bob"], p["carol"]): 1}
    wide = coedit_edges(con, rid, window_days=400, exclude=[])
    wpairs = {(s, d) for s, d in wide[["src", "dst"]].itertuples(index=False)}
    assert (p["alice"], p["carol"]) in wpairs  # README.md counts without exclusions
    assert (p["bob"], p["dave"]) in wpairs and (p["alice"], p["dave"]) in wpairs
    early = coedit_edges(con, rid, h.date(15))
    assert len(early) == 1


def test_collaboration_measures_by_hand(con):
    _h, p, rid = _team(con)
    g = ContributorGraph.collaboration(con, rid)
    assert g.people() == sorted([p["alice"], p["bob"], p["carol"], p["dave"]])
    assert g.tie(p["alice"], p["bob"]) == 1.0 and g.tie(p["alice"], p["carol"]) == 0.0
    assert g.collaborators(p["bob"]) == {p["alice"]: 1.0, p["carol"]: 1.0}
    m = g.person_measures()
    v = {(r.person_id, r.measure): r.value for r in m.itertuples()}
    assert v[(p["bob"], "degree")] == 2 and v[(p["dave"], "degree")] == 0
    # path alice - bob - carol plus isolated dave: bob is on the one shortest path between
    # alice and carol: 1 of (n-1)(n-2)/2 = 3 pairs
    assert v[(p["bob"], "betweenness")] == pytest.approx(1 / 3)
    assert v[(p["alice"], "betweenness")] == 0.0
    assert v[(p["bob"], "core_number")] == 1 and v[(p["dave"], "core_number")] == 0
    assert [v[(p[n], "core")] for n in ("alice", "bob", "carol", "dave")] == [1, 1, 1, 0]
    # the path is one community (modularity 0 beats every split); dave is alone
    assert v[(p["alice"], "community")] == v[(p["carol"], "community")]
    assert v[(p["dave"], "community")] != v[(p["alice"], "community")]
    assert v[(p["bob"], "broker_score")] == 0.0
    assert g.info["betweenness_k"] is None  # exact
    pr = [v[(p[n], "pagerank")] for n in ("alice", "bob", "carol", "dave")]
    assert sum(pr) == pytest.approx(1.0) and pr[1] > pr[0] == pytest.approx(pr[2])


def test_review_and_comment_interactions(con):
    h, p, rid = _team(con)
    con.execute(
        "INSERT INTO issues (repo_id, number, is_pull, author_identity, created_at) VALUES (?, 7, true, ?, ?)",
        [rid, p["dave_id"], h.date(301)],
    )
    for cid, who in ((1, "carol_id"), (2, "carol_id"), (3, "dave_id")):
        con.execute(
            "INSERT INTO comments (repo_id, issue_number, comment_id, kind, author_identity, created_at) "
            "VALUES (?, 7, ?, 'review', ?, ?)",
            [rid, cid, p[who], h.date(302)],
        )
    g = ContributorGraph.collaboration(con, rid)
    # carol reviewed dave's PR twice; dave's own comment is no interaction
    d = g.graph.get_edge_data(f"person:{p['carol']}", f"person:{p['dave']}")
    assert d == {"weight": 2.0, "coedit": 0, "interactions": 2}
    before = ContributorGraph.collaboration(con, rid, h.date(300))
    assert before.tie(p["carol"], p["dave"]) == 0.0


def test_betweenness_matches_networkx_and_sampling_is_seeded():
    g = nx.gnm_random_graph(80, 200, seed=3)
    g.add_edge(500, 501)
    ref = nx.betweenness_centrality(g)
    got = betweenness(g, batch_cells=500)
    assert got.k is None
    assert max(abs(ref[v] - got.values[v]) for v in g) < 1e-12
    s1, s2 = betweenness(g, k=20, seed=7), betweenness(g, k=20, seed=7)
    assert s1.k == 20 and s1.values == s2.values
    # the sampled estimate is NetworkX's estimator with the same scaling
    assert sum(s1.values.values()) == pytest.approx(sum(ref.values()), rel=0.5)


def test_broker_score_is_participation_coefficient():
    g = nx.Graph()
    g.add_edge("x", "a1", weight=1.0)
    g.add_edge("x", "a2", weight=1.0)
    g.add_edge("x", "b1", weight=2.0)
    comm = {"x": 0, "a1": 0, "a2": 0, "b1": 1}
    s = broker_scores(g, comm)
    assert s["x"] == pytest.approx(1 - (0.5**2 + 0.5**2))
    assert s["a1"] == 0.0


def test_authorship_and_portfolio_graphs(con):
    _h, p, rid = _team(con)
    a = ContributorGraph.authorship(con, rid)
    e = a.graph.get_edge_data(f"person:{p['alice']}", "file:a.py")
    assert e["author"] is True and e["weight"] == pytest.approx(4.391 - 0.321 * 1.0986123, abs=1e-6)
    assert not a.graph.has_node("file:README.md")
    h2 = History(con, "acme/other")
    h2.commit(p["alice_id"], [("z.py", 3, 0)], day=100)
    other = h2.save()
    pg = ContributorGraph.portfolio(con)
    assert pg.graph.degree(f"person:{p['alice']}") == 2
    assert pg.graph.get_edge_data(f"person:{p['alice']}", f"repo:{other}")["commits"] == 1
    with pytest.raises(GraphError):
        ContributorGraph.build(con, "collaboration", None)


def test_compute_graphs_stores_idempotent_deterministic_rows(con):
    _h, p, rid = _team(con)
    h2 = History(con, "acme/other")
    h2.commit(p["alice_id"], [("z.py", 3, 0)], day=100)
    h2.save()
    res = compute_graphs(con, [rid], date(2020, 12, 31))
    assert len(res) == 1 and res[0].as_of == date(2020, 12, 31)
    rows = dict(
        con.execute(
            "SELECT measure, value FROM graph_repo_measures WHERE repo_id = ? AND as_of = DATE '2020-12-31'",
            [rid],
        ).fetchall()
    )
    # a.py: alice author (4.038), bob/dave 3.104; b.py: bob author (4.169), carol 3.2345
    assert rows["truck_factor"] == 2
    assert rows["bus_factor_all_history"] == 2  # alice 2, bob 2, carol 2, dave 1 of 7 commits
    assert rows["core_size"] == 3
    assert rows["core_work_share"] == pytest.approx(6 / 7)
    assert rows["communities"] == 1
    assert rows["people"] == 4 and rows["collaboration_edges"] == 2 and rows["files"] == 2
    # alice committed to acme/other in the 365 days up to the cut: one other project
    assert rows["key_people_cross_load"] == 1
    detail = json.loads(
        con.execute(
            "SELECT detail FROM graph_repo_measures WHERE repo_id = ? AND measure = 'truck_factor'",
            [rid],
        ).fetchall()[0][0]
    )
    assert detail["key_people"] == [p["alice"], p["bob"]]
    assert detail["n_files"] == 2

    def snapshot():
        return (
            con.execute(
                "SELECT repo_id, person_id, as_of, graph, measure, value FROM graph_person_measures ORDER BY ALL"
            ).fetchall(),
            con.execute("SELECT * FROM graph_repo_measures ORDER BY ALL").fetchall(),
        )

    first = snapshot()
    compute_graphs(con, [rid], date(2020, 12, 31))
    assert snapshot() == first  # rerun: replaced, not duplicated, same values
    files_authored = con.execute(
        "SELECT person_id, value FROM graph_person_measures WHERE graph = 'authorship' ORDER BY 1"
    ).fetchall()
    assert files_authored == [(p["alice"], 1.0), (p["bob"], 1.0)]
    portfolio = con.execute(
        "SELECT value FROM graph_person_measures WHERE repo_id IS NULL AND measure = 'repos' AND person_id = ?",
        [p["alice"]],
    ).fetchall()
    assert portfolio == [(2.0,)]
    with pytest.raises(GraphError):
        compute_graphs(con, [9999])


def test_export_round_trips(con, tmp_path):
    _h, p, rid = _team(con)
    g = ContributorGraph.collaboration(con, rid)
    back = nx.read_graphml(g.export(tmp_path / "c.graphml", "graphml"))
    assert back.number_of_nodes() == 4 and back.number_of_edges() == 2
    assert back.edges[f"person:{p['alice']}", f"person:{p['bob']}"]["weight"] == 1.0
    assert nx.read_gexf(g.export(tmp_path / "c.gexf", "gexf")).number_of_nodes() == 4
    data = json.loads(g.export(tmp_path / "c.json", "json").read_text())
    assert data["graph"]["kind"] == "collaboration" and len(data["edges"]) == 2
    with pytest.raises(GraphError):
        g.export(tmp_path / "missing" / "x.json", "json")
    with pytest.raises(GraphError):
        g.export(tmp_path / "x.dot", "dot")


def test_compute_graphs_edge_cases_store_undefined(con):
    empty = History(con, "acme/empty").save()
    h = History(con, "acme/bots")
    _b, (bot,) = h.person("renovate[bot]", bot=True)
    h.commit(bot, [("a.py", 3, 0)])
    bots = h.save()
    res = compute_graphs(con, [empty, bots], date(2021, 1, 1))
    assert [r.truck.truck_factor for r in res] == [None, None]
    rows = con.execute(
        "SELECT repo_id, measure, value FROM graph_repo_measures WHERE measure IN "
        "('truck_factor', 'bus_factor_all_history', 'people', 'core_size') ORDER BY ALL"
    ).fetchall()
    assert rows == [
        (empty, "bus_factor_all_history", None),
        (empty, "core_size", 0.0),
        (empty, "people", 0.0),
        (empty, "truck_factor", None),
        (bots, "bus_factor_all_history", None),
        (bots, "core_size", 0.0),
        (bots, "people", 0.0),
        (bots, "truck_factor", None),
    ]


def test_graph_measures_do_not_depend_on_the_people_tables_row_order(tmp_path):
    """The same history with the people table written in another physical order (as a lake
    read through Spark gives it) yields the same graph, node for node, and the same
    communities. Commenters without commits used to be added in the table's row order, and
    Louvain's communities (hence broker scores) depend on node order."""
    from ossmetrics.graph.measures import communities
    from ossmetrics.lake.synthetic import generate_store
    from ossmetrics.store import connect

    a = connect(tmp_path / "a.duckdb")
    generate_store(a, repos=6, commits=1200, seed=3, files_per_commit=2)
    a.close()
    b = connect(tmp_path / "b.duckdb")
    b.execute(f"ATTACH '{tmp_path / 'a.duckdb'}' AS a (READ_ONLY)")
    for t in ("repos", "identities", "commits", "commit_files", "issues", "comments"):
        b.execute(f"INSERT INTO {t} SELECT * FROM a.{t}")
    b.execute("INSERT INTO people SELECT * FROM a.people ORDER BY person_id DESC")
    b.execute("DETACH a")
    a = connect(tmp_path / "a.duckdb")
    ga = ContributorGraph.collaboration(a, 3, None).graph
    gb = ContributorGraph.collaboration(b, 3, None).graph
    commenters = [n for n, d in ga.nodes(data=True) if d["commits"] == 0]
    assert len(commenters) >= 2  # the case that used to follow the row order
    assert list(ga.nodes()) == list(gb.nodes())
    assert communities(ga) == communities(gb)
